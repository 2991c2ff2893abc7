/* spawn: the ways a shell starts programs: a two-stage pipeline built
 * with fork, dup2 onto stdin and stdout and execve (end of file reaching
 * the reader across exec), vfork followed by execve, and posix_spawn,
 * whose musl implementation uses clone(CLONE_VM|CLONE_VFORK) and reports
 * a failed exec through a close-on-exec pipe. */
#include "check.h"
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

/* gen writes n numbered lines to stdout; count reads stdin to its end and
 * reports the lines and bytes. */
static int gen(int n)
{
	for (int i = 0; i < n; i++)
		say("line %d\n", i);
	return 0;
}

static int count(void)
{
	char b[256];
	long lines = 0, bytes = 0;
	ssize_t r;
	while ((r = read(0, b, sizeof b)) > 0) {
		bytes += r;
		for (ssize_t i = 0; i < r; i++)
			lines += b[i] == '\n';
	}
	say("count: %ld lines %ld bytes, last read %zd\n", lines, bytes, r);
	return 3;
}

static void status(const char *what, int st)
{
	if (WIFEXITED(st))
		say("%s: exited %d\n", what, WEXITSTATUS(st));
	else
		say("%s: signaled %d\n", what, WTERMSIG(st));
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "gen"))
		return gen(atoi(argv[2]));
	if (argc > 1 && !strcmp(argv[1], "count"))
		return count();

	int p[2];
	pipe(p);
	pid_t w = fork();
	if (w == 0) {
		dup2(p[1], 1);
		close(p[0]), close(p[1]);
		execl(argv[0], argv[0], "gen", "500", (char *)NULL);
		_exit(127);
	}
	pid_t r = fork();
	if (r == 0) {
		dup2(p[0], 0);
		close(p[0]), close(p[1]);
		execl(argv[0], argv[0], "count", (char *)NULL);
		_exit(127);
	}
	close(p[0]), close(p[1]);
	int st, st2;
	waitpid(w, &st, 0);
	waitpid(r, &st2, 0);
	status("writer", st);
	status("reader", st2);

	pid_t v = vfork();
	if (v == 0) {
		execl(argv[0], argv[0], "gen", "2", (char *)NULL);
		_exit(127);
	}
	waitpid(v, &st, 0);
	status("vfork and exec", st);
	v = vfork();
	if (v == 0)
		_exit(42);
	waitpid(v, &st, 0);
	status("vfork and _exit", st);

	pid_t s;
	int e;
	char *args[] = {argv[0], "gen", "3", NULL};
	e = posix_spawn(&s, argv[0], NULL, NULL, args, environ);
	waitpid(s, &st, 0);
	say("posix_spawn: %s\n", e ? errname(e) : "0");
	status("spawned", st);
	char *missing[] = {"./missing", NULL};
	e = posix_spawn(&s, "./missing", NULL, NULL, missing, environ);
	say("posix_spawn missing: %s\n", e ? errname(e) : "0");
	if (e == 0) {
		waitpid(s, &st, 0);
		status("missing", st);
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	pipe(p);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	char *gen4[] = {argv[0], "gen", "4", NULL};
	e = posix_spawn(&s, argv[0], &fa, NULL, gen4, environ);
	say("posix_spawn with dup2: %s\n", e ? errname(e) : "0");
	close(p[1]);
	char b[256] = {0};
	int n = 0;
	for (ssize_t k; (k = read(p[0], b + n, sizeof b - 1 - n)) > 0;)
		n += k;
	say("read from spawned: %d bytes, first line %.6s\n", n, b);
	waitpid(s, &st, 0);
	status("spawned with dup2", st);
	return 0;
}
