/* sigbusy: a signal reaches a thread that makes no system call. An
 * alarm's handler ends a loop that only spins; a signal sent to the
 * process interrupts its busy main thread; and a thread waiting on a
 * futex runs the handler, after which the wait returns EINTR, or, with
 * SA_RESTART, goes on waiting until a wake. Without interrupts each of
 * these would wait forever (the harness kills a program after a minute). */
#include "check.h"
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/syscall.h>

/* musl has no <linux/futex.h>. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static volatile sig_atomic_t got, stop;
static int word, ready;

static void on_signal(int sig) { got = sig; }

static void handle(int sig, int flags)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};
	sigaction(sig, &sa, NULL);
}

static long futex(int *addr, int op, int val)
{
	return syscall(SYS_futex, addr, op, val, NULL);
}

/* waiter waits on word until it changes and reports how its first wait
 * ended. */
static void *waiter(void *arg)
{
	(void)arg;
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	long r = futex(&word, FUTEX_WAIT_PRIVATE, 0);
	int e = errno;
	say("futex wait returned: %ld %s, handler ran: %d\n", r, r ? errname(e) : "-", got == SIGUSR1);
	while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0)
		futex(&word, FUTEX_WAIT_PRIVATE, 0);
	return NULL;
}

/* interruptWait signals a thread blocked on a futex, then wakes it. */
static void interruptWait(int flags)
{
	handle(SIGUSR1, flags);
	got = 0, word = 0, ready = 0;
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
		sched_yield();
	usleep(200000); /* until it waits in the kernel */
	pthread_kill(t, SIGUSR1);
	usleep(200000); /* the handler runs; with SA_RESTART it waits again */
	__atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
	futex(&word, FUTEX_WAKE_PRIVATE, 1);
	pthread_join(t, NULL);
}

static void *spinner(void *arg)
{
	(void)arg;
	while (!stop)
		;
	return NULL;
}

int main(void)
{
	handle(SIGALRM, 0);
	alarm(1);
	while (!got)
		;
	say("alarm ended a busy loop: %d\n", got == SIGALRM);

	/* The main thread spins while another spins too; kill(getpid())
	 * from a third would do, but the main thread signalling itself
	 * returns from kill with the signal delivered, so a second thread
	 * sends it after the main thread is in its loop. */
	handle(SIGUSR2, 0);
	got = 0;
	pthread_t t;
	pthread_create(&t, NULL, spinner, NULL);
	pid_t pid = getpid();
	if (fork() == 0) {
		usleep(200000);
		kill(pid, SIGUSR2);
		_exit(0);
	}
	while (!got)
		;
	stop = 1;
	pthread_join(t, NULL);
	say("kill reached a busy process: %d\n", got == SIGUSR2);

	interruptWait(0);
	interruptWait(SA_RESTART);
	return 0;
}
