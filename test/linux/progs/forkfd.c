/* forkfd: a forked child gets a copy of the fd table whose entries share
 * the open files (and so their offsets and status flags) with the parent,
 * and a copy-on-write copy of memory. */
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>

static int global = 1;

int main(void)
{
	int fd = open("ff", O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "0123456789", 10);
	lseek(fd, 2, SEEK_SET);
	char *heap = malloc(64);
	strcpy(heap, "parent heap");
	int local = 10;
	pid_t c = fork();
	if (c == 0) {
		check("child: offset inherited", lseek(fd, 0, SEEK_CUR));
		lseek(fd, 7, SEEK_SET);
		fcntl(fd, F_SETFL, O_APPEND);
		global = 2, local = 20;
		strcpy(heap, "child heap");
		close(fd);
		say("child: global %d local %d heap %s\n", global, local, heap);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	check("parent: offset moved by child", lseek(fd, 0, SEEK_CUR));
	check("parent: O_APPEND set by child", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
	check("parent: fd still open after child's close", fcntl(fd, F_GETFD));
	say("parent: global %d local %d heap %s\n", global, local, heap);

	int fd2 = open("ff", O_RDONLY);
	c = fork();
	if (c == 0) {
		char b[4] = {0};
		read(fd2, b, 3);
		say("child: read %s\n", b);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	char b[4] = {0};
	read(fd2, b, 3);
	say("parent: read after child %s\n", b);

	int n = 0;
	for (int i = 0; i < 8; i++) {
		c = fork();
		if (c == 0)
			_exit(i);
		int st;
		waitpid(c, &st, 0);
		n += WEXITSTATUS(st);
	}
	check("sum of 8 children's statuses", n);
	unlink("ff");
	return 0;
}
