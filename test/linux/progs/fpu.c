/* fpu: each thread keeps its own x87 and SSE state across system calls
 * and switches. The kernel saves only the XMM registers on a trap and the
 * whole FXSAVE image only when it switches threads (docs/performance.md),
 * so three threads with different rounding modes (x87 control word and
 * MXCSR both) compute in long double (x87) and double (SSE) while they
 * trap, forwarded (getppid) and switching (sched_yield), and print the
 * exact results and the mode still in force. */
#include "check.h"
#include <fenv.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

static const int modes[3] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD};

struct result {
	long double x;
	double d;
	int mode_kept;
};

static struct result results[3];

static void *work(void *arg)
{
	intptr_t i = (intptr_t)arg;
	fesetround(modes[i]);
	long double x = 1.0L;
	volatile double d = 1.0;
	for (int k = 0; k < 3000; k++) {
		x = x / 3.0L + 1.0L / 7.0L;
		d = d / 3.0 + 1.0 / 7.0;
		if (k % 8 == 0)
			sched_yield();
		else
			getppid();
	}
	results[i] = (struct result){x, d, fegetround() == modes[i]};
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	for (intptr_t i = 1; i < 3; i++)
		check("pthread_create", pthread_create(&t[i - 1], NULL, work, (void *)i));
	work((void *)0);
	for (int i = 0; i < 2; i++)
		check("pthread_join", pthread_join(t[i], NULL));
	for (int i = 0; i < 3; i++)
		say("thread %d: long double %La, double %a, rounding mode kept %d\n",
		    i, results[i].x, results[i].d, results[i].mode_kept);
	return 0;
}
