/*
 * pintest checks placement from a native process (docs/smp.md): init
 * starts it as "pintest@cpu1!" at -smp 2, so it and every thread it starts
 * must run on CPU 1 only. Then it moves one thread at a time with the
 * affinity call and checks each stays where it was put while the others
 * keep both CPUs busy, and that the call refuses what it must. getcpu
 * and sched_getaffinity are answered by the kernel.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NATIVE 0x1000 /* lib/abi */
#define SYS_AFFINITY (NATIVE + 13)

enum { CHECKS = 20000, THREADS = 3 };

static volatile int done, failed;

static void fail(const char *what, long v) {
	printf("pintest: FAIL %s: %ld\n", what, v);
	__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
}

static long cpu(void) {
	unsigned c = 99;
	if (syscall(SYS_getcpu, &c, 0, 0) != 0)
		fail("getcpu", errno);
	return c;
}

static long affinity(long tid, long mask) {
	long r = syscall(SYS_AFFINITY, 0, tid, mask);
	return r < 0 ? -errno : r;
}

static long mask(void) {
	uint64_t m = 0;
	if (syscall(SYS_sched_getaffinity, 0, sizeof m, &m) != sizeof m)
		fail("sched_getaffinity", errno);
	return m;
}

/* stay checks that the calling thread runs on CPU want for CHECKS reads,
 * yielding, sleeping and spinning in between, so that it is switched out
 * and back in many times. */
static void stay(const char *who, long want) {
	struct timespec ts = {0, 100000};
	for (int i = 0; i < CHECKS; i++) {
		long c = cpu();
		if (c != want) {
			printf("pintest: %s on cpu %ld at check %d, want cpu %ld\n", who, c, i, want);
			fail(who, c);
			return;
		}
		if (i % 100 == 0)
			nanosleep(&ts, 0);
		else if (i % 10 == 0)
			sched_yield();
	}
}

static void *placed(void *arg) {
	(void)arg;
	if (mask() != 2)
		fail("a new thread's mask", mask());
	stay("a thread of the placed process", 1);
	__atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* moved pins itself to CPU arg and stays there. */
static void *moved(void *arg) {
	long want = (intptr_t)arg;
	long r = affinity(syscall(SYS_gettid), 1L << want);
	if (r != 1L << want)
		fail("affinity of the calling thread", r);
	stay("a thread that pinned itself", want);
	__atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void start(void *(*fn)(void *), long arg) {
	pthread_t t;
	if (pthread_create(&t, 0, fn, (void *)(intptr_t)arg) != 0)
		fail("pthread_create", arg);
}

static void wait_for(int n) {
	while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) < n)
		sched_yield();
}

int main(void) {
	if (mask() != 2 || affinity(0, 0) != 2) {
		printf("pintest: FAIL not placed on cpu 1: mask %#lx, process mask %#lx\n", mask(), affinity(0, 0));
		return 1;
	}
	for (int i = 0; i < THREADS; i++)
		start(placed, 0);
	stay("the placed process's first thread", 1);
	wait_for(THREADS);
	if (!failed)
		printf("pintest: placed on cpu 1 by init: %d threads stayed there\n", THREADS + 1);

	if (affinity(0, 3) != 3)
		fail("the process's mask", affinity(0, 0));
	start(moved, 0);
	start(moved, 1);
	start(moved, 1);
	long me = syscall(SYS_gettid);
	if (affinity(me, 1) != 1)
		fail("pinning the main thread", 0);
	stay("the main thread moved to cpu 0", 0);
	wait_for(THREADS + 3);
	if (!failed)
		printf("pintest: threads pinned to cpu 0 and cpu 1 stayed there\n");

	long e[] = {affinity(me, 1L << 40), affinity(0x7fffffff, 1), (long)syscall(SYS_AFFINITY, 60, 0, 1) < 0 ? -errno : 0};
	if (e[0] != -EINVAL || e[1] != -ESRCH || e[2] != -EBADF) {
		printf("pintest: FAIL errors %ld %ld %ld, want %d %d %d\n", e[0], e[1], e[2], -EINVAL, -ESRCH, -EBADF);
		failed = 1;
	}
	if (affinity(me, 0) != 1)
		fail("the main thread's mask after refusals", affinity(me, 0));
	if (failed)
		return 1;
	printf("PINTEST PASS\n");
	return 0;
}
