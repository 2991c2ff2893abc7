/* pipe: pipe and pipe2, data through them, end of file once every writer
 * is closed, EPIPE with SIGPIPE ignored, O_NONBLOCK, and bad arguments. */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void)
{
	int p[2];
	char b[64] = {0};
	check("pipe", pipe(p));
	say("fds: %d %d\n", p[0], p[1]);
	check("write", write(p[1], "hello", 5));
	int n = -1;
	check("FIONREAD", ioctl(p[0], FIONREAD, &n));
	say("FIONREAD bytes: %d\n", n);
	check("read", read(p[0], b, sizeof b));
	say("data: %s\n", b);
	check("read end is read-only", write(p[0], "x", 1));
	check("write end is write-only", read(p[1], b, 1));
	check("F_GETFL read end", fcntl(p[0], F_GETFL) & O_ACCMODE);
	check("F_GETFL write end", fcntl(p[1], F_GETFL) & O_ACCMODE);
	write(p[1], "tail", 4);
	close(p[1]);
	check("read after writer closed", read(p[0], b, sizeof b));
	check("read at eof", read(p[0], b, sizeof b));
	close(p[0]);

	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		for (int i = 0; i < 3; i++)
			write(p[1], "chunk", 5);
		_exit(0);
	}
	close(p[1]);
	int total = 0, r;
	while ((r = read(p[0], b, sizeof b)) > 0)
		total += r;
	check("bytes from child until eof", total);
	check("last read", r);
	waitpid(c, NULL, 0);
	close(p[0]);

	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	check("write with no reader", write(p[1], "x", 1));
	close(p[1]);

	c = fork();
	if (c == 0) {
		signal(SIGPIPE, SIG_DFL);
		pipe(p);
		close(p[0]);
		write(p[1], "x", 1);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	say("SIGPIPE default kills: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));

	check("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
	check("F_GETFL nonblock", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0);
	check("empty nonblocking read", read(p[0], b, 1));
	int filled = 0;
	char big[4096];
	memset(big, 'z', sizeof big);
	while ((r = write(p[1], big, sizeof big)) > 0)
		filled += r;
	check("write to full pipe", r);
	expect("pipe holds at least 4 KiB", filled >= 4096);
	close(p[0]), close(p[1]);

	check("pipe2 bad flags", pipe2(p, 0x12345));
	check("pipe bad pointer", syscall(SYS_pipe, BAD));
	check("pipe2 bad pointer", syscall(SYS_pipe2, BAD, 0));
	check("lowest fds reused", pipe(p) == 0 && p[0] == 3 && p[1] == 4);
	return 0;
}
