/* links: link, symlink, readlink, unlink and rename, with link counts and
 * the errors each gives. */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static long nlink(const char *p)
{
	struct stat st;
	return lstat(p, &st) < 0 ? -1 : (long)st.st_nlink;
}

static void rl(const char *what, const char *p)
{
	char b[64];
	ssize_t n = readlink(p, b, sizeof b);
	if (n < 0)
		check(what, n);
	else
		say("%s: %zd \"%.*s\"\n", what, n, (int)n, b);
}

static void cat(const char *what, const char *p)
{
	char b[64] = {0};
	int fd = open(p, O_RDONLY);
	if (fd < 0) {
		check(what, fd);
		return;
	}
	read(fd, b, sizeof b - 1);
	close(fd);
	say("%s: \"%s\"\n", what, b);
}

int main(void)
{
	int fd = open("orig", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, "data", 4);
	close(fd);
	check("link", link("orig", "second"));
	check("nlink orig", nlink("orig"));
	check("link existing", link("orig", "second"));
	check("link missing", link("nope", "x"));
	mkdir("dir", 0755);
	check("link dir", link("dir", "dirlink"));
	check("unlink orig", unlink("orig"));
	check("nlink second", nlink("second"));
	cat("read second", "second");
	check("unlink missing", unlink("orig"));
	check("unlink bad path", syscall(SYS_unlink, BAD));

	check("symlink", symlink("second", "sym"));
	check("symlink existing", symlink("x", "sym"));
	rl("readlink", "sym");
	char small[3];
	check("readlink truncates", readlink("sym", small, sizeof small));
	check("readlink regular file", readlink("second", small, sizeof small));
	check("readlink missing", readlink("nope", small, sizeof small));
	check("readlink bad buffer", syscall(SYS_readlink, "sym", BAD, 64));
	check("readlink zero size", syscall(SYS_readlink, "sym", small, 0));
	cat("read through symlink", "sym");
	check("symlink to dir", symlink("dir", "dsym"));
	check("create through dir symlink", close(open("dsym/inner", O_CREAT | O_WRONLY, 0644)));
	check("nlink via symlink", nlink("dir/inner"));
	check("symlink loop a", symlink("loopb", "loopa"));
	check("symlink loop b", symlink("loopa", "loopb"));
	check("open loop", open("loopa", O_RDONLY));
	check("O_NOFOLLOW on symlink", open("sym", O_RDONLY | O_NOFOLLOW));
	check("unlink symlink", unlink("sym"));
	check("target remains", nlink("second"));

	check("rename", rename("second", "third"));
	check("old name gone", nlink("second"));
	cat("new name", "third");
	close(open("other", O_CREAT | O_WRONLY, 0644));
	check("rename over file", rename("third", "other"));
	cat("replaced", "other");
	check("rename missing", rename("third", "x"));
	check("rename file over dir", rename("other", "dir"));
	check("rename dir over file", rename("dir", "other"));
	check("rename dir into itself", rename("dir", "dir/sub"));
	mkdir("empty", 0755);
	check("rename dir over empty dir", rename("dir", "empty"));
	check("renamed dir content", nlink("empty/inner"));
	mkdir("full", 0755);
	close(open("full/f", O_CREAT | O_WRONLY, 0644));
	check("rename dir over non-empty dir", rename("empty", "full"));
	check("rename same file", rename("other", "other"));
	check("rename bad path", syscall(SYS_rename, BAD, "x"));

	unlink("other"), unlink("empty/inner"), rmdir("empty"), unlink("full/f"), rmdir("full");
	unlink("dsym"), unlink("loopa"), unlink("loopb");
	return 0;
}
