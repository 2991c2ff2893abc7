/* sigchld: SIGCHLD reaches the parent's handler when a child exits, with
 * the child's pid and status in siginfo; SIG_IGN for SIGCHLD makes
 * children reap themselves. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static volatile int got, code, status;
static volatile pid_t from;

static void h(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	got++, from = si->si_pid, code = si->si_code, status = si->si_status;
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGCHLD, &sa, NULL);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t c = fork();
	if (c == 0)
		_exit(17);
	int st;
	waitpid(c, &st, 0); /* reap first; the signal stays pending */
	say("before unblock: got %d\n", got);
	sigprocmask(SIG_SETMASK, &old, NULL);
	say("after unblock: got %d from child %d code CLD_EXITED %d status %d\n", got, from == c,
	    code == CLD_EXITED, status);

	got = 0;
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	kill(c, SIGTERM);
	while (!got)
		sigsuspend(&old);
	say("killed child: got %d code CLD_KILLED %d status %d\n", got, code == CLD_KILLED, status);
	waitpid(c, &st, 0);
	say("wait: signaled %d\n", WTERMSIG(st));

	signal(SIGCHLD, SIG_IGN);
	c = fork();
	if (c == 0)
		_exit(0);
	check("wait with SIGCHLD ignored", wait(&st));

	signal(SIGCHLD, SIG_DFL);
	c = fork();
	if (c == 0)
		_exit(4);
	waitpid(c, &st, 0);
	say("default SIGCHLD: exited %d\n", WEXITSTATUS(st));
	return 0;
}
