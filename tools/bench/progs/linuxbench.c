/*
 * linuxbench: the Linux side of make bench, and the Aramid side of the
 * workloads that run as Linux processes under linuxd: the same static
 * binary on both kernels. It runs one workload a number of times and prints
 * one line per run in the format every Aramid benchmark uses:
 *
 *	BENCH <name> ns=<ns per operation> n=<operations>
 *
 * Usage: linuxbench getpid|getppid|fork|open|pipe [n] [runs]
 *        linuxbench read FILE [n] [runs]
 *        linuxbench tcp-in PORT [n] [runs]
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
 * read:    a sequential read of the first n MiB of FILE with a 1 MiB
 *          buffer; one operation is one MiB. Before each run the page cache
 *          is dropped (/proc/sys/vm/drop_caches, where there is one), so
 *          every run reads the disk.
 * tcp-in:  one connection accepted on TCP PORT and read until EOF with a
 *          1 MiB buffer, which must bring exactly n MiB; one operation is
 *          one MiB. The sender is the benchmark harness on the host: it
 *          connects once per run (and warm-up) after the "listening" line.
 *
 * The streaming workloads, read and tcp-in, add reads=<read calls> to their
 * BENCH lines: how many pieces the kernel returned the n MiB in.
 *
 * Each run is preceded by a warm-up of n/10 operations that is not timed.
 * Time comes from clock_gettime(CLOCK_MONOTONIC); what a run must do before
 * it starts (open the file, accept the connection) is not timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

/* The pipe workload's ends in the parent: it writes ping_out, reads
 * pong_in; echo_pid is the echo process. */
static int ping_out, pong_in;
static pid_t echo_pid;

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
static void start_echo(const char *arg)
{
	int ping[2], pong[2];

	(void)arg;
	if (pipe(ping) != 0 || pipe(pong) != 0)
		die("pipe");
	echo_pid = fork();
	if (echo_pid < 0)
		die("fork");
	if (echo_pid == 0) {
		close(ping[1]);
		close(pong[0]);
		echo(ping[0], pong[1]);
	}
	close(ping[0]);
	close(pong[1]);
	ping_out = ping[1];
	pong_in = pong[0];
}

/* stop_echo closes the ping pipe, which ends the echo process, and reaps it. */
static void stop_echo(void)
{
	int status;

	close(ping_out);
	if (waitpid(echo_pid, &status, 0) != echo_pid)
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

#define MiB (1L << 20)

/* The buffer of the streaming workloads, read and tcp-in. */
static char buf[MiB];

/* The stream that the next run of read or tcp-in drains, and what it is;
 * nreads counts the read calls that brought data. */
static int stream = -1;
static const char *stream_name;
static long nreads;

/* drain reads stream until EOF or, if stop_at_n, until n MiB, and closes it;
 * what it read must be exactly n MiB. */
static void drain(long n, int stop_at_n)
{
	long long total = 0, want = (long long)n * MiB;
	size_t len = sizeof buf;
	ssize_t r;

	while (!stop_at_n || total < want) {
		if (stop_at_n && want - total < (long long)len)
			len = (size_t)(want - total);
		r = read(stream, buf, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die(stream_name);
		if (r == 0)
			break;
		total += r;
		nreads++;
	}
	if (total != want) {
		fprintf(stderr, "linuxbench: %s: read %lld bytes, want %lld\n", stream_name, total, want);
		exit(1);
	}
	if (close(stream) != 0)
		die("close");
	stream = -1;
}

/* The read workload's file. */
static void read_setup(const char *path)
{
	stream_name = path;
}

/* drop_caches empties Linux's page cache, so that the next run reads the
 * disk. Aramid has no file data cache (vfsd reads every request from the
 * device) and no /proc/sys, so there it fails, as it does without root;
 * it says so once. */
static void drop_caches(void)
{
	static int warned;
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "3\n", 2) != 2) {
		if (!warned)
			fprintf(stderr, "linuxbench: page cache not dropped: %s\n", strerror(errno));
		warned = 1;
	}
	if (fd >= 0)
		close(fd);
}

static void read_prepare(void)
{
	drop_caches();
	stream = open(stream_name, O_RDONLY | O_CLOEXEC);
	if (stream < 0)
		die(stream_name);
}

static void reads(long n)
{
	drain(n, 1);
}

/* The tcp-in workload's listening socket. */
static int listener = -1;

static void tcp_setup(const char *port)
{
	struct sockaddr_in sin;
	int one = 1;
	char *end;
	long p = strtol(port, &end, 10);

	if (*end != '\0' || p <= 0 || p > 65535) {
		fprintf(stderr, "linuxbench: bad port \"%s\"\n", port);
		exit(2);
	}
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0)
		die("socket");
	if (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
		die("setsockopt SO_REUSEADDR");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(listener, (struct sockaddr *)&sin, sizeof sin) != 0)
		die("bind");
	if (listen(listener, 1) != 0)
		die("listen");
	stream_name = "connection";
	printf("linuxbench: listening on port %ld\n", p);
}

static void tcp_prepare(void)
{
	do
		stream = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	while (stream < 0 && errno == EINTR);
	if (stream < 0)
		die("accept");
}

static void tcp_reads(long n)
{
	drain(n, 0);
}

static void tcp_teardown(void)
{
	close(listener);
}

static const struct workload {
	const char *arg;  /* what the command line names */
	const char *name; /* what the BENCH line names */
	void (*ops)(long n);
	int takes_arg;                  /* whether a FILE or PORT follows arg */
	void (*setup)(const char *arg); /* before the runs, or NULL */
	void (*prepare)(void);          /* before every run and warm-up, untimed, or NULL */
	void (*teardown)(void);         /* after the runs, or NULL */
} workloads[] = {
	{"getpid", "getpid", getpids, 0, NULL, NULL, NULL},
	{"getppid", "getppid", getppids, 0, NULL, NULL, NULL},
	{"fork", "fork-exit-wait", forks, 0, NULL, NULL, NULL},
	{"open", "open-close", opens, 0, NULL, NULL, NULL},
	{"pipe", "pipe-roundtrip", pingpongs, 0, start_echo, NULL, stop_echo},
	{"read", "disk-read", reads, 1, read_setup, read_prepare, NULL},
	{"tcp-in", "tcp-in", tcp_reads, 1, tcp_setup, tcp_prepare, tcp_teardown},
};

/* measure prints one BENCH line per run of n operations, each after a
 * warm-up of n/10 (at least one operation for the streaming workloads,
 * whose sender sends every connection's size). */
static void measure(const struct workload *w, long n, int runs)
{
	double t;
	int r;

	for (r = 0; r < runs; r++) {
		if (w->prepare)
			w->prepare();
		w->ops(w->prepare ? (n + 9) / 10 : n / 10);
		if (w->prepare)
			w->prepare();
		nreads = 0;
		t = now_ns();
		w->ops(n);
		t = now_ns() - t;
		if (nreads > 0) /* a streaming workload: how the bytes came */
			printf("BENCH %s ns=%.1f n=%ld reads=%ld\n", w->name, t / (double)n, n, nreads);
		else
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

static void usage(void)
{
	fprintf(stderr, "usage: linuxbench getpid|getppid|fork|open|pipe [n] [runs]\n"
			"       linuxbench read FILE [n] [runs]\n"
			"       linuxbench tcp-in PORT [n] [runs]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const struct workload *w = NULL;
	const char *warg = NULL;
	long n = 20000;
	int runs = 5;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	for (i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
		if (strcmp(argv[1], workloads[i].arg) == 0)
			w = &workloads[i];
	if (w == NULL) {
		fprintf(stderr, "linuxbench: unknown workload %s\n", argv[1]);
		return 2;
	}
	self = argv[0];
	argv += 2;
	argc -= 2;
	if (w->takes_arg) {
		if (argc < 1)
			usage();
		warg = *argv++;
		argc--;
	}
	if (argc > 2)
		usage();
	if (argc > 0)
		n = arg(argv[0], "n");
	if (argc > 1)
		runs = (int)arg(argv[1], "runs");
	signal(SIGPIPE, SIG_IGN);
	if (w->setup)
		w->setup(warg);
	measure(w, n, runs);
	if (w->teardown)
		w->teardown();
	return 0;
}
