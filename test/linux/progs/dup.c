/* dup: dup, dup2, dup3 and fcntl's F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD,
 * F_SETFD, F_GETFL and F_SETFL; duplicates share one file offset. */
#include "check.h"
#include <fcntl.h>
#include <sys/syscall.h>

int main(void)
{
	int fd = open("d", O_CREAT | O_RDWR | O_TRUNC, 0644);
	check("fd", fd);
	check("dup", dup(fd));
	check("dup bad fd", dup(99));
	check("dup2 to 10", dup2(fd, 10));
	check("dup2 same fd", dup2(fd, fd));
	check("dup2 bad fd same", dup2(99, 99));
	check("dup2 bad old", dup2(99, 11));
	check("dup2 negative new", dup2(fd, -1));
	check("dup3 to 12 cloexec", dup3(fd, 12, O_CLOEXEC));
	check("dup3 same fd", dup3(fd, fd, 0));
	check("dup3 bad flags", syscall(SYS_dup3, fd, 13, 0x1234));
	check("F_GETFD 12", fcntl(12, F_GETFD));
	check("F_GETFD 10", fcntl(10, F_GETFD));
	check("F_SETFD 10", fcntl(10, F_SETFD, FD_CLOEXEC));
	check("F_GETFD 10 again", fcntl(10, F_GETFD));
	check("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
	check("F_DUPFD 20 again", fcntl(fd, F_DUPFD, 20));
	check("F_DUPFD_CLOEXEC 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
	check("F_GETFD 30", fcntl(30, F_GETFD));
	check("F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
	check("F_GETFL", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	check("F_SETFL append", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK));
	check("F_GETFL after", fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	check("F_GETFL of dup shares flags", fcntl(10, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
	check("F_SETFL keeps access mode", fcntl(fd, F_SETFL, O_RDONLY));
	check("F_GETFL access mode", fcntl(fd, F_GETFL) & O_ACCMODE);
	check("fcntl bad fd", fcntl(99, F_GETFD));
	check("fcntl bad cmd", fcntl(fd, 9999));

	check("write via fd", write(fd, "abcdef", 6));
	check("offset via dup", lseek(10, 0, SEEK_CUR));
	check("seek via dup", lseek(12, 1, SEEK_SET));
	char b[8] = {0};
	check("read via fd", read(fd, b, 2));
	say("data: %s\n", b);
	check("offset via third", lseek(20, 0, SEEK_CUR));

	check("close original", close(fd));
	check("dup still open", read(10, b, 1));
	check("dup2 over open fd", dup2(20, 10));
	check("F_GETFD after dup2 clears cloexec", fcntl(10, F_GETFD));
	check("lowest free fd", dup(10));
	unlink("d");
	return 0;
}
