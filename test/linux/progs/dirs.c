/* dirs: mkdir, rmdir, getdents64 (printed sorted, with types), chdir,
 * fchdir and getcwd. */
#include "check.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

/* list prints the entries of path, sorted, read with getdents64 in
 * small buffers so that several calls are needed. */
static void list(const char *path)
{
	static char names[64][80];
	char *sorted[64];
	int n = 0, fd = open(path, O_RDONLY | O_DIRECTORY);
	char buf[200];
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (r <= 0) {
			if (r < 0)
				check("getdents64", r);
			break;
		}
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			const char *t = d->d_type == DT_DIR ? "d" : d->d_type == DT_REG ? "f" : d->d_type == DT_LNK ? "l" : "?";
			if (n < 64)
				snprintf(names[n], sizeof names[n], "%s/%s", d->d_name, t), sorted[n] = names[n], n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	qsort(sorted, n, sizeof *sorted, cmp);
	say("%s:", path);
	for (int i = 0; i < n; i++)
		say(" %s", sorted[i]);
	say("\n");
}

static char start[4096];

/* cwd prints the working directory relative to where the program started
 * (which differs between the host and Aramid), or as is outside it. */
static void cwd(const char *what)
{
	char b[4096];
	size_t n = strlen(start);
	if (!getcwd(b, sizeof b)) {
		check(what, -1);
		return;
	}
	if (!strcmp(b, start))
		say("%s: .\n", what);
	else if (!strncmp(b, start, n) && b[n] == '/')
		say("%s: ./%s\n", what, b + n + 1);
	else
		say("%s: %s\n", what, b);
}

int main(void)
{
	check("mkdir a", mkdir("a", 0755));
	check("mkdir a again", mkdir("a", 0755));
	check("mkdir a/b", mkdir("a/b", 0755));
	check("mkdir missing parent", mkdir("x/y", 0755));
	check("mkdir bad path", syscall(SYS_mkdir, BAD, 0755));
	for (int i = 0; i < 20; i++) {
		char n[32];
		snprintf(n, sizeof n, "a/file%02d", i);
		close(open(n, O_CREAT | O_WRONLY, 0644));
	}
	symlink("file00", "a/link");
	list("a");
	check("rmdir non-empty", rmdir("a"));
	check("rmdir file", rmdir("a/file00"));
	check("rmdir missing", rmdir("a/nope"));
	check("rmdir dot", rmdir("a/b/."));
	check("unlink dir", unlink("a/b"));
	int fd = open("a/file00", O_RDONLY);
	check("getdents64 on file", syscall(SYS_getdents64, fd, (char[256]){0}, 256));
	close(fd);
	fd = open("a", O_RDONLY | O_DIRECTORY);
	check("getdents64 tiny buffer", syscall(SYS_getdents64, fd, (char[8]){0}, 8));
	check("getdents64 bad buffer", syscall(SYS_getdents64, fd, BAD, 4096));
	char all[4096];
	int count = 0;
	for (long r; (r = syscall(SYS_getdents64, fd, all, sizeof all)) > 0;)
		for (long off = 0; off < r; off += ((struct linux_dirent64 *)(all + off))->d_reclen)
			count++;
	check("entries read after EFAULT", count);
	check("getdents64 bad fd", syscall(SYS_getdents64, 99, (char[256]){0}, 256));
	close(fd);

	expect("getcwd absolute", getcwd(start, sizeof start) && start[0] == '/');
	int home = open(".", O_RDONLY | O_DIRECTORY);
	check("chdir a/b", chdir("a/b"));
	cwd("getcwd in a/b");
	check("chdir ..", chdir(".."));
	cwd("getcwd in a");
	check("relative open after chdir", close(open("file05", O_RDONLY)));
	check("chdir to file", chdir("file01"));
	check("chdir missing", chdir("nope"));
	check("chdir bad path", syscall(SYS_chdir, BAD));
	check("fchdir home", fchdir(home));
	cwd("getcwd after fchdir");
	check("fchdir bad fd", fchdir(99));
	fd = open("a/file00", O_RDONLY);
	check("fchdir file", fchdir(fd));
	check("getcwd small buffer", getcwd((char[2]){0}, 2) ? 0 : -1);
	check("getcwd bad buffer", syscall(SYS_getcwd, BAD, 4096));
	check("chdir /", chdir("/"));
	cwd("getcwd at root");
	fchdir(home);

	for (int i = 0; i < 20; i++) {
		char n[32];
		snprintf(n, sizeof n, "a/file%02d", i);
		unlink(n);
	}
	unlink("a/link");
	list("a");
	check("rmdir a/b", rmdir("a/b"));
	check("rmdir a", rmdir("a"));
	return 0;
}
