/*
 * linuxbench: the Linux side of make bench. It runs one workload a number of
 * times and prints one line per run in the format every Aramid benchmark
 * uses:
 *
 *	BENCH <name> ns=<ns per operation> n=<operations>
 *
 * Usage: linuxbench pipe|getpid [n] [runs]
 *
 * pipe:   a ping-pong between two processes over two pipes; one operation is
 *         a round trip: the parent writes a byte, the child reads it and
 *         writes it back, the parent reads it. This is the Linux
 *         counterpart of an Aramid IPC call and reply.
 * getpid: one getpid system call, the cheapest trip into the kernel and
 *         back (musl does not cache the pid).
 *
 * Each run is preceded by a warm-up of n/10 operations that is not timed.
 * Time comes from clock_gettime(CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "linuxbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime");
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void xread(int fd, char *c)
{
	ssize_t r;

	do
		r = read(fd, c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1) {
		if (r == 0)
			errno = EPIPE;
		die("read");
	}
}

static void xwrite(int fd, char c)
{
	ssize_t r;

	do
		r = write(fd, &c, 1);
	while (r < 0 && errno == EINTR);
	if (r != 1)
		die("write");
}

/* echo answers every byte on in with the same byte on out until EOF. */
static void echo(int in, int out)
{
	char c;
	ssize_t r;

	for (;;) {
		r = read(in, &c, 1);
		if (r == 0)
			_exit(0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("child read");
		}
		xwrite(out, c);
	}
}

static void pingpong(int out, int in, long n)
{
	char c;
	long i;

	for (i = 0; i < n; i++) {
		xwrite(out, (char)i);
		xread(in, &c);
		if (c != (char)i) {
			fprintf(stderr, "linuxbench: round trip %ld: got %d\n", i, c);
			exit(1);
		}
	}
}

static void bench_pipe(long n, int runs)
{
	int ping[2], pong[2], status, r;
	pid_t pid;
	double t;

	if (pipe(ping) != 0 || pipe(pong) != 0)
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		echo(ping[0], pong[1]);
	}
	close(ping[0]);
	close(pong[1]);
	for (r = 0; r < runs; r++) {
		pingpong(ping[1], pong[0], n / 10);
		t = now_ns();
		pingpong(ping[1], pong[0], n);
		t = now_ns() - t;
		printf("BENCH pipe-roundtrip ns=%.1f n=%ld\n", t / (double)n, n);
	}
	close(ping[1]);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "linuxbench: echo process failed (status %#x)\n", status);
		exit(1);
	}
}

static void getpids(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void bench_getpid(long n, int runs)
{
	double t;
	int r;

	for (r = 0; r < runs; r++) {
		getpids(n / 10);
		t = now_ns();
		getpids(n);
		t = now_ns() - t;
		printf("BENCH getpid ns=%.1f n=%ld\n", t / (double)n, n);
	}
}

static long arg(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > 1000000000L) {
		fprintf(stderr, "linuxbench: bad %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long n = 20000;
	int runs = 5;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: linuxbench pipe|getpid [n] [runs]\n");
		return 2;
	}
	if (argc > 2)
		n = arg(argv[2], "n");
	if (argc > 3)
		runs = (int)arg(argv[3], "runs");
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "pipe") == 0)
		bench_pipe(n, runs);
	else if (strcmp(argv[1], "getpid") == 0)
		bench_getpid(n, runs);
	else {
		fprintf(stderr, "linuxbench: unknown workload %s\n", argv[1]);
		return 2;
	}
	return 0;
}
