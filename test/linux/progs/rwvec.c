/* rwvec: pread, pwrite, readv and writev, and how they treat the file
 * offset, short files, and bad arguments. */
#include "check.h"
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>

int main(void)
{
	char a[8] = {0}, b[8] = {0}, c[8] = {0};
	int fd = open("v", O_CREAT | O_RDWR | O_TRUNC, 0644);
	struct iovec w[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
	check("writev", writev(fd, w, 3));
	check("offset after writev", lseek(fd, 0, SEEK_CUR));
	check("pwrite at 2", pwrite(fd, "XY", 2, 2));
	check("offset unchanged by pwrite", lseek(fd, 0, SEEK_CUR));
	check("pread 4 at 1", pread(fd, a, 4, 1));
	say("pread data: %s\n", a);
	check("pread past end", pread(fd, a, 4, 100));
	check("pread short", pread(fd, b, 8, 6));
	say("short data: %s\n", b);
	check("pwrite beyond end", pwrite(fd, "Z", 1, 10));
	check("size via lseek end", lseek(fd, 0, SEEK_END));
	memset(a, 0, sizeof a), memset(b, 0, sizeof b);
	lseek(fd, 0, SEEK_SET);
	struct iovec r[3] = {{a, 2}, {b, 3}, {c, 7}};
	check("readv", readv(fd, r, 3));
	say("readv data: %s|%s|%d,%d,%d\n", a, b, c[0], c[1], c[2]);
	say("readv tail: %c\n", c[5]);
	check("readv at eof", readv(fd, r, 3));

	check("pread negative offset", pread(fd, a, 1, -1));
	check("pwrite negative offset", pwrite(fd, a, 1, -1));
	check("readv negative count", readv(fd, r, -1));
	check("writev too many", writev(fd, w, 100000));
	check("readv bad iovec pointer", syscall(SYS_readv, fd, BAD, 1));
	struct iovec bad = {BAD, 4};
	lseek(fd, 0, SEEK_SET);
	check("readv bad buffer", readv(fd, &bad, 1));
	check("writev bad buffer", writev(fd, &bad, 1));
	check("pread bad fd", pread(99, a, 1, 0));
	check("writev bad fd", writev(99, w, 1));
	int p[2];
	pipe(p);
	check("pread on pipe", pread(p[0], a, 1, 0));
	check("pwrite on pipe", pwrite(p[1], a, 1, 0));
	check("writev on pipe", writev(p[1], w, 3));
	memset(a, 0, sizeof a), memset(b, 0, sizeof b);
	struct iovec r2[2] = {{a, 4}, {b, 4}};
	check("readv on pipe", readv(p[0], r2, 2));
	say("pipe data: %s|%s\n", a, b);
	check("lseek on pipe", lseek(p[0], 0, SEEK_SET));
	close(fd);
	unlink("v");
	return 0;
}
