/* mman: brk, anonymous mmap (zeroed, private across fork, shared across
 * fork), a MAP_PRIVATE file mapping read back, munmap, mprotect, and the
 * errors of bad arguments. */
#include "check.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	say("page size %ld\n", ps);
	char *b0 = (char *)syscall(SYS_brk, 0);
	expect("brk(0) reports the break", b0 != NULL);
	char *b1 = (char *)syscall(SYS_brk, b0 + 3 * ps);
	expect("brk grows", b1 == b0 + 3 * ps);
	memset(b0, 7, 3 * ps);
	expect("brk memory usable", b0[3 * ps - 1] == 7);
	char *b2 = (char *)syscall(SYS_brk, b0 + ps);
	expect("brk shrinks", b2 == b0 + ps);
	expect("brk below start refused", (char *)syscall(SYS_brk, (char *)4096) == b2);

	char *m = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ok("mmap anonymous", (long)m);
	int zero = 1;
	for (long i = 0; i < 4 * ps; i++)
		zero &= m[i] == 0;
	expect("anonymous memory is zero", zero);
	expect("page aligned", ((uintptr_t)m & (ps - 1)) == 0);
	strcpy(m, "parent");
	pid_t c = fork();
	if (c == 0) {
		strcpy(m, "child");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	say("MAP_PRIVATE after child's write: %s\n", m);
	check("munmap middle", munmap(m + ps, ps));
	check("munmap rest", munmap(m, 4 * ps));

	char *s = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ok("mmap shared anonymous", (long)s);
	strcpy(s, "parent");
	c = fork();
	if (c == 0) {
		strcpy(s, "child");
		_exit(0);
	}
	waitpid(c, NULL, 0);
	say("MAP_SHARED after child's write: %s\n", s);
	munmap(s, ps);

	int fd = open("m", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char data[6000];
	for (int i = 0; i < (int)sizeof data; i++)
		data[i] = 'a' + i % 26;
	write(fd, data, sizeof data);
	char *f = mmap(NULL, sizeof data, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ok("mmap file private", (long)f);
	expect("file content mapped", f != MAP_FAILED && !memcmp(f, data, sizeof data));
	expect("tail of last page is zero", f != MAP_FAILED && f[sizeof data] == 0 && f[2 * ps - 1] == 0);
	f[0] = 'Z';
	char first;
	pread(fd, &first, 1, 0);
	say("file after private write: %c\n", first);
	munmap(f, sizeof data);
	f = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, ps);
	ok("mmap file at offset", (long)f);
	say("byte at offset %ld: %c\n", ps, f != MAP_FAILED ? f[0] : '?');
	munmap(f, ps);

	ok("mmap unaligned offset", (long)mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 1));
	ok("mmap zero length", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ok("mmap no sharing type", (long)mmap(NULL, ps, PROT_READ, MAP_ANONYMOUS, -1, 0));
	ok("mmap bad fd", (long)mmap(NULL, ps, PROT_READ, MAP_PRIVATE, 99, 0));
	close(fd);
	fd = open("m", O_WRONLY);
	ok("mmap write-only fd", (long)mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0));
	close(fd);
	fd = open("m", O_RDONLY);
	ok("MAP_SHARED writable on read-only fd", (long)mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	check("munmap unaligned", munmap((char *)m + 1, ps));
	check("munmap zero length", munmap(m, 0));
	check("munmap unmapped", munmap(m, ps));

	char *fx = mmap((void *)0x300000000, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	expect("MAP_FIXED at the address", fx == (void *)0x300000000);
	fx[0] = 1;
	char *hint = mmap((void *)0x300000000, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect("hint over a mapping is moved", hint != MAP_FAILED && hint != fx && fx[0] == 1);

	check("mprotect read-only", mprotect(fx, ps, PROT_READ));
	expect("still readable", fx[0] == 1);
	check("mprotect unaligned", syscall(SYS_mprotect, fx + 1, ps, PROT_READ));
	check("mprotect bad prot", mprotect(fx, ps, 0x100));
	check("mprotect unmapped", mprotect((void *)0x310000000, ps, PROT_READ));
	check("mprotect read-write", mprotect(fx, ps, PROT_READ | PROT_WRITE));
	fx[1] = 2;
	expect("writable again", fx[1] == 2);
	check("mprotect PROT_NONE", mprotect(fx, ps, PROT_NONE));
	mprotect(fx, ps, PROT_READ | PROT_WRITE);
	expect("data kept across PROT_NONE", fx[0] == 1 && fx[1] == 2);
	check("read into read-only page", (mprotect(fx, ps, PROT_READ), read(open("/dev/zero", O_RDONLY), fx, 8)));
	unlink("m");
	return 0;
}
