#define _GNU_SOURCE
/* poll: poll and select on pipes: readiness after a write, POLLHUP once
 * the writer is gone, writability, timeouts that expire, a child waking
 * a blocked poll, POLLNVAL and EBADF for bad fds, and bad arguments. */
#include "check.h"
#include <poll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void pl(const char *what, struct pollfd *fds, int n, int timeout)
{
	int r = poll(fds, n, timeout);
	if (r < 0) {
		check(what, r);
		return;
	}
	say("%s: %d", what, r);
	for (int i = 0; i < n; i++)
		say(" [%#x]", fds[i].revents);
	say("\n");
}

int main(void)
{
	int p[2];
	pipe(p);
	struct pollfd f[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	pl("empty pipe", f, 2, 0);
	write(p[1], "x", 1);
	pl("after write", f, 2, 0);
	f[1].events = POLLIN;
	pl("POLLIN on write end", f, 2, 0);
	f[1].fd = -1;
	pl("negative fd ignored", f, 2, 0);
	f[1].fd = 99;
	pl("bad fd POLLNVAL", f, 2, 0);
	close(p[1]);
	char b[4];
	read(p[0], b, 1);
	pl("writer closed", f, 1, 0);
	close(p[0]);

	pipe(p);
	f[0].fd = p[0], f[0].events = POLLIN;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pl("timeout 30 ms", f, 1, 30);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect("waited at least 30 ms", (t1.tv_sec - t0.tv_sec) * 1000000000LL + t1.tv_nsec - t0.tv_nsec >= 30000000);
	pid_t c = fork();
	if (c == 0) {
		struct timespec d = {0, 20000000};
		nanosleep(&d, NULL);
		write(p[1], "w", 1);
		_exit(0);
	}
	pl("woken by child", f, 1, 5000);
	waitpid(c, NULL, 0);
	check("poll bad pointer", syscall(SYS_poll, BAD, 1, 0));
	check("poll too many fds", poll(f, 1 << 30, 0));
	check("poll nothing with timeout", poll(NULL, 0, 10));

	fd_set r, w;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	struct timeval tv = {0, 0};
	check("select readable and writable", select(p[1] + 1, &r, &w, NULL, &tv));
	say("select sets: r %d w %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
	read(p[0], b, 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_usec = 20000;
	check("select timeout", select(p[0] + 1, &r, NULL, NULL, &tv));
	say("select set after timeout: %d\n", FD_ISSET(p[0], &r));
	FD_ZERO(&r);
	FD_SET(50, &r);
	tv.tv_usec = 0;
	check("select bad fd", select(51, &r, NULL, NULL, &tv));
	check("select negative nfds", select(-1, NULL, NULL, NULL, &tv));
	tv.tv_usec = -1;
	check("select bad timeout", select(1, NULL, NULL, NULL, &tv));
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_usec = 0;
	check("select at eof", select(p[0] + 1, &r, NULL, NULL, &tv));
	struct timespec ts = {0, 0};
	f[0].fd = p[0], f[0].events = POLLIN;
	check("ppoll at eof", ppoll(f, 1, &ts, NULL));
	say("ppoll revents: %#x\n", f[0].revents);
	return 0;
}
