/* jobctl: job control. SIGSTOP stops a child, which then makes no
 * progress; wait4 with WUNTRACED reports the stop once, and with
 * WCONTINUED the SIGCONT that ends it; the parent's SIGCHLD says
 * CLD_STOPPED and CLD_CONTINUED. SIGTSTP stops too, unless ignored, and
 * a stopped child still dies of SIGKILL. A child that only spins stops
 * as well. Each child leads a process group of its own: Linux discards
 * SIGTSTP sent to an orphaned group, and whether the harness's group is
 * orphaned depends on how the tests were started. */
#include "check.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t codes[8], ncodes;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	if (ncodes < 8)
		codes[ncodes++] = si->si_code;
}

/* child forks a child that leads a process group of its own, whose
 * parent (this process) is in another group of the same session: not
 * orphaned. */
static pid_t child(void)
{
	pid_t pid = fork();
	if (pid == 0)
		setpgid(0, 0);
	else if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* writer writes a byte to fd every 10 ms, forever. */
static pid_t writer(int fd)
{
	pid_t pid = child();
	if (pid == 0) {
		for (;;) {
			write(fd, "x", 1);
			usleep(10000);
		}
	}
	return pid;
}

/* drained reads what fd holds (non-blocking) and reports whether there
 * was anything. */
static int drained(int fd)
{
	char b[4096];
	int any = 0;
	while (read(fd, b, sizeof b) > 0)
		any = 1;
	return any;
}

static void status(const char *what, pid_t pid, int options)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, options);
	if (r != pid) {
		say("%s: waitpid %ld %s\n", what, (long)r, r < 0 ? errname(errno) : "");
		return;
	}
	if (WIFSTOPPED(st))
		say("%s: stopped by %d\n", what, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		say("%s: continued\n", what);
	else if (WIFSIGNALED(st))
		say("%s: killed by %d\n", what, WTERMSIG(st));
	else
		say("%s: exit %d\n", what, WEXITSTATUS(st));
}

int main(void)
{
	struct sigaction sa = {.sa_sigaction = on_chld, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigaction(SIGCHLD, &sa, NULL);
	int p[2];
	pipe(p);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pid_t c = writer(p[1]);
	nap(100);
	expect("output before the stop", drained(p[0]));

	kill(c, SIGSTOP);
	status("after SIGSTOP", c, WUNTRACED);
	drained(p[0]);
	nap(300);
	expect("no output while stopped", !drained(p[0]));
	check("the stop is reported once (WNOHANG)", waitpid(c, NULL, WUNTRACED | WNOHANG));

	kill(c, SIGCONT);
	status("after SIGCONT", c, WCONTINUED);
	nap(100);
	expect("output after the continue", drained(p[0]));

	kill(c, SIGTSTP);
	status("after SIGTSTP", c, WUNTRACED);
	kill(c, SIGKILL);
	status("after SIGKILL", c, 0);
	say("SIGCHLD codes:");
	for (int i = 0; i < ncodes; i++)
		say(" %s", codes[i] == CLD_STOPPED ? "CLD_STOPPED" : codes[i] == CLD_CONTINUED ? "CLD_CONTINUED" : codes[i] == CLD_KILLED ? "CLD_KILLED" : "other");
	say("\n");

	/* A child that makes no system call stops as well. */
	c = child();
	if (c == 0)
		for (;;)
			;
	nap(100);
	kill(c, SIGSTOP);
	status("spinning child after SIGSTOP", c, WUNTRACED);
	kill(c, SIGKILL);
	status("spinning child after SIGKILL", c, 0);

	/* Ignored, SIGTSTP does not stop. */
	c = child();
	if (c == 0) {
		signal(SIGTSTP, SIG_IGN);
		pause();
		_exit(0);
	}
	nap(100);
	kill(c, SIGTSTP);
	check("ignored SIGTSTP does not stop (WNOHANG)", waitpid(c, NULL, WUNTRACED | WNOHANG));
	kill(c, SIGTERM);
	status("after SIGTERM", c, 0);
	return 0;
}
