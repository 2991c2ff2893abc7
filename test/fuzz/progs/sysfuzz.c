/*
 * sysfuzz throws random Linux system calls at the system it runs on, in the
 * style of trinity and syzkaller: several worker processes, each with
 * several threads, issue calls with random and semi-valid arguments (bad
 * and kernel pointers, huge lengths, wrong and valid fds, random flags,
 * paths in a scratch directory). It passes when the system survives; what
 * a call returns is not checked.
 *
 *	sysfuzz [-n COUNT] [-s SEED] [-w WORKERS] [-t THREADS] [-d DIR] [-r]
 *
 * The first process is the supervisor: it makes no random calls. It forks
 * the workers, counts the calls they report through a pipe, restarts a
 * worker that dies (of its own signals or its own calls) with what is left
 * of its share of COUNT, kills a worker that reports nothing for STUCK_SECS,
 * prints a progress line every PROGRESS_SECS and a final line with the
 * counts, and exits 0 when COUNT calls have been issued.
 *
 * What the workers never do, because it would end or wreck the test rather
 * than find a bug: exit or exit_group (but a worker ends itself with
 * exit_group when its share is done), reboot, execve, rt_sigreturn, vfork,
 * clone other than fuzzclone's (random flags and pointers, a child that
 * makes three calls and exits; fork's child makes a few random calls),
 * signals to any process but their own (kill, tkill and tgkill get the
 * worker's own ids, or ids that exist nowhere) and SIGSTOP (which would
 * stop the worker until the supervisor found it stuck), memory calls on the
 * program's own text, data and stacks, calls on the report pipe,
 * ARCH_SET_FS, and paths outside the scratch directory other than a few
 * harmless ones. Workers run as nobody (uid and gid 65534) with /dev/null
 * as fds 0, 1 and 2, so they cannot harm the files or the terminal the
 * rest of the system uses. With -r they stay root, to reach what only
 * root may do, and get no path outside the scratch directory but
 * /proc/self's (root may unlink /dev/null, and did).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define MAX_THREADS 8
#define REPORT_EVERY 64
#define STUCK_SECS 10
#define PROGRESS_SECS 2
#define NOBODY 65534
#define SCRATCH (64 << 10)
#define MAX_FDS 64
#define MAX_MAPS 32

/* ---- output ---- */

static void say(const char *fmt, ...)
{
	char b[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof b - 1)
		n = sizeof b - 1;
	for (int off = 0; off < n;) {
		ssize_t w = write(1, b + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += w;
	}
}

static void die(const char *what)
{
	say("sysfuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- random numbers: splitmix64, one state per thread ---- */

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return rnd() % n; }

static int one_in(int n) { return below(n) == 0; }

/* ---- what a worker owns ---- */

/* report is what a worker's thread sends the supervisor through the pipe:
 * calls issued by worker w since its last report. Writes of it are atomic
 * (smaller than PIPE_BUF). */
struct report {
	uint32_t worker;
	uint32_t calls;
};

static int report_fd = -1;     /* the pipe's write end, in workers */
static int worker_id;
static uint64_t worker_seed;   /* each thread's numbers start from it */
static uint64_t budget;        /* calls this worker process issues */
static uint64_t issued;        /* calls issued so far, by all its threads */
static char dir[256] = "/tmp/sysfuzz";

/* The pools below are shared by a worker's threads: a count only grows
 * (used reads it through filled), and once a pool is full a new entry
 * replaces a random one. */
static int fds[MAX_FDS];       /* fds the worker opened or calls returned */
static int nfds;
static uint64_t maps[MAX_MAPS]; /* mappings the fuzzer made: safe to unmap */
static uint64_t maplen[MAX_MAPS];
static int nmaps;
static char *ropage, *nonepage; /* a read-only and an inaccessible page */

/* Each fuzzing thread has its own scratch buffer, followed by an unmapped
 * page so that buffers near its end cross into nothing. */
static __thread char *scratch;

struct fuzzthread {
	pthread_t th;
	int tid;
	volatile uint64_t calls;
};
static struct fuzzthread threads[MAX_THREADS];
static int nthreads = 4;

/* slot is where a pool with count *n and room for max puts a new entry. */
static int slot(int *n, int max)
{
	int i = __atomic_fetch_add(n, 1, __ATOMIC_RELAXED);
	return i < max ? i : (int)below(max);
}

/* filled is how many entries of a pool with count *n and room for max
 * are in use. */
static int filled(int *n, int max)
{
	int v = __atomic_load_n(n, __ATOMIC_RELAXED);
	return v < max ? v : max;
}

static void addfd(int fd)
{
	if (fd < 0 || fd == report_fd)
		return;
	__atomic_store_n(&fds[slot(&nfds, MAX_FDS)], fd, __ATOMIC_RELAXED);
}

static void addmap(uint64_t addr, uint64_t len)
{
	int i = slot(&nmaps, MAX_MAPS);
	maps[i] = addr;
	maplen[i] = len;
}

/* anymap is the address of one of the fuzzer's mappings, or 0. */
static uint64_t anymap(void)
{
	int n = filled(&nmaps, MAX_MAPS);
	return n ? maps[below(n)] : 0;
}

/* ---- argument generators ---- */

enum argtype {
	A_ANY,    /* anything: a mix of all below */
	A_FD,     /* an fd: valid ones mostly, bad ones sometimes */
	A_LEN,    /* a length or count */
	A_BUF,    /* a pointer to memory of some length */
	A_PATH,   /* a pointer to a path */
	A_FLAGS,  /* random bits, few or many */
	A_MODE,   /* a file mode */
	A_PID,    /* the worker's own ids, or ids of no process */
	A_SIG,    /* a signal number */
	A_IOV,    /* a pointer to an iovec array of A_BUFs */
	A_ADDR,   /* an address to map or unmap: one of ours, or bad */
	A_SOCK,   /* a sockaddr */
	A_TIME,   /* a pointer to a short timespec (or a bad one) */
	A_CMD,    /* a small command number (fcntl, ioctl-ish, prctl) */
	A_IOCTL,  /* an ioctl request */
};

static const uint64_t kernel_ptrs[] = {
	0xffff800000000000ull, 0xffffffff80000000ull, 0xffffffff80201000ull,
	0xffffffffffffffffull, 0xffff888000000000ull, 0x0000800000000000ull,
	0x00007ffffffff000ull, 0x8000000000000000ull,
};

static uint64_t interesting(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 63, 64, 127, 128, 255, 256, 511,
		512, 1023, 1024, 4095, 4096, 4097, 65535, 65536, 0x7fff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull,
		0x7fffffffffffffffull, 0xffffffffffffffffull,
		0xfffffffffffff000ull, (uint64_t)-2, (uint64_t)-4095,
	};
	return v[below(sizeof v / sizeof v[0])];
}

static uint64_t gen_len(void)
{
	switch (below(6)) {
	case 0: return below(16);
	case 1: return below(4097);
	case 2: return 1ull << below(64);
	case 3: return interesting();
	case 4: return below(SCRATCH);
	default: return rnd();
	}
}

static uint64_t gen_buf(void)
{
	switch (below(12)) {
	case 0: return 0;
	case 1: return 1 + below(4095);
	case 2: return kernel_ptrs[below(sizeof kernel_ptrs / sizeof kernel_ptrs[0])];
	case 3: return (uint64_t)ropage + below(4096);
	case 4: return (uint64_t)nonepage;
	case 5: return (uint64_t)scratch + SCRATCH - 1 - below(64); /* runs off the end */
	case 6: return anymap() + below(4096);
	case 7: return rnd();
	default: return (uint64_t)scratch + below(SCRATCH / 2);
	}
}

static uint64_t gen_fd(void)
{
	int n = filled(&nfds, MAX_FDS);
	if (below(8) < 6 && n > 0) {
		int fd = __atomic_load_n(&fds[below(n)], __ATOMIC_RELAXED);
		if (fd != report_fd)
			return fd;
	}
	switch (below(6)) {
	case 0: return (uint64_t)-1;
	case 1: return below(3);
	case 2: return 1023 + below(2);
	case 3: return 1u << below(32);
	case 4: return (uint32_t)-100; /* AT_FDCWD */
	default: return below(MAX_FDS);
	}
}

/* Paths: local ones are the scratch directory's and harmless system ones;
 * outside ones only nobody may be given (see -r). */
static const char *const local[] = {
	"f0", "f1", "f2", "d0", "d0/f", "d0/d", "l0", "l1", "nonexistent",
	"d0/../f1", ".", "", "f0/x", "///d0//f", "l0/x", "d0/d/e/f",
	"/proc/self/status", "/proc/self/fd", "/proc/self/maps",
};
static const char *const outside[] = {
	"..", "/", "/proc/meminfo", "/dev/null", "/dev/zero", "/dev/full",
	"/etc/passwd", "/tmp", "/nonexistent/x",
};
static int keep_root; /* -r: workers stay root */

static uint64_t gen_path(void)
{
	char *p = scratch + SCRATCH / 2;
	switch (below(10)) {
	case 0: return gen_buf();
	case 1: { /* longer than PATH_MAX, or than NAME_MAX */
		size_t n = one_in(2) ? 4200 : 300;
		memset(p, 'a', n);
		p[n] = 0;
		return (uint64_t)p;
	}
	case 2: { /* random bytes, unterminated up to the end of the buffer */
		char *q = scratch + SCRATCH - 1 - below(32);
		for (char *c = q; c < scratch + SCRATCH; c++)
			*c = 1 + below(255);
		return (uint64_t)q;
	}
	case 3:
		snprintf(p, 512, "%s/w%d/f%d", dir, worker_id, (int)below(4));
		return (uint64_t)p;
	default:
		if (!keep_root && one_in(4))
			strcpy(p, outside[below(sizeof outside / sizeof outside[0])]);
		else
			strcpy(p, local[below(sizeof local / sizeof local[0])]);
		return (uint64_t)p;
	}
}

static uint64_t gen_flags(void)
{
	switch (below(4)) {
	case 0: return 0;
	case 1: return 1ull << below(32);
	case 2: return (1ull << below(32)) | (1ull << below(32)) | (1ull << below(32));
	default: return rnd() & (one_in(2) ? 0xffffffffull : ~0ull);
	}
}

static uint64_t gen_pid(void)
{
	switch (below(6)) {
	case 0: return getpid();
	case 1: return syscall(SYS_gettid);
	case 2: return 0;           /* the worker's own group: it is a session leader */
	case 3: return -getpid();
	case 4: return 0x3fffffff;  /* no such process */
	default: return threads[below(nthreads)].tid;
	}
}

static uint64_t gen_iov(void)
{
	if (one_in(6))
		return gen_buf();
	uint64_t *v = (uint64_t *)(scratch + SCRATCH / 2 + 1024);
	for (int i = 0; i < 16; i++) {
		v[2 * i] = gen_buf();
		v[2 * i + 1] = one_in(3) ? gen_len() : below(4096);
	}
	return (uint64_t)v;
}

/* FOREIGN is a stretch of user addresses where the program has nothing:
 * its text and data are low, its mappings start at 0x100000000000, its
 * stack is at the top. */
#define FOREIGN 0x600000000000ull

/* gen_addr is an address for the memory calls: a page in a mapping the
 * fuzzer made (memargs then bounds the length), or an address where
 * nothing of the program's own can be. */
static uint64_t gen_addr(void)
{
	switch (below(6)) {
	case 0: return kernel_ptrs[below(sizeof kernel_ptrs / sizeof kernel_ptrs[0])];
	case 1: return 0;
	case 2: return FOREIGN + (below(1 << 20) << 12);
	case 3: return interesting() & ~0xfffull;
	default: return anymap();
	}
}

static uint64_t gen_sock(void)
{
	static const uint16_t fams[] = { AF_INET, AF_INET6, AF_UNIX, AF_UNSPEC, AF_PACKET, 0xffff };
	unsigned char *s = (unsigned char *)(scratch + SCRATCH / 2 + 2048);
	if (one_in(5))
		return gen_buf();
	memset(s, 0, 128);
	uint16_t fam = fams[below(sizeof fams / sizeof fams[0])];
	memcpy(s, &fam, 2);
	uint16_t port = one_in(2) ? htons(8000 + below(8)) : rnd();
	memcpy(s + 2, &port, 2);
	if (fam == AF_INET) {
		static const uint32_t a[] = { 0x0100007f, 0, 0x0202000a, 0xffffffff };
		memcpy(s + 4, &a[below(4)], 4);
	} else if (fam == AF_INET6) {
		s[23] = one_in(2); /* :: or ::1 */
	} else if (fam == AF_UNIX) {
		strcpy((char *)s + 2, one_in(2) ? "s0" : "");
	} else {
		for (int i = 4; i < 128; i++)
			s[i] = rnd();
	}
	return (uint64_t)s;
}

/* gen_time points at a timespec (or timeval, or itimerval) of at most a
 * few milliseconds, so that calls with timeouts end by themselves. */
static uint64_t gen_time(void)
{
	if (one_in(5))
		return one_in(2) ? 0 : gen_buf();
	int64_t *t = (int64_t *)(scratch + SCRATCH / 2 + 3072);
	for (int i = 0; i < 4; i++)
		t[i] = i % 2 ? (int64_t)below(5000000) : 0;
	if (one_in(10))
		t[1] = interesting(); /* bad nanoseconds */
	return (uint64_t)t;
}

static uint64_t gen_ioctl(void)
{
	static const uint64_t v[] = {
		0x5401, 0x5402, 0x5403, 0x540b, 0x540e, 0x540f, 0x5410, 0x5413,
		0x5414, 0x541b, 0x5421, 0x5452, 0x5450, 0x5451, 0x5429, 0x4004667a,
	};
	return one_in(4) ? rnd() & 0xffffffff : v[below(sizeof v / sizeof v[0])];
}

static uint64_t gen(enum argtype t);

static uint64_t gen_any(void)
{
	switch (below(8)) {
	case 0: return gen(A_FD);
	case 1: return gen(A_BUF);
	case 2: return gen(A_LEN);
	case 3: return gen(A_FLAGS);
	case 4: return below(64);
	case 5: return rnd();
	default: return interesting();
	}
}

static uint64_t gen(enum argtype t)
{
	switch (t) {
	case A_FD: return gen_fd();
	case A_LEN: return gen_len();
	case A_BUF: return gen_buf();
	case A_PATH: return gen_path();
	case A_FLAGS: return gen_flags();
	case A_MODE: return one_in(4) ? rnd() : below(07777 + 1) | (one_in(2) ? S_IFREG : 0);
	case A_PID: return gen_pid();
	case A_SIG: return one_in(8) ? rnd() : below(65);
	case A_IOV: return gen_iov();
	case A_ADDR: return gen_addr();
	case A_SOCK: return gen_sock();
	case A_TIME: return gen_time();
	case A_CMD: return one_in(8) ? rnd() : below(48);
	case A_IOCTL: return gen_ioctl();
	default: return gen_any();
	}
}

/* ---- the calls ---- */

enum {
	RET_FD = 1,   /* the result is a new fd: keep it */
	RET_MAP = 2,  /* the result is a new mapping: keep it */
};

struct call {
	long nr;
	unsigned char arg[6];
	unsigned char flags;
};

#define C(nr, a, b, c, d, e, f, fl) { SYS_##nr, { a, b, c, d, e, f }, fl }
#define _ A_ANY

static const struct call calls[] = {
	C(read, A_FD, A_BUF, A_LEN, _, _, _, 0),
	C(write, A_FD, A_BUF, A_LEN, _, _, _, 0),
	C(open, A_PATH, A_FLAGS, A_MODE, _, _, _, RET_FD),
	C(close, A_FD, _, _, _, _, _, 0),
	C(stat, A_PATH, A_BUF, _, _, _, _, 0),
	C(fstat, A_FD, A_BUF, _, _, _, _, 0),
	C(lstat, A_PATH, A_BUF, _, _, _, _, 0),
	C(poll, A_BUF, A_CMD, A_CMD, _, _, _, 0),
	C(lseek, A_FD, A_LEN, A_CMD, _, _, _, 0),
	C(mmap, A_ADDR, A_LEN, A_FLAGS, A_FLAGS, A_FD, A_LEN, RET_MAP),
	C(mprotect, A_ADDR, A_LEN, A_FLAGS, _, _, _, 0),
	C(munmap, A_ADDR, A_LEN, _, _, _, _, 0),
	C(brk, A_ADDR, _, _, _, _, _, 0),
	C(rt_sigaction, A_SIG, A_BUF, A_BUF, A_LEN, _, _, 0),
	C(rt_sigprocmask, A_CMD, A_BUF, A_BUF, A_LEN, _, _, 0),
	C(ioctl, A_FD, A_IOCTL, A_BUF, _, _, _, 0),
	C(pread64, A_FD, A_BUF, A_LEN, A_LEN, _, _, 0),
	C(pwrite64, A_FD, A_BUF, A_LEN, A_LEN, _, _, 0),
	C(readv, A_FD, A_IOV, A_CMD, _, _, _, 0),
	C(writev, A_FD, A_IOV, A_CMD, _, _, _, 0),
	C(access, A_PATH, A_MODE, _, _, _, _, 0),
	C(pipe, A_BUF, _, _, _, _, _, 0),
	C(select, A_CMD, A_BUF, A_BUF, A_BUF, A_TIME, _, 0),
	C(sched_yield, _, _, _, _, _, _, 0),
	C(mremap, A_ADDR, A_LEN, A_LEN, A_FLAGS, A_ADDR, _, RET_MAP),
	C(msync, A_ADDR, A_LEN, A_FLAGS, _, _, _, 0),
	C(mincore, A_ADDR, A_LEN, A_BUF, _, _, _, 0),
	C(madvise, A_ADDR, A_LEN, A_CMD, _, _, _, 0),
	C(dup, A_FD, _, _, _, _, _, RET_FD),
	C(dup2, A_FD, A_FD, _, _, _, _, RET_FD),
	C(pause, _, _, _, _, _, _, 0),
	C(nanosleep, A_TIME, A_BUF, _, _, _, _, 0),
	C(getitimer, A_CMD, A_BUF, _, _, _, _, 0),
	C(alarm, A_CMD, _, _, _, _, _, 0),
	C(setitimer, A_CMD, A_TIME, A_BUF, _, _, _, 0),
	C(getpid, _, _, _, _, _, _, 0),
	C(sendfile, A_FD, A_FD, A_BUF, A_LEN, _, _, 0),
	C(socket, A_CMD, A_FLAGS, A_CMD, _, _, _, RET_FD),
	C(connect, A_FD, A_SOCK, A_LEN, _, _, _, 0),
	C(accept, A_FD, A_BUF, A_BUF, _, _, _, RET_FD),
	C(sendto, A_FD, A_BUF, A_LEN, A_FLAGS, A_SOCK, A_LEN, 0),
	C(recvfrom, A_FD, A_BUF, A_LEN, A_FLAGS, A_BUF, A_BUF, 0),
	C(sendmsg, A_FD, A_BUF, A_FLAGS, _, _, _, 0),
	C(recvmsg, A_FD, A_BUF, A_FLAGS, _, _, _, 0),
	C(shutdown, A_FD, A_CMD, _, _, _, _, 0),
	C(bind, A_FD, A_SOCK, A_LEN, _, _, _, 0),
	C(listen, A_FD, A_LEN, _, _, _, _, 0),
	C(getsockname, A_FD, A_BUF, A_BUF, _, _, _, 0),
	C(getpeername, A_FD, A_BUF, A_BUF, _, _, _, 0),
	C(socketpair, A_CMD, A_FLAGS, A_CMD, A_BUF, _, _, 0),
	C(setsockopt, A_FD, A_CMD, A_CMD, A_BUF, A_LEN, _, 0),
	C(getsockopt, A_FD, A_CMD, A_CMD, A_BUF, A_BUF, _, 0),
	C(wait4, A_PID, A_BUF, A_FLAGS, A_BUF, _, _, 0),
	C(kill, A_PID, A_SIG, _, _, _, _, 0),
	C(uname, A_BUF, _, _, _, _, _, 0),
	C(fcntl, A_FD, A_CMD, _, _, _, _, RET_FD),
	C(flock, A_FD, A_CMD, _, _, _, _, 0),
	C(fsync, A_FD, _, _, _, _, _, 0),
	C(fdatasync, A_FD, _, _, _, _, _, 0),
	C(truncate, A_PATH, A_LEN, _, _, _, _, 0),
	C(ftruncate, A_FD, A_LEN, _, _, _, _, 0),
	C(getdents, A_FD, A_BUF, A_LEN, _, _, _, 0),
	C(getcwd, A_BUF, A_LEN, _, _, _, _, 0),
	C(chdir, A_PATH, _, _, _, _, _, 0),
	C(fchdir, A_FD, _, _, _, _, _, 0),
	C(rename, A_PATH, A_PATH, _, _, _, _, 0),
	C(mkdir, A_PATH, A_MODE, _, _, _, _, 0),
	C(rmdir, A_PATH, _, _, _, _, _, 0),
	C(creat, A_PATH, A_MODE, _, _, _, _, RET_FD),
	C(link, A_PATH, A_PATH, _, _, _, _, 0),
	C(unlink, A_PATH, _, _, _, _, _, 0),
	C(symlink, A_PATH, A_PATH, _, _, _, _, 0),
	C(readlink, A_PATH, A_BUF, A_LEN, _, _, _, 0),
	C(chmod, A_PATH, A_MODE, _, _, _, _, 0),
	C(fchmod, A_FD, A_MODE, _, _, _, _, 0),
	C(chown, A_PATH, _, _, _, _, _, 0),
	C(fchown, A_FD, _, _, _, _, _, 0),
	C(lchown, A_PATH, _, _, _, _, _, 0),
	C(umask, A_MODE, _, _, _, _, _, 0),
	C(gettimeofday, A_BUF, A_BUF, _, _, _, _, 0),
	C(getrlimit, A_CMD, A_BUF, _, _, _, _, 0),
	C(getrusage, A_CMD, A_BUF, _, _, _, _, 0),
	C(sysinfo, A_BUF, _, _, _, _, _, 0),
	C(times, A_BUF, _, _, _, _, _, 0),
	C(getuid, _, _, _, _, _, _, 0),
	C(getgid, _, _, _, _, _, _, 0),
	C(setuid, _, _, _, _, _, _, 0),
	C(setgid, _, _, _, _, _, _, 0),
	C(geteuid, _, _, _, _, _, _, 0),
	C(getegid, _, _, _, _, _, _, 0),
	C(setpgid, A_PID, A_PID, _, _, _, _, 0),
	C(getppid, _, _, _, _, _, _, 0),
	C(getpgrp, _, _, _, _, _, _, 0),
	C(setsid, _, _, _, _, _, _, 0),
	C(setreuid, _, _, _, _, _, _, 0),
	C(setregid, _, _, _, _, _, _, 0),
	C(getgroups, A_LEN, A_BUF, _, _, _, _, 0),
	C(setgroups, A_LEN, A_BUF, _, _, _, _, 0),
	C(setresuid, _, _, _, _, _, _, 0),
	C(getresuid, A_BUF, A_BUF, A_BUF, _, _, _, 0),
	C(setresgid, _, _, _, _, _, _, 0),
	C(getresgid, A_BUF, A_BUF, A_BUF, _, _, _, 0),
	C(getpgid, A_PID, _, _, _, _, _, 0),
	C(setfsuid, _, _, _, _, _, _, 0),
	C(setfsgid, _, _, _, _, _, _, 0),
	C(getsid, A_PID, _, _, _, _, _, 0),
	C(rt_sigpending, A_BUF, A_LEN, _, _, _, _, 0),
	C(rt_sigtimedwait, A_BUF, A_BUF, A_TIME, A_LEN, _, _, 0),
	C(rt_sigsuspend, A_BUF, A_LEN, _, _, _, _, 0),
	C(sigaltstack, A_BUF, A_BUF, _, _, _, _, 0),
	C(statfs, A_PATH, A_BUF, _, _, _, _, 0),
	C(fstatfs, A_FD, A_BUF, _, _, _, _, 0),
	C(prctl, A_CMD, _, _, _, _, _, 0),
	C(setrlimit, A_CMD, A_BUF, _, _, _, _, 0),
	C(sync, _, _, _, _, _, _, 0),
	C(gettid, _, _, _, _, _, _, 0),
	C(tkill, A_PID, A_SIG, _, _, _, _, 0),
	C(time, A_BUF, _, _, _, _, _, 0),
	C(futex, A_BUF, A_CMD, _, A_TIME, A_BUF, _, 0),
	C(sched_getaffinity, A_PID, A_LEN, A_BUF, _, _, _, 0),
	C(epoll_create, A_LEN, _, _, _, _, _, RET_FD),
	C(getdents64, A_FD, A_BUF, A_LEN, _, _, _, 0),
	C(set_tid_address, A_BUF, _, _, _, _, _, 0),
	C(clock_gettime, A_CMD, A_BUF, _, _, _, _, 0),
	C(clock_getres, A_CMD, A_BUF, _, _, _, _, 0),
	C(clock_nanosleep, A_CMD, A_FLAGS, A_TIME, A_BUF, _, _, 0),
	C(epoll_wait, A_FD, A_BUF, A_CMD, A_CMD, _, _, 0),
	C(epoll_ctl, A_FD, A_CMD, A_FD, A_BUF, _, _, 0),
	C(tgkill, A_PID, A_PID, A_SIG, _, _, _, 0),
	C(openat, A_FD, A_PATH, A_FLAGS, A_MODE, _, _, RET_FD),
	C(mkdirat, A_FD, A_PATH, A_MODE, _, _, _, 0),
	C(fchownat, A_FD, A_PATH, _, _, A_FLAGS, _, 0),
	C(newfstatat, A_FD, A_PATH, A_BUF, A_FLAGS, _, _, 0),
	C(unlinkat, A_FD, A_PATH, A_FLAGS, _, _, _, 0),
	C(renameat, A_FD, A_PATH, A_FD, A_PATH, _, _, 0),
	C(linkat, A_FD, A_PATH, A_FD, A_PATH, A_FLAGS, _, 0),
	C(symlinkat, A_PATH, A_FD, A_PATH, _, _, _, 0),
	C(readlinkat, A_FD, A_PATH, A_BUF, A_LEN, _, _, 0),
	C(fchmodat, A_FD, A_PATH, A_MODE, A_FLAGS, _, _, 0),
	C(faccessat, A_FD, A_PATH, A_MODE, A_FLAGS, _, _, 0),
	C(pselect6, A_CMD, A_BUF, A_BUF, A_BUF, A_TIME, A_BUF, 0),
	C(ppoll, A_BUF, A_CMD, A_TIME, A_BUF, A_LEN, _, 0),
	C(set_robust_list, A_BUF, A_LEN, _, _, _, _, 0),
	C(utimensat, A_FD, A_PATH, A_TIME, A_FLAGS, _, _, 0),
	C(epoll_pwait, A_FD, A_BUF, A_CMD, A_CMD, A_BUF, A_LEN, 0),
	C(eventfd, A_LEN, _, _, _, _, _, RET_FD),
	C(accept4, A_FD, A_BUF, A_BUF, A_FLAGS, _, _, RET_FD),
	C(eventfd2, A_LEN, A_FLAGS, _, _, _, _, RET_FD),
	C(epoll_create1, A_FLAGS, _, _, _, _, _, RET_FD),
	C(dup3, A_FD, A_FD, A_FLAGS, _, _, _, RET_FD),
	C(pipe2, A_BUF, A_FLAGS, _, _, _, _, 0),
	C(preadv, A_FD, A_IOV, A_CMD, A_LEN, _, _, 0),
	C(pwritev, A_FD, A_IOV, A_CMD, A_LEN, _, _, 0),
	C(prlimit64, A_PID, A_CMD, A_BUF, A_BUF, _, _, 0),
	C(getrandom, A_BUF, A_LEN, A_FLAGS, _, _, _, 0),
	C(renameat2, A_FD, A_PATH, A_FD, A_PATH, A_FLAGS, _, 0),
	C(statx, A_FD, A_PATH, A_FLAGS, A_FLAGS, A_BUF, _, 0),
	C(rseq, A_BUF, A_LEN, A_FLAGS, _, _, _, 0),
	C(faccessat2, A_FD, A_PATH, A_MODE, A_FLAGS, _, _, 0),
	C(fork, _, _, _, _, _, _, 0),
	C(clone, A_FLAGS, _, A_BUF, A_BUF, A_BUF, _, 0),
	C(arch_prctl, A_CMD, A_BUF, _, _, _, _, 0),
};

#undef _
#undef C

/* excluded lists the calls never issued with random arguments: they end
 * the worker or the test by design, or reach memory, processes or fds the
 * fuzzer must keep (see the comment at the top). */
static int excluded(long nr)
{
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_reboot: case SYS_execve:
	case SYS_execveat: case SYS_rt_sigreturn: case SYS_clone: case SYS_clone3:
	case SYS_vfork: case SYS_fork: case SYS_kill: case SYS_tkill:
	case SYS_tgkill: case SYS_rt_sigqueueinfo: case SYS_rt_tgsigqueueinfo:
	case SYS_pidfd_send_signal: case SYS_mmap: case SYS_munmap:
	case SYS_mprotect: case SYS_mremap: case SYS_madvise: case SYS_brk:
	case SYS_arch_prctl: case SYS_close_range: case SYS_setpgid:
	case SYS_ptrace: case SYS_process_vm_writev: case SYS_seccomp:
	case SYS_unshare: case SYS_wait4: case SYS_waitid: case SYS_prlimit64:
	case SYS_pkey_mprotect: case SYS_shmat: case SYS_io_uring_setup:
	case SYS_kexec_load: case SYS_kexec_file_load:
		return 1;
	}
	return 0;
}

/* ---- the worker ---- */

static void report(uint64_t n)
{
	struct report r = { worker_id, (uint32_t)n };
	while (write(report_fd, &r, sizeof r) < 0 && errno == EINTR)
		;
}

/* forked is the child of a fuzzed fork: a few random calls, then out. An
 * alarm ends it if a call blocks. */
static void forked(void)
{
	signal(SIGALRM, SIG_DFL);
	alarm(2);
	for (int i = below(8); i > 0; i--) {
		const struct call *c = &calls[below(sizeof calls / sizeof calls[0])];
		if (c->nr == SYS_fork)
			continue;
		uint64_t a[6];
		for (int j = 0; j < 6; j++)
			a[j] = gen(c->arg[j]);
		syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

/* memargs keeps the memory calls off the program's own memory (text,
 * data, stacks, scratch buffers): a range inside one of the fuzzer's own
 * mappings, an address below the text, in FOREIGN, in the kernel or not
 * canonical, or a range that wraps or leaves user space. */
static void memargs(long nr, uint64_t *a)
{
	uint64_t end = a[0] + a[1];
	for (int k = 0; k < filled(&nmaps, MAX_MAPS); k++) {
		if (a[0] < maps[k] || a[0] >= maps[k] + maplen[k])
			continue;
		uint64_t pages = (maplen[k] + 4095) / 4096;
		a[0] = maps[k] + 4096 * below(pages);
		a[1] = below(maps[k] + pages * 4096 - a[0] + 1);
		end = 0;
		break;
	}
	if (end >= a[0] && end <= (1ull << 47) && end > 0x400000 && a[0] < (1ull << 47) &&
	    (a[0] < FOREIGN || end > FOREIGN + (1ull << 44))) {
		a[0] = FOREIGN + (a[0] & 0xfffff000);
		a[1] &= 0xffffffff;
	}
	if (nr == SYS_mremap)
		a[3] &= ~2ull; /* MREMAP_FIXED */
}

/* rawcall is a system call that touches no memory of its caller's, not
 * even errno: the child of a fuzzed clone shares its parent's thread
 * pointer and maybe its memory. */
static long rawcall(long nr)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

static int cloned(void *arg)
{
	(void)arg;
	rawcall(SYS_getppid);
	rawcall(SYS_gettid);
	rawcall(SYS_sched_yield);
	return 0;
}

/* fuzzclone clones with random flags (but never a new namespace's, which
 * needs root and says nothing of linuxd) and random tid and TLS pointers;
 * the child, on a stack of its own that is never freed, makes three calls
 * and exits. */
static void fuzzclone(uint64_t *a)
{
	static const uint64_t flags[] = {
		CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD, CLONE_SYSVSEM,
		CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID,
		CLONE_VFORK, CLONE_PARENT, CLONE_DETACHED, CLONE_UNTRACED, CLONE_IO, CLONE_PTRACE,
	};
	uint64_t f = one_in(2) ? SIGCHLD : below(65);
	for (int i = below(6); i > 0; i--)
		f |= flags[below(sizeof flags / sizeof flags[0])];
	char *stack = mmap(0, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		return;
	clone(cloned, stack + 16384, f, 0, (pid_t *)a[2], (void *)a[3], (pid_t *)a[4]);
}

/* one issues one random call. */
static void one(void)
{
	long nr;
	uint64_t a[6];
	unsigned flags = 0;
	if (one_in(10)) { /* any number, any arguments: ENOSYS paths too */
		do
			nr = below(460);
		while (excluded(nr));
		for (int j = 0; j < 6; j++)
			a[j] = gen_any();
	} else {
		const struct call *c = &calls[below(sizeof calls / sizeof calls[0])];
		nr = c->nr;
		flags = c->flags;
		for (int j = 0; j < 6; j++)
			a[j] = gen(c->arg[j]);
	}
	for (int j = 0; j < 6; j++)
		if (a[j] == (uint64_t)report_fd)
			a[j]++;
	switch (nr) {
	case SYS_fork:
		if (!one_in(50))
			return;
		if (syscall(SYS_fork) == 0)
			forked();
		return;
	case SYS_clone:
		if (one_in(3))
			fuzzclone(a);
		return;
	case SYS_arch_prctl:
		if (a[0] == 0x1002) /* ARCH_SET_FS would lose musl's thread pointer */
			a[0] = 0x1003;
		break;
	case SYS_kill: case SYS_tkill: case SYS_tgkill: {
		uint64_t *sig = &a[nr == SYS_tgkill ? 2 : 1];
		if (*sig == SIGSTOP)
			*sig = SIGCONT;
		break;
	}
	case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_mremap:
	case SYS_mmap: case SYS_msync: case SYS_mincore:
		memargs(nr, a);
		break;
	}
	long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r >= 0 && (flags & RET_FD))
		addfd(r);
	if ((flags & RET_MAP) && (uint64_t)r < (1ull << 47) && r > 0)
		addmap(r, a[1]);
}

static void *fuzzer(void *arg)
{
	struct fuzzthread *me = arg;
	me->tid = syscall(SYS_gettid);
	rng = worker_seed + (uint64_t)(me - threads) * 0xd1b54a32d192ed03ull;
	char *m = mmap(0, SCRATCH + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		syscall(SYS_exit_group, 3);
	munmap(m + SCRATCH, 4096);
	scratch = m;
	for (;;) {
		uint64_t i = __atomic_fetch_add(&issued, 1, __ATOMIC_RELAXED);
		if (i >= budget)
			syscall(SYS_exit_group, 0);
		if ((i + 1) % REPORT_EVERY == 0)
			report(REPORT_EVERY);
		else if (i + 1 == budget)
			report(budget % REPORT_EVERY);
		one();
		me->calls++;
		if (i + 1 == budget)
			syscall(SYS_exit_group, 0);
	}
	return 0;
}

static void nothing(int sig) { (void)sig; }

/* catch makes every signal but the fatal faults harmless, so that calls
 * the worker sends itself or sets up (alarm, kill) interrupt it instead of
 * killing it; the handlers run without SA_RESTART, so a blocked call ends
 * with EINTR when the kicker signals its thread. */
static void catch(void)
{
	struct sigaction sa = { .sa_handler = nothing };
	for (int s = 1; s < 65; s++) {
		switch (s) {
		case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP:
		case SIGABRT: case SIGSYS: case SIGKILL: case SIGSTOP:
		case 32: case 33: case 34: /* musl's own */
			continue;
		}
		sigaction(s, &sa, 0);
	}
}

/* setup gives the worker its scratch directory, drops root, and opens
 * the fds and makes the pages the fuzzer starts from. */
static void setup(int pipefd)
{
	char d[300];
	snprintf(d, sizeof d, "%s/w%d", dir, worker_id);
	setsid();
	mkdir(d, 0755);
	if (chown(d, NOBODY, NOBODY) < 0 || chdir(d) < 0)
		die(d);
	report_fd = dup2(pipefd, 500);
	if (report_fd < 0)
		die("dup2");
	close(pipefd);
	int null = open("/dev/null", O_RDWR);
	if (null < 0)
		die("/dev/null");
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	close(null);
	if (!keep_root && (setgroups(0, 0) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
		die("dropping root");
	int fd = open("f0", O_RDWR | O_CREAT, 0644);
	if (fd >= 0)
		write(fd, "sysfuzz\n", 8);
	addfd(fd);
	close(open("f1", O_RDWR | O_CREAT, 0600));
	mkdir("d0", 0755);
	close(open("d0/f", O_RDWR | O_CREAT, 0644));
	symlink("f0", "l0");
	symlink("nonexistent", "l1");
	addfd(open("d0", O_RDONLY | O_DIRECTORY));
	addfd(open("/dev/null", O_RDWR));
	addfd(open("/dev/zero", O_RDONLY));
	addfd(open("/proc/self/status", O_RDONLY));
	int p[2];
	if (pipe2(p, O_NONBLOCK) == 0)
		addfd(p[0]), addfd(p[1]);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0)
		addfd(p[0]), addfd(p[1]);
	addfd(syscall(SYS_eventfd2, 0, 0));
	addfd(syscall(SYS_epoll_create1, 0));
	addfd(socket(AF_INET, SOCK_STREAM, 0));
	addfd(socket(AF_INET, SOCK_DGRAM, 0));
	addfd(socket(AF_INET6, SOCK_STREAM, 0));
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8000 + worker_id % 8),
		.sin_addr = { htonl(0x7f000001) } };
	if (l >= 0 && bind(l, (struct sockaddr *)&sin, sizeof sin) == 0)
		listen(l, 4);
	addfd(l);
	ropage = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	nonepage = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 4; i++) {
		char *m = mmap(0, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m != MAP_FAILED)
			addmap((uint64_t)m, 16384);
	}
	catch();
}

/* worker runs the fuzzing threads and, on its first thread, kicks every
 * thread that made no call since the last look out of the call it is
 * blocked in, and reaps the children of fuzzed forks. */
static void worker(int w, uint64_t n, uint64_t seed, int pipefd)
{
	worker_id = w;
	budget = n;
	rng = worker_seed = seed;
	setup(pipefd);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 256 << 10);
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&threads[t].th, &at, fuzzer, &threads[t]) != 0)
			syscall(SYS_exit_group, 3);
	uint64_t last[MAX_THREADS] = { 0 };
	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, 0);
		while (waitpid(-1, 0, WNOHANG) > 0)
			;
		for (int t = 0; t < nthreads; t++) {
			uint64_t c = threads[t].calls;
			if (c == last[t] && threads[t].tid > 0)
				syscall(SYS_tgkill, getpid(), threads[t].tid, SIGUSR1);
			last[t] = c;
		}
	}
}

/* ---- the supervisor ---- */

struct slot {
	pid_t pid;
	uint64_t share, done, gen;
	time_t last; /* when it last reported */
	int finished;
};

static time_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int pipefds[2];
static uint64_t seed0;

static void spawn(struct slot *s, int w)
{
	uint64_t seed = seed0 * 0x9e3779b97f4a7c15ull + ((uint64_t)w << 32) + s->gen++;
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(pipefds[0]);
		worker(w, s->share - s->done, seed, pipefds[1]);
	}
	s->pid = pid;
	s->last = now();
}

/* drain adds up the reports waiting in the pipe. */
static void drain(struct slot *slots, int nworkers)
{
	struct report r[64];
	ssize_t n;
	while ((n = read(pipefds[0], r, sizeof r)) > 0) {
		for (ssize_t i = 0; i < n / (ssize_t)sizeof r[0]; i++) {
			if (r[i].worker < (uint32_t)nworkers) {
				slots[r[i].worker].done += r[i].calls;
				slots[r[i].worker].last = now();
			}
		}
	}
}

int main(int argc, char **argv)
{
	uint64_t count = 10000;
	int nworkers = 4, opt;
	while ((opt = getopt(argc, argv, "n:s:w:t:d:r")) != -1) {
		switch (opt) {
		case 'n': count = strtoull(optarg, 0, 0); break;
		case 's': seed0 = strtoull(optarg, 0, 0); break;
		case 'w': nworkers = atoi(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'd': snprintf(dir, sizeof dir, "%s", optarg); break;
		case 'r': keep_root = 1; break;
		default:
			say("usage: sysfuzz [-n COUNT] [-s SEED] [-w WORKERS] [-t THREADS] [-d DIR] [-r]\n");
			return 2;
		}
	}
	if (nworkers < 1 || nworkers > MAX_WORKERS || nthreads < 1 || nthreads > MAX_THREADS) {
		say("sysfuzz: 1-%d workers of 1-%d threads\n", MAX_WORKERS, MAX_THREADS);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	mkdir(dir, 0755);
	if (pipe(pipefds) < 0 || fcntl(pipefds[0], F_SETFL, O_NONBLOCK) < 0)
		die("pipe");
	say("sysfuzz: seed %llu, %llu calls, %d workers of %d threads, in %s\n",
	    (unsigned long long)seed0, (unsigned long long)count, nworkers, nthreads, dir);
	struct slot slots[MAX_WORKERS] = { 0 };
	for (int w = 0; w < nworkers; w++) {
		slots[w].share = count / nworkers + (w < (int)(count % nworkers));
		spawn(&slots[w], w);
	}
	time_t start = now(), printed = start;
	uint64_t deaths = 0, stuck = 0, bysig[65] = { 0 };
	int line = 0, left = nworkers;
	while (left > 0) {
		struct pollfd pfd = { pipefds[0], POLLIN, 0 };
		poll(&pfd, 1, 500);
		drain(slots, nworkers);
		int st;
		pid_t pid;
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			drain(slots, nworkers); /* what it wrote before it ended */
			for (int w = 0; w < nworkers; w++) {
				struct slot *s = &slots[w];
				if (s->pid != pid || s->finished)
					continue;
				if (s->done >= s->share) {
					s->finished = 1;
					left--;
					break;
				}
				if (WIFSIGNALED(st)) {
					deaths++;
					bysig[WTERMSIG(st) & 63]++;
				} else if (WEXITSTATUS(st) != 0) {
					deaths++;
					bysig[0]++;
				}
				spawn(s, w);
			}
		}
		time_t t = now();
		for (int w = 0; w < nworkers; w++) {
			if (!slots[w].finished && t - slots[w].last >= STUCK_SECS) {
				kill(slots[w].pid, SIGKILL);
				stuck++;
				slots[w].last = t;
			}
		}
		if (t - printed >= PROGRESS_SECS && left > 0) {
			uint64_t done = 0;
			for (int w = 0; w < nworkers; w++)
				done += slots[w].done;
			say("sysfuzz: #%d calls %llu of %llu, %llu deaths, %llu stuck, %llds\n", ++line,
			    (unsigned long long)done, (unsigned long long)count,
			    (unsigned long long)deaths, (unsigned long long)stuck, (long long)(t - start));
			printed = t;
		}
	}
	uint64_t done = 0;
	char per[256] = "", sigs[256] = "";
	for (int w = 0; w < nworkers; w++) {
		done += slots[w].done;
		snprintf(per + strlen(per), sizeof per - strlen(per), " w%d=%llu/%llu", w,
			 (unsigned long long)slots[w].done, (unsigned long long)slots[w].gen);
	}
	for (int s = 0; s < 65; s++)
		if (bysig[s])
			snprintf(sigs + strlen(sigs), sizeof sigs - strlen(sigs), " %s%d=%llu",
				 s ? "sig" : "exit", s, (unsigned long long)bysig[s]);
	long secs = now() - start;
	say("sysfuzz: #%d done: %llu calls in %lds (%llu/s), seed %llu, %d workers of %d threads, "
	    "%llu deaths (%s ), %llu stuck; calls/starts per worker:%s\n",
	    ++line, (unsigned long long)done, secs, (unsigned long long)(done / (secs ? secs : 1)),
	    (unsigned long long)seed0, nworkers, nthreads, (unsigned long long)deaths, sigs,
	    (unsigned long long)stuck, per);
	return 0;
}
