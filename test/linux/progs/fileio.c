/* fileio: open, openat, creat, read, write, lseek and close, the open
 * flags O_APPEND, O_TRUNC, O_EXCL and O_CREAT, and their error paths. */
#include "check.h"
#include <fcntl.h>
#include <sys/syscall.h>

static void content(const char *what, const char *path)
{
	char b[64] = {0};
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	say("%s: %zd \"%s\"\n", what, n, b);
}

int main(void)
{
	char b[32];
	int fd = check("open creat", open("f", O_CREAT | O_WRONLY, 0644));
	check("write", write(fd, "hello world", 11));
	check("read on O_WRONLY", read(fd, b, sizeof b));
	check("close", close(fd));
	check("close again", close(fd));
	content("content", "f");

	fd = check("open rdonly", open("f", O_RDONLY));
	check("write on O_RDONLY", write(fd, "x", 1));
	check("read 5", read(fd, b, 5));
	check("lseek cur", lseek(fd, 0, SEEK_CUR));
	check("lseek set 6", lseek(fd, 6, SEEK_SET));
	check("read rest", read(fd, b, sizeof b));
	check("read at eof", read(fd, b, sizeof b));
	check("lseek end -5", lseek(fd, -5, SEEK_END));
	check("lseek end +10", lseek(fd, 10, SEEK_END));
	check("read past end", read(fd, b, sizeof b));
	check("lseek negative", lseek(fd, -100, SEEK_SET));
	check("lseek bad whence", lseek(fd, 0, 42));
	check("read zero bytes", read(fd, b, 0));
	lseek(fd, 0, SEEK_SET);
	check("read bad buffer", syscall(SYS_read, fd, BAD, 4));
	close(fd);

	fd = open("f", O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	check("write O_APPEND", write(fd, "!", 1));
	check("offset after append", lseek(fd, 0, SEEK_CUR));
	check("write bad buffer", syscall(SYS_write, fd, BAD, 4));
	close(fd);
	content("after append", "f");

	fd = open("f", O_RDWR);
	check("pwrite-less overwrite", write(fd, "HE", 2));
	close(fd);
	content("after overwrite", "f");

	fd = check("open O_TRUNC", open("f", O_WRONLY | O_TRUNC));
	close(fd);
	content("after truncate", "f");

	check("O_EXCL existing", open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
	fd = check("O_EXCL new", open("g", O_CREAT | O_EXCL | O_WRONLY, 0644));
	close(fd);
	fd = check("creat", creat("h", 0600));
	check("creat write", write(fd, "abc", 3));
	check("creat is write-only", read(fd, b, 1));
	close(fd);
	content("creat content", "h");

	int dfd = check("open dir", open(".", O_RDONLY | O_DIRECTORY));
	fd = check("openat relative", openat(dfd, "h", O_RDONLY));
	close(fd);
	check("openat bad dirfd", openat(99, "h", O_RDONLY));
	check("openat absolute ignores dirfd", openat(99, "/", O_RDONLY) >= 0);
	check("openat file as dirfd", openat(fd = open("h", O_RDONLY), "x", O_RDONLY));
	close(fd);
	close(dfd);

	check("open nonexistent", open("nope", O_RDONLY));
	check("open in nonexistent dir", open("nope/x", O_CREAT | O_WRONLY, 0644));
	check("open file as dir", open("h/x", O_RDONLY));
	check("open O_DIRECTORY on file", open("h", O_RDONLY | O_DIRECTORY));
	check("open dir for writing", open(".", O_WRONLY));
	check("open empty path", open("", O_RDONLY));
	check("open bad path pointer", syscall(SYS_open, BAD, O_RDONLY));
	check("read bad fd", read(77, b, 1));
	check("write bad fd", write(-1, b, 1));
	check("lseek bad fd", lseek(77, 0, SEEK_SET));
	check("close bad fd", close(77));
	check("read directory", read(open(".", O_RDONLY), b, 1));
	check("unlink", unlink("f") + unlink("g") + unlink("h"));
	return 0;
}
