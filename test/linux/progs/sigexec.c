/* sigexec: what signal state fork and execve keep: fork keeps handlers,
 * the mask and ignored signals; execve resets handlers to the default but
 * keeps SIG_IGN and the mask, and the pending set starts empty in a
 * forked child. */
#include "check.h"
#include <signal.h>
#include <sys/wait.h>

static void h(int s) { (void)s; }

static void report(const char *who)
{
	struct sigaction sa;
	sigset_t m, p;
	sigaction(SIGUSR1, NULL, &sa);
	const char *d1 = sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handler";
	sigaction(SIGUSR2, NULL, &sa);
	const char *d2 = sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handler";
	sigprocmask(SIG_SETMASK, NULL, &m);
	sigpending(&p);
	say("%s: USR1 %s, USR2 %s, HUP blocked %d, HUP pending %d\n", who, d1, d2, sigismember(&m, SIGHUP),
	    sigismember(&p, SIGHUP));
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		report("after exec");
		return 0;
	}
	signal(SIGUSR1, h);
	signal(SIGUSR2, SIG_IGN);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGHUP);
	report("parent");
	pid_t c = fork();
	if (c == 0) {
		report("forked child");
		execl(argv[0], argv[0], "exec", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	check("child status", WEXITSTATUS(st));
	char *args[] = {argv[0], "exec", NULL};
	c = fork();
	if (c == 0) {
		raise(SIGHUP); /* blocked, so pending across the exec */
		execv(argv[0], args);
		_exit(127);
	}
	waitpid(c, &st, 0);
	signal(SIGHUP, SIG_IGN); /* discard the parent's pending SIGHUP */
	sigpending(&m);
	say("ignoring discards pending: %d\n", !sigismember(&m, SIGHUP));
	return 0;
}
