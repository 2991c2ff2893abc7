/* threads: pthread_create and pthread_join on musl, which use clone with
 * CLONE_THREAD, CLONE_SETTLS and CLONE_CHILD_CLEARTID and futex waits:
 * return values, shared memory under a mutex, thread-local storage, a
 * condition variable, distinct tids in one thread group, and a thread
 * that calls exit for the whole process. */
#include "check.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static __thread int tls = 5;
static pid_t tids[4];

static void *add(void *arg)
{
	intptr_t i = (intptr_t)arg;
	tls += i;
	tids[i] = syscall(SYS_gettid);
	for (int k = 0; k < 1000; k++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return (void *)(intptr_t)(tls * 10 + (getpid() == tids[i] ? 1 : 0));
}

static void *waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return (void *)77;
}

static void *quitter(void *arg)
{
	(void)arg;
	exit(33);
}

int main(void)
{
	pthread_t t[4];
	for (intptr_t i = 0; i < 4; i++)
		check("pthread_create", pthread_create(&t[i], NULL, add, (void *)i));
	for (int i = 0; i < 4; i++) {
		void *r;
		check("pthread_join", pthread_join(t[i], &r));
		say("thread %d returned %ld\n", i, (long)(intptr_t)r);
	}
	say("counter: %ld\n", counter);
	say("main's tls unchanged: %d\n", tls);
	int distinct = 1;
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			distinct &= tids[i] != tids[j];
	expect("tids distinct", distinct);

	pthread_t w;
	pthread_create(&w, NULL, waiter, NULL);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	void *r;
	pthread_join(w, &r);
	say("condition waiter returned %ld\n", (long)(intptr_t)r);

	pid_t c = fork();
	if (c == 0) {
		pthread_t q;
		pthread_create(&q, NULL, quitter, NULL);
		pthread_join(q, NULL);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	say("exit from a thread ends the process: %d\n", WEXITSTATUS(st));

	c = fork();
	if (c == 0) {
		pthread_create(&w, NULL, add, (void *)1);
		pthread_join(w, &r);
		_exit((int)(intptr_t)r);
	}
	waitpid(c, &st, 0);
	say("threads in a forked child: %d\n", WEXITSTATUS(st));
	return 0;
}
