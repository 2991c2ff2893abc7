/* timing: clock_gettime never goes back on CLOCK_MONOTONIC, nanosleep and
 * clock_nanosleep do not return early, and bad clocks, times and
 * pointers are refused. Only relations between times are printed. */
#include "check.h"
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static long long now(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return ns(t);
}

int main(void)
{
	struct timespec a, b;
	int mono = 1;
	long long prev = now(CLOCK_MONOTONIC);
	for (int i = 0; i < 1000; i++) {
		long long t = now(CLOCK_MONOTONIC);
		mono &= t >= prev;
		prev = t;
	}
	expect("CLOCK_MONOTONIC non-decreasing", mono);
	expect("CLOCK_REALTIME after 2020", now(CLOCK_REALTIME) > 1577836800LL * 1000000000);
	expect("time() agrees with CLOCK_REALTIME", llabs(time(NULL) - now(CLOCK_REALTIME) / 1000000000) <= 1);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	expect("gettimeofday agrees", llabs(tv.tv_sec - now(CLOCK_REALTIME) / 1000000000) <= 1);
	check("clock_gettime CLOCK_BOOTTIME", clock_gettime(CLOCK_BOOTTIME, &a));
	check("clock_gettime bad clock", clock_gettime(99, &a));
	check("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD));
	check("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &a));
	expect("resolution at most 1 ms", a.tv_sec == 0 && a.tv_nsec > 0 && a.tv_nsec <= 1000000);
	check("clock_getres bad clock", clock_getres(99, &a));

	long long t0 = now(CLOCK_MONOTONIC);
	struct timespec d = {0, 50000000};
	check("nanosleep 50 ms", nanosleep(&d, NULL));
	expect("slept at least 50 ms", now(CLOCK_MONOTONIC) - t0 >= 50000000);
	t0 = now(CLOCK_MONOTONIC);
	d.tv_sec = 0, d.tv_nsec = 20000000;
	check("clock_nanosleep relative", clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL));
	expect("slept at least 20 ms", now(CLOCK_MONOTONIC) - t0 >= 20000000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	b.tv_nsec += 30000000;
	if (b.tv_nsec >= 1000000000)
		b.tv_sec++, b.tv_nsec -= 1000000000;
	check("clock_nanosleep absolute", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &b, NULL));
	expect("woke at or after the deadline", now(CLOCK_MONOTONIC) >= ns(b));
	d.tv_sec = 0, d.tv_nsec = 0;
	check("nanosleep zero", nanosleep(&d, NULL));
	d.tv_nsec = 1000000000;
	check("nanosleep nsec too big", nanosleep(&d, NULL));
	d.tv_sec = -1, d.tv_nsec = 0;
	check("nanosleep negative", nanosleep(&d, NULL));
	check("nanosleep bad pointer", syscall(SYS_nanosleep, BAD, NULL));
	d.tv_sec = 0, d.tv_nsec = 1000;
	say("clock_nanosleep bad clock: %s\n", errname(clock_nanosleep(99, 0, &d, NULL)));
	return 0;
}
