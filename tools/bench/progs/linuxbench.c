/*
 * linuxbench: the Linux side of make bench, and the Aramid side of the
 * workloads that run as Linux processes under linuxd: the same static
 * binary on both kernels. It runs one workload a number of times and prints
 * one line per run in the format every Aramid benchmark uses:
 *
 *	BENCH <name> ns=<ns per operation> n=<operations>
 *
 * Usage: linuxbench getpid|getppid|fork|open|pipe [n] [runs]
 *
 * getpid:  one getpid system call, the cheapest trip into the kernel and
 *          back (musl does not cache the pid).
 * getppid: one getppid system call; on Aramid linuxd answers it, so it is
 *          the cost of a forwarded call that does no work.
 * fork:    fork, the child's _exit, and the parent's waitpid.
 * open:    open and close of this program's own executable (argv[0]).
 * pipe:    a ping-pong between two processes over two pipes; one operation
 *          is a round trip: the parent writes a byte, the child reads it
 *          and writes it back, the parent reads it. This is also the Linux
 *          counterpart of an Aramid IPC call and reply.
 *
 * Each run is preceded by a warm-up of n/10 operations that is not timed.
 * Time comes from clock_gettime(CLOCK_MONOTONIC).
 */
#include <errno.h>
#include <fcntl.h>
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

/* The pipe workload's ends in the parent: it writes ping_out, reads pong_in. */
static int ping_out, pong_in;

/* pingpongs makes n round trips through the echo process. */
static void pingpongs(long n)
{
	char c;
	long i;

	for (i = 0; i < n; i++) {
		xwrite(ping_out, (char)i);
		xread(pong_in, &c);
		if (c != (char)i) {
			fprintf(stderr, "linuxbench: round trip %ld: got %d\n", i, c);
			exit(1);
		}
	}
}

/* start_echo forks the echo process that pingpongs talks to. */
static pid_t start_echo(void)
{
	int ping[2], pong[2];
	pid_t pid;

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
	ping_out = ping[1];
	pong_in = pong[0];
	return pid;
}

/* stop_echo closes the ping pipe, which ends the echo process, and reaps it. */
static void stop_echo(pid_t pid)
{
	int status;

	close(ping_out);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "linuxbench: echo process failed (status %#x)\n", status);
		exit(1);
	}
	close(pong_in);
}

static void getpids(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void getppids(long n)
{
	long i;

	for (i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void forks(long n)
{
	int status;
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(7);
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 7) {
			fprintf(stderr, "linuxbench: child exited with status %#x\n", status);
			exit(1);
		}
	}
}

/* The file the open workload opens: the program's own executable. */
static const char *self;

static void opens(long n)
{
	long i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = open(self, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die(self);
		if (close(fd) != 0)
			die("close");
	}
}

static const struct workload {
	const char *arg;  /* what the command line names */
	const char *name; /* what the BENCH line names */
	void (*ops)(long n);
	int echo; /* whether ops needs the echo process */
} workloads[] = {
	{"getpid", "getpid", getpids, 0},
	{"getppid", "getppid", getppids, 0},
	{"fork", "fork-exit-wait", forks, 0},
	{"open", "open-close", opens, 0},
	{"pipe", "pipe-roundtrip", pingpongs, 1},
};

/* measure prints one BENCH line per run of n operations, each after a warm-up of n/10. */
static void measure(const struct workload *w, long n, int runs)
{
	double t;
	int r;

	for (r = 0; r < runs; r++) {
		w->ops(n / 10);
		t = now_ns();
		w->ops(n);
		t = now_ns() - t;
		printf("BENCH %s ns=%.1f n=%ld\n", w->name, t / (double)n, n);
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
	const struct workload *w = NULL;
	long n = 20000;
	int runs = 5;
	size_t i;
	pid_t echo_pid = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: linuxbench getpid|getppid|fork|open|pipe [n] [runs]\n");
		return 2;
	}
	for (i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
		if (strcmp(argv[1], workloads[i].arg) == 0)
			w = &workloads[i];
	if (w == NULL) {
		fprintf(stderr, "linuxbench: unknown workload %s\n", argv[1]);
		return 2;
	}
	if (argc > 2)
		n = arg(argv[2], "n");
	if (argc > 3)
		runs = (int)arg(argv[3], "runs");
	self = argv[0];
	signal(SIGPIPE, SIG_IGN);
	if (w->echo)
		echo_pid = start_echo();
	measure(w, n, runs);
	if (echo_pid != 0)
		stop_echo(echo_pid);
	return 0;
}
