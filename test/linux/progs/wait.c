/* wait: fork, wait4 and waitpid with exit statuses, deaths by signal,
 * WNOHANG, waiting for a chosen child, and ECHILD. */
#include "check.h"
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void status(const char *what, int st)
{
	if (WIFEXITED(st))
		say("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		say("%s: signaled %d\n", what, WTERMSIG(st));
	else
		say("%s: other %#x\n", what, st);
}

int main(void)
{
	int st;
	check("wait with no children", wait(&st));
	check("WNOHANG with no children", waitpid(-1, &st, WNOHANG));
	int codes[] = {0, 1, 42, 255, 256 + 7};
	for (int i = 0; i < 5; i++) {
		pid_t c = fork();
		if (c == 0)
			_exit(codes[i]);
		char w[32];
		snprintf(w, sizeof w, "exit(%d)", codes[i]);
		expect("waitpid returns the child", waitpid(c, &st, 0) == c);
		status(w, st);
	}
	pid_t c = fork();
	if (c == 0)
		exit(3); /* through atexit and stdio */
	wait(&st);
	status("exit(3)", st);

	c = fork();
	if (c == 0) {
		kill(getpid(), SIGKILL);
		_exit(0);
	}
	waitpid(c, &st, 0);
	status("SIGKILL", st);
	c = fork();
	if (c == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(c, &st, 0);
	status("SIGTERM", st);

	int p[2];
	pipe(p);
	c = fork();
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);
		_exit(9);
	}
	close(p[0]);
	check("WNOHANG while child runs", waitpid(c, &st, WNOHANG));
	write(p[1], "g", 1);
	close(p[1]);
	expect("blocking wait after release", waitpid(c, &st, 0) == c);
	status("released child", st);

	pid_t a = fork();
	if (a == 0)
		_exit(11);
	pid_t b = fork();
	if (b == 0)
		_exit(22);
	expect("waitpid for the second child", waitpid(b, &st, 0) == b);
	status("second", st);
	struct rusage ru;
	expect("wait4 for the first child", wait4(a, &st, 0, &ru) == a);
	status("first", st);
	check("waitpid for a reaped child", waitpid(a, &st, 0));
	check("waitpid for pid 1 (not a child)", waitpid(1, &st, 0));
	check("waitpid bad options", waitpid(-1, &st, 0x100));

	c = fork();
	if (c == 0)
		_exit(5);
	check("wait4 bad status pointer", syscall(SYS_wait4, c, BAD, 0, 0));
	check("waitpid after wait4 EFAULT (Linux reaps first)", waitpid(c, &st, 0));

	c = fork();
	if (c == 0)
		_exit(6);
	expect("wait with NULL status", wait(NULL) == c);

	c = fork();
	if (c == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(1);
		waitpid(g, &st, 0);
		_exit(WEXITSTATUS(st) + 10);
	}
	waitpid(c, &st, 0);
	status("grandchild's status through child", st);
	return 0;
}
