/* timers: alarm and the real-time interval timer deliver SIGALRM; alarm
 * reports what was left of the previous one; setitimer and getitimer
 * agree; bad arguments fail. */
#include <signal.h>
#include <sys/time.h>
#include "check.h"

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	fired++;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, 0);

	say("alarm first: %u\n", alarm(5));
	unsigned left = alarm(0);
	say("alarm left of 5: %s\n", left == 5 || left == 4 ? "5 or 4" : "other");

	alarm(1);
	while (!fired)
		pause();
	say("alarm fired: %d\n", fired);

	struct itimerval it = {.it_interval = {0, 100000}, .it_value = {0, 100000}};
	check("setitimer real", setitimer(ITIMER_REAL, &it, 0));
	struct itimerval got;
	check("getitimer real", getitimer(ITIMER_REAL, &got));
	say("interval kept: %ld.%06ld\n", (long)got.it_interval.tv_sec, (long)got.it_interval.tv_usec);
	fired = 0;
	while (fired < 3)
		pause();
	say("interval fired 3 times: yes\n");
	struct itimerval off = {0};
	check("setitimer off", setitimer(ITIMER_REAL, &off, &got));
	say("old interval: %ld.%06ld\n", (long)got.it_interval.tv_sec, (long)got.it_interval.tv_usec);
	check("getitimer after off", getitimer(ITIMER_REAL, &got));
	say("value after off: %ld.%06ld\n", (long)got.it_value.tv_sec, (long)got.it_value.tv_usec);

	struct itimerval bad = {.it_value = {0, 2000000}};
	check("setitimer bad usec", setitimer(ITIMER_REAL, &bad, 0));
	check("getitimer bad pointer", getitimer(ITIMER_REAL, BAD));
	return 0;
}
