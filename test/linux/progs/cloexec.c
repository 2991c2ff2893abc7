/* cloexec: O_CLOEXEC and FD_CLOEXEC descriptors close at execve, others
 * stay open with their offsets; this program runs itself again to look. */
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc > 1) {
		check("after exec: fd 5 F_GETFD", fcntl(5, F_GETFD));
		check("after exec: fd 5 offset", lseek(5, 0, SEEK_CUR));
		check("after exec: fd 6 (O_CLOEXEC)", fcntl(6, F_GETFD));
		check("after exec: fd 7 (FD_CLOEXEC)", fcntl(7, F_GETFD));
		check("after exec: fd 8 (cleared)", fcntl(8, F_GETFD));
		check("after exec: pipe fd 9", fcntl(9, F_GETFD));
		char b[8] = {0};
		check("after exec: read fd 9", read(9, b, sizeof b));
		say("after exec: data %s\n", b);
		return 0;
	}
	int fd = open("c", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	check("dup2 5", dup2(fd, 5));
	lseek(5, 3, SEEK_SET);
	check("O_CLOEXEC", dup3(fd, 6, O_CLOEXEC));
	check("F_GETFD 6", fcntl(6, F_GETFD));
	check("dup2 7", dup2(fd, 7));
	check("F_SETFD 7", fcntl(7, F_SETFD, FD_CLOEXEC));
	check("dup3 8 cloexec", dup3(fd, 8, O_CLOEXEC));
	check("F_SETFD 8 clear", fcntl(8, F_SETFD, 0));
	check("open O_CLOEXEC", fcntl(open("c", O_RDONLY | O_CLOEXEC), F_GETFD));
	int p[2];
	check("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
	check("pipe fds cloexec", fcntl(p[0], F_GETFD) + fcntl(p[1], F_GETFD));
	check("dup2 pipe to 9", dup2(p[0], 9));
	write(p[1], "piped", 5);
	close(fd);
	unlink("c");
	char *args[] = {argv[0], "child", NULL};
	execv(argv[0], args);
	check("execv", -1);
	return 1;
}
