/* misc: umask, getrandom, prctl's thread name, the credentials of root,
 * access and faccessat, and the devices /dev/null and /dev/zero. */
#include "check.h"
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

int main(void)
{
	check("umask set 077", umask(077) & 0777);
	check("umask returns old", umask(022) & 0777);
	close(open("u", O_CREAT | O_WRONLY, 0666));
	struct stat st;
	stat("u", &st);
	say("created with umask 022: %o\n", st.st_mode & 0777);

	char r[64];
	check("getrandom", getrandom(r, sizeof r, 0));
	check("getrandom GRND_NONBLOCK", getrandom(r, 16, GRND_NONBLOCK));
	check("getrandom bad flags", getrandom(r, 16, 0x1000));
	check("getrandom bad pointer", syscall(SYS_getrandom, BAD, 16, 0));

	check("PR_SET_NAME", prctl(PR_SET_NAME, "aramid-test-name-too-long"));
	char name[32] = {0};
	check("PR_GET_NAME", prctl(PR_GET_NAME, name));
	say("name: %s\n", name);
	check("prctl bad option", prctl(9999, 0, 0, 0, 0));

	say("uid %d euid %d gid %d egid %d\n", getuid(), geteuid(), getgid(), getegid());
	check("access F_OK", access("u", F_OK));
	check("access W_OK", access("u", W_OK));
	check("access X_OK on non-executable", access("u", X_OK));
	check("access missing", access("nope", F_OK));
	check("access bad mode", access("u", 0x100));
	check("faccessat", faccessat(AT_FDCWD, "u", R_OK, 0));
	check("access bad path", syscall(SYS_access, BAD, F_OK));

	int fd = check("open /dev/null", open("/dev/null", O_RDWR));
	check("write /dev/null", write(fd, "gone", 4));
	check("read /dev/null", read(fd, r, sizeof r));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	memset(r, 1, sizeof r);
	check("read /dev/zero", read(fd, r, sizeof r));
	int z = 1;
	for (int i = 0; i < (int)sizeof r; i++)
		z &= r[i] == 0;
	expect("zeros", z);
	close(fd);
	check("isatty on a file", isatty(open("u", O_RDONLY)));
	say("isatty error: %s\n", errname(errno));
	unlink("u");
	return 0;
}
