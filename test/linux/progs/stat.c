/* stat: stat, fstat, lstat and fstatat on files, directories and symbolic
 * links; only the fields that do not depend on the machine are printed. */
#include "check.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static const char *type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "reg";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "lnk";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chr";
	}
	return "other";
}

static void show(const char *what, int r, struct stat *st)
{
	if (r < 0) {
		check(what, r);
		return;
	}
	if (S_ISDIR(st->st_mode))
		say("%s: %s mode %o nlink %lu\n", what, type(st->st_mode), st->st_mode & 07777,
		    (unsigned long)st->st_nlink);
	else
		say("%s: %s mode %o size %lld nlink %lu\n", what, type(st->st_mode),
		    st->st_mode & 07777, (long long)st->st_size, (unsigned long)st->st_nlink);
}

int main(void)
{
	struct stat st, st2;
	umask(022);
	int fd = open("s", O_CREAT | O_WRONLY | O_TRUNC, 0640);
	write(fd, "twelve bytes", 12);
	show("fstat file", fstat(fd, &st), &st);
	show("stat file", stat("s", &st), &st);
	show("lstat file", lstat("s", &st), &st);
	mkdir("d", 0750);
	show("stat dir", stat("d", &st), &st);
	mkdir("d/sub", 0777);
	show("stat dir with subdir", stat("d", &st), &st);
	show("stat subdir (umask)", stat("d/sub", &st), &st);
	symlink("s", "l");
	show("stat symlink", stat("l", &st), &st);
	show("lstat symlink", lstat("l", &st), &st);
	say("lstat symlink size is target length: %lld\n", (long long)st.st_size);
	link("s", "hard");
	show("stat after link", stat("s", &st), &st);
	stat("hard", &st2);
	expect("same inode via link", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	int dfd = open("d", O_RDONLY | O_DIRECTORY);
	show("fstatat relative", fstatat(dfd, "sub", &st, 0), &st);
	show("fstatat AT_FDCWD", fstatat(AT_FDCWD, "l", &st, 0), &st);
	show("fstatat nofollow", fstatat(AT_FDCWD, "l", &st, AT_SYMLINK_NOFOLLOW), &st);
	show("fstatat empty path", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
	show("fstat dir fd", fstat(dfd, &st), &st);
	show("stat /dev/null", stat("/dev/null", &st), &st);
	int p[2];
	pipe(p);
	fstat(p[0], &st);
	say("fstat pipe: %s\n", type(st.st_mode));
	show("stat dangling symlink", (symlink("nowhere", "dang"), stat("dang", &st)), &st);
	show("lstat dangling symlink", lstat("dang", &st), &st);
	show("stat nonexistent", stat("nope", &st), &st);
	show("stat through file", stat("s/x", &st), &st);
	show("stat empty path", stat("", &st), &st);
	show("fstat bad fd", fstat(99, &st), &st);
	show("fstatat bad dirfd", fstatat(99, "s", &st, 0), &st);
	show("fstatat bad flags", fstatat(AT_FDCWD, "s", &st, 0x40000000), &st);
	check("stat bad buffer", syscall(SYS_stat, "s", BAD));
	check("stat bad path", syscall(SYS_stat, BAD, &st));
	check("fstat bad buffer", syscall(SYS_fstat, fd, BAD));
	check("newfstatat bad buffer", syscall(SYS_newfstatat, AT_FDCWD, "s", BAD, 0));
	fchmod(fd, 0604);
	show("after fchmod", fstat(fd, &st), &st);
	chmod("s", 01755);
	show("after chmod", stat("s", &st), &st);
	ftruncate(fd, 3);
	show("after ftruncate", fstat(fd, &st), &st);
	truncate("s", 100);
	show("after truncate", stat("s", &st), &st);
	check("truncate negative", truncate("s", -1));
	check("ftruncate read-only fd", ftruncate(open("s", O_RDONLY), 1));
	check("truncate dir", truncate("d", 0));
	unlink("hard"), unlink("s"), unlink("l"), unlink("dang");
	rmdir("d/sub"), rmdir("d");
	return 0;
}
