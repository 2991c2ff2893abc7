/*
 * smpstress hammers what threads on several CPUs make racy, for a bounded
 * time, from one musl-static C process with threads (docs/smp.md):
 *
 * - IPC between CPUs: pairs of threads ping-pong numbered messages over
 *   kernel channels; every message must arrive once and in order.
 * - map and unmap across threads: threads mmap, fill, check, mprotect and
 *   munmap regions of the one address space at once.
 * - a fork and exit storm under a writing thread: while a thread keeps
 *   writing a counter, the main thread forks children in bursts; each child
 *   must see the counter frozen, which fails if a CPU kept a writable TLB
 *   entry of a page that fork made copy-on-write.
 *
 * Threads are never joined (Aramid's clone has no CLONE_CHILD_CLEARTID);
 * each reports through a counter. A lost wake-up shows as a hang, which
 * the boot test's timeout catches.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NATIVE 0x1000 /* lib/abi */
#define SYS_CHANNEL_CREATE (NATIVE + 2)
#define SYS_CHANNEL_WRITE (NATIVE + 3)
#define SYS_CHANNEL_READ (NATIVE + 4)
#define SYS_PROCESS_WAIT (NATIVE + 7)
#define SYS_PROCESS_FORK (NATIVE + 10)

enum {
	PAIRS = 2,
	MESSAGES = 3000,
	MAPPERS = 3,
	ROUNDS = 300,
	PAGES = 8,
	BURSTS = 10,
	BURST = 4,
};

static volatile int done, failed;
static volatile uint64_t hot; /* written without pause by the writer */
static volatile int stop;

static void fail(const char *what, long v) {
	printf("smpstress: FAIL %s: %ld\n", what, v);
	__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
}

static void finish(void) { __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST); }

static long send(long h, uint64_t v) {
	return syscall(SYS_CHANNEL_WRITE, h, &v, sizeof v, 0, 0);
}

static long recv(long h, uint64_t *v) {
	uint32_t actual[2];
	long r = syscall(SYS_CHANNEL_READ, h, v, sizeof *v, 0, 0, actual);
	if (r == 0 && actual[0] != sizeof *v)
		return -1000 - actual[0];
	return r;
}

/* pinger sends 1..MESSAGES and expects each back plus one. */
static void *pinger(void *arg) {
	long h = (long)(intptr_t)arg;
	for (uint64_t i = 1; i <= MESSAGES; i++) {
		uint64_t v;
		long r = send(h, i);
		if (r == 0)
			r = recv(h, &v);
		if (r != 0 || v != i + 1) {
			fail(r ? "ping" : "ping: reply out of order", r ? r : (long)v);
			break;
		}
	}
	finish();
	return 0;
}

static void *ponger(void *arg) {
	long h = (long)(intptr_t)arg;
	for (uint64_t i = 1; i <= MESSAGES; i++) {
		uint64_t v;
		long r = recv(h, &v);
		if (r == 0 && v != i) {
			fail("pong: message lost or repeated", (long)v);
			break;
		}
		if (r == 0)
			r = send(h, v + 1);
		if (r != 0) {
			fail("pong", r);
			break;
		}
	}
	finish();
	return 0;
}

/* mapper maps, fills, checks, write-protects and unmaps regions. */
static void *mapper(void *arg) {
	uint64_t id = (uint64_t)(intptr_t)arg;
	size_t size = PAGES * 4096;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t *p = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			fail("mmap", r);
			break;
		}
		uint64_t tag = id << 32 | (uint64_t)r;
		for (size_t k = 0; k < size / 8; k += 512)
			if (p[k] != 0) {
				fail("a fresh page was not zero", (long)p[k]);
				goto out;
			}
		for (size_t k = 0; k < size / 8; k += 64)
			p[k] = tag + k;
		if (mprotect(p, size, PROT_READ) != 0) {
			fail("mprotect", r);
			break;
		}
		for (size_t k = 0; k < size / 8; k += 64)
			if (p[k] != tag + k) {
				fail("a page lost its contents", (long)k);
				goto out;
			}
		if (munmap(p, size) != 0) {
			fail("munmap", r);
			break;
		}
	}
out:
	finish();
	return 0;
}

static void *writer(void *arg) {
	(void)arg;
	while (!stop)
		hot++;
	finish();
	return 0;
}

/* child checks that the counter stays frozen in its copy of memory. */
static void child(void) {
	uint64_t a = hot;
	for (volatile int i = 0; i < 200000; i++)
		;
	syscall(SYS_exit_group, hot == a ? 42 : 1);
}

static void forks(void) {
	for (int b = 0; b < BURSTS; b++) {
		long hs[BURST];
		for (int k = 0; k < BURST; k++) {
			hs[k] = syscall(SYS_PROCESS_FORK, 0);
			if (hs[k] == 0)
				child();
			if (hs[k] < 0) {
				fail("fork", hs[k]);
				return;
			}
		}
		for (int k = 0; k < BURST; k++) {
			long st = syscall(SYS_PROCESS_WAIT, hs[k]);
			if (st != 42)
				fail("a child saw the counter move after fork (status)", st);
		}
	}
}

static void start(void *(*fn)(void *), long arg) {
	pthread_t t;
	if (pthread_create(&t, 0, fn, (void *)(intptr_t)arg) != 0)
		fail("pthread_create", arg);
}

int main(void) {
	int threads = 0;
	for (int i = 0; i < PAIRS; i++) {
		uint32_t ends[2];
		long r = syscall(SYS_CHANNEL_CREATE, ends);
		if (r != 0) {
			fail("channel_create", r);
			return 1;
		}
		start(pinger, ends[0]);
		start(ponger, ends[1]);
		threads += 2;
	}
	for (int i = 0; i < MAPPERS; i++, threads++)
		start(mapper, i + 1);
	start(writer, 0);
	forks();
	stop = 1;
	threads++;
	while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) < threads)
		sched_yield();
	if (failed)
		return 1;
	printf("SMPSTRESS PASS: %d x %d messages between threads, %d x %d maps and unmaps, %d forks beside a writing thread (counter %llu)\n",
	       PAIRS, MESSAGES, MAPPERS, ROUNDS, BURSTS * BURST, (unsigned long long)hot);
	return 0;
}
