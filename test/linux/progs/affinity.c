/* affinity: sched_setaffinity and sched_getaffinity through the raw
 * system calls, and getcpu. The process pins itself to the highest CPU it
 * may run on, then to the lowest, reads each mask back and checks with
 * getcpu that it stays there while it yields and sleeps; a thread and a
 * forked child keep the mask; and the errors: empty and offline-only
 * masks, the buffer size rules of the raw sched_getaffinity (which
 * returns the bytes it wrote: the kernel's mask size, or less if the
 * buffer is shorter), a missing pid, bad pointers. Every line is the same
 * whatever the CPU count. The mask size itself is not printed: Linux's
 * is NR_CPUS bits or, with CONFIG_CPUMASK_OFFSTACK (Debian's kernels),
 * nr_cpu_ids rounded up to a long; Aramid's is one long. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

typedef unsigned long mask_t[16]; /* 1024 CPUs, as glibc's cpu_set_t */

static long setaff(pid_t pid, size_t len, const void *m)
{
	long r = syscall(SYS_sched_setaffinity, pid, len, m);
	return r < 0 ? -errno : r;
}

static long getaff(pid_t pid, size_t len, void *m)
{
	long r = syscall(SYS_sched_getaffinity, pid, len, m);
	return r < 0 ? -errno : r;
}

static const char *res(long r)
{
	static char b[32];
	if (r < 0)
		return errname(-r);
	snprintf(b, sizeof b, "%ld", r);
	return b;
}

static unsigned cpu(void)
{
	unsigned c = ~0u;
	syscall(SYS_getcpu, &c, 0, 0);
	return c;
}

/* stays reports whether the caller runs on CPU want for 2000 reads of
 * getcpu, yielding and sleeping in between. */
static int stays(unsigned want)
{
	struct timespec ts = {0, 50000};
	for (int i = 0; i < 2000; i++) {
		if (cpu() != want)
			return 0;
		if (i % 100 == 0)
			nanosleep(&ts, 0);
		else if (i % 10 == 0)
			sched_yield();
	}
	return 1;
}

/* only reports whether the caller's mask is exactly CPU c. */
static int only(unsigned c)
{
	mask_t m = {0};
	return getaff(0, sizeof m, m) > 0 && m[0] == 1ul << c && m[1] == 0;
}

static unsigned pinned;

static void *thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)(only(pinned) && stays(pinned));
}

static void pin(const char *what, unsigned c)
{
	mask_t m = {0};
	m[0] = 1ul << c;
	pinned = c;
	say("%s: set: %s\n", what, res(setaff(0, sizeof m, m)));
	say("%s: read back is that CPU alone: %s\n", what, only(c) ? "yes" : "no");
	say("%s: getcpu stays on it: %s\n", what, stays(c) ? "yes" : "no");
}

int main(void)
{
	mask_t all = {0}, m = {0};
	long n = getaff(0, sizeof all, all);
	say("getaffinity returns a size in longs within the buffer: %s\n", n >= 8 && n % 8 == 0 && n <= (long)sizeof all ? "yes" : res(n));
	say("getaffinity of own pid returns the same: %s\n", getaff(getpid(), sizeof m, m) == n ? "yes" : "no");
	say("the masks agree: %s\n", memcmp(all, m, sizeof m) == 0 ? "yes" : "no");
	unsigned lo = 64, hi = 0;
	for (unsigned c = 0; c < 64; c++) {
		if (all[0] >> c & 1) {
			lo = c < lo ? c : lo;
			hi = c;
		}
	}
	say("a CPU in the mask: %s\n", lo < 64 ? "yes" : "no");
	say("getcpu is in the mask: %s\n", all[0] >> cpu() & 1 ? "yes" : "no");

	pin("highest CPU", hi);
	pthread_t t;
	void *ok = 0;
	if (pthread_create(&t, 0, thread, 0) == 0)
		pthread_join(t, &ok);
	say("a new thread keeps the mask and the CPU: %s\n", ok ? "yes" : "no");
	pid_t child = fork();
	if (child == 0)
		_exit(only(hi) && stays(hi) ? 0 : 1);
	int st = -1;
	waitpid(child, &st, 0);
	say("a forked child keeps the mask and the CPU: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	pin("lowest CPU", lo);

	memset(m, 0, sizeof m);
	say("set empty: %s\n", res(setaff(0, sizeof m, m)));
	m[15] = 1ul << 63;
	say("set CPU 1023 only: %s\n", res(setaff(0, sizeof m, m)));
	m[0] = 1ul << lo;
	say("set with 4 bytes: %s\n", res(setaff(0, 4, m)));
	say("set with 1 byte of a mask past CPU 7: %s\n", res(setaff(0, 1, (char *)m + 1)));
	say("set bad pointer: %s\n", res(setaff(0, sizeof m, BAD)));
	say("set missing pid: %s\n", res(setaff(0x3fffffff, sizeof m, m)));
	say("get with 4 bytes: %s\n", res(getaff(0, 4, m)));
	say("get with 12 bytes: %s\n", res(getaff(0, 12, m)));
	say("get with 0 bytes: %s\n", res(getaff(0, 0, m)));
	say("get with 8 bytes: %s\n", res(getaff(0, 8, m)));
	say("get bad pointer: %s\n", res(getaff(0, sizeof m, BAD)));
	say("get missing pid: %s\n", res(getaff(0x3fffffff, sizeof m, m)));
	say("mask after the refusals is the lowest CPU alone: %s\n", only(lo) ? "yes" : "no");
	say("set back to the first mask: %s\n", res(setaff(0, sizeof all, all)));
	memset(m, 0, sizeof m);
	getaff(0, sizeof m, m);
	say("the first mask again: %s\n", memcmp(all, m, sizeof m) == 0 ? "yes" : "no");
	return 0;
}
