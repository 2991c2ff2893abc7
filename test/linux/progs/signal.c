/* signal: sigaction handlers run on kill(getpid()), SIG_IGN discards,
 * sigprocmask blocks and unblocking delivers the pending signal once,
 * SA_RESETHAND, SA_SIGINFO's siginfo, and the bad arguments. */
#include "check.h"
#include <signal.h>
#include <sys/syscall.h>

static volatile int hits, last, code, pid_ok;

static void h(int sig) { hits++, last = sig; }

static void hinfo(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++, last = sig, code = si->si_code, pid_ok = si->si_pid == getpid();
}

int main(void)
{
	struct sigaction sa = {0}, old;
	sa.sa_handler = h;
	check("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, NULL));
	check("kill self", kill(getpid(), SIGUSR1));
	say("handler ran: hits %d sig %d\n", hits, last);
	check("raise", raise(SIGUSR1));
	say("after raise: hits %d\n", hits);

	check("sigaction read back", sigaction(SIGUSR1, NULL, &old));
	expect("old handler is h", old.sa_handler == h);

	signal(SIGUSR2, SIG_IGN);
	check("kill ignored", kill(getpid(), SIGUSR2));
	say("ignored: hits %d\n", hits);

	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	check("block SIGUSR1", sigprocmask(SIG_BLOCK, &set, NULL));
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	say("while blocked: hits %d\n", hits);
	sigpending(&pend);
	say("pending SIGUSR1: %d\n", sigismember(&pend, SIGUSR1));
	check("unblock SIGUSR1", sigprocmask(SIG_UNBLOCK, &set, NULL));
	say("after unblock (standard signals do not queue): hits %d\n", hits);
	sigpending(&pend);
	say("pending after unblock: %d\n", sigismember(&pend, SIGUSR1));

	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	say("mask empty: %d\n", sigismember(&cur, SIGUSR1) == 0);
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	say("SIGKILL blockable: %d, SIGSTOP blockable: %d, SIGTERM blocked: %d\n",
	    sigismember(&cur, SIGKILL), sigismember(&cur, SIGSTOP), sigismember(&cur, SIGTERM));
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);

	sa.sa_handler = h;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGHUP, &sa, NULL);
	hits = 0;
	kill(getpid(), SIGHUP);
	sigaction(SIGHUP, NULL, &old);
	say("SA_RESETHAND: hits %d, now default %d\n", hits, old.sa_handler == SIG_DFL);

	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = hinfo;
	sigaction(SIGUSR2, &sa, NULL);
	kill(getpid(), SIGUSR2);
	say("SA_SIGINFO from kill: sig %d si_code SI_USER %d si_pid self %d\n", last, code == SI_USER, pid_ok);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
	say("tgkill: si_code SI_TKILL %d\n", code == SI_TKILL);

	sa.sa_flags = 0;
	sa.sa_handler = h;
	check("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
	check("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
	check("sigaction signal 0", sigaction(0, &sa, NULL));
	check("sigaction signal 65", syscall(SYS_rt_sigaction, 65, &sa, NULL, 8));
	check("rt_sigaction bad sigset size", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4));
	check("rt_sigaction bad pointer", syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8));
	check("rt_sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8));
	check("rt_sigprocmask bad pointer", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8));
	check("kill bad signal", kill(getpid(), 99));
	check("kill signal 0 to self", kill(getpid(), 0));
	check("kill nonexistent pid", kill(999999, SIGUSR1));
	check("tgkill wrong thread group", syscall(SYS_tgkill, 999999, getpid(), SIGUSR1));
	return 0;
}
