/* timerfd: a timer read as a file. One expiration of a one-shot timer,
 * the expirations of an interval timer counted across a sleep, absolute
 * times on CLOCK_MONOTONIC (in the past: at once) and CLOCK_REALTIME,
 * timerfd_gettime and the old setting, poll and epoll readiness, and the
 * errors of each call. Counts that depend on timing are printed as
 * bounds. */
#include "check.h"
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>

static long ms(struct timespec t) { return t.tv_sec * 1000 + t.tv_nsec / 1000000; }

static uint64_t readCount(int fd)
{
	uint64_t n = 0;
	if (read(fd, &n, 8) != 8)
		say("read: -1 %s\n", errname(errno));
	return n;
}

int main(void)
{
	check("unknown clock", timerfd_create(99, 0));
	check("unknown flag", timerfd_create(CLOCK_MONOTONIC, 1));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ok("create", fd);
	uint64_t n;
	check("read of an unarmed timer", read(fd, &n, 8));
	check("read of 4 bytes", read(fd, &n, 4));
	check("write", write(fd, &n, 8));
	struct itimerspec its = {0}, old;
	check("gettime unarmed", timerfd_gettime(fd, &old));
	expect("unarmed reads as zero", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);

	its.it_value.tv_nsec = 50 * 1000000;
	check("settime 50 ms", timerfd_settime(fd, 0, &its, &old));
	timerfd_gettime(fd, &old);
	expect("armed, at most 50 ms left", ms(old.it_value) <= 50 && (old.it_value.tv_sec || old.it_value.tv_nsec));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	check("poll until it expires", poll(&p, 1, 5000));
	expect("POLLIN", p.revents == POLLIN);
	say("one-shot expirations: %llu\n", (unsigned long long)readCount(fd));
	check("read again", read(fd, &n, 8));
	timerfd_gettime(fd, &old);
	expect("disarmed after it expired", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);

	its.it_value.tv_nsec = its.it_interval.tv_nsec = 10 * 1000000;
	timerfd_settime(fd, 0, &its, NULL);
	nap(100);
	expect("at least 5 expirations in 100 ms", readCount(fd) >= 5);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN}, got;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	check("epoll_wait", epoll_wait(ep, &got, 1, 5000));
	expect("EPOLLIN", got.events == EPOLLIN);
	struct itimerspec off = {0};
	check("disarm", timerfd_settime(fd, 0, &off, &old));
	expect("old interval 10 ms", old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 10 * 1000000);
	check("read after disarming", read(fd, &n, 8));
	check("epoll_wait disarmed", epoll_wait(ep, &got, 1, 100));

	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	its = (struct itimerspec){.it_value = {now.tv_sec - 1, now.tv_nsec}};
	check("absolute, in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	check("poll", poll(&p, 1, 5000));
	say("expirations: %llu\n", (unsigned long long)readCount(fd));

	int rt = timerfd_create(CLOCK_REALTIME, 0);
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 50 * 1000000;
	if (now.tv_nsec >= 1000000000)
		now.tv_sec++, now.tv_nsec -= 1000000000;
	its = (struct itimerspec){.it_value = now};
	check("absolute on CLOCK_REALTIME", timerfd_settime(rt, TFD_TIMER_ABSTIME, &its, NULL));
	say("blocking read: %llu\n", (unsigned long long)readCount(rt));

	its = (struct itimerspec){.it_value = {0, 1000000000}};
	check("tv_nsec of a second", timerfd_settime(fd, 0, &its, NULL));
	its = (struct itimerspec){.it_value = {1, 0}};
	check("unknown settime flag", timerfd_settime(fd, 4, &its, NULL));
	check("bad pointer", timerfd_settime(fd, 0, BAD, NULL));
	check("descriptor 999", timerfd_settime(999, 0, &its, NULL));
	int pp[2];
	pipe(pp);
	check("settime of a pipe", timerfd_settime(pp[0], 0, &its, NULL));
	check("gettime of a pipe", timerfd_gettime(pp[0], &old));
	check("gettime to a bad pointer", timerfd_gettime(fd, BAD));
	check("close an armed timer", close(rt));
	return 0;
}
