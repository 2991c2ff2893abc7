/* exec: execve of a program with its arguments and environment, of a #!
 * script (whose interpreter is this program), and the errors: a missing
 * file, a file without execute permission, a directory, bad pointers. */
#include "check.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

extern char **environ;

/* show prints the arguments and the environment this image got; argument
 * 0 and paths are shown only by their last component. */
static void show(int argc, char **argv)
{
	say("argc %d\n", argc);
	for (int i = 1; i < argc; i++) {
		const char *s = strrchr(argv[i], '/');
		say("argv[%d] %s\n", i, s ? s + 1 : argv[i]);
	}
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "T_", 2))
			say("env %s\n", *e);
	say("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
	expect("AT_RANDOM present", getauxval(AT_RANDOM) != 0);
	expect("AT_ENTRY present", getauxval(AT_ENTRY) != 0);
}

static int run(const char *what, char *path, char **args, char **env)
{
	pid_t c = fork();
	if (c == 0) {
		execve(path, args, env);
		say("%s: -1 %s\n", what, errname(errno));
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	say("%s: exit %d\n", what, WEXITSTATUS(st));
	return st;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child")) {
		show(argc, argv);
		return 7;
	}
	if (argc > 1) { /* run as the interpreter of a script */
		say("as interpreter:\n");
		show(argc, argv);
		return 8;
	}
	char *env[] = {"T_ONE=1", "T_TWO=two words", "OTHER=x", NULL};
	char *args[] = {argv[0], "child", "a b", "", "last", NULL};
	run("execve self", argv[0], args, env);
	char *noenv[] = {NULL};
	char *one[] = {argv[0], "child", NULL};
	run("execve empty env", argv[0], one, noenv);

	char script[4200];
	int fd = open("script", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	int n = snprintf(script, sizeof script, "#!%s interp-arg\nignored body\n", argv[0]);
	write(fd, script, n);
	close(fd);
	char *sargs[] = {"script", "s1", "s2", NULL};
	run("execve #! script", "./script", sargs, env);

	fd = open("noshebang", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	write(fd, "\x7f" "ELX garbage that is not an executable\n", 39);
	close(fd);
	run("execve garbage", "./noshebang", sargs, env);

	fd = open("plain", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, "#!/bin/sh\n", 10);
	close(fd);
	run("execve without x bit", "./plain", sargs, env);
	run("execve missing", "./missing", sargs, env);
	run("execve directory", ".", sargs, env);
	run("execve through file", "./plain/x", sargs, env);

	fd = open("badinterp", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	write(fd, "#!/nonexistent/interp\n", 22);
	close(fd);
	run("execve #! missing interpreter", "./badinterp", sargs, env);

	pid_t c = fork();
	if (c == 0) {
		check("execve bad path pointer", syscall(SYS_execve, BAD, args, env));
		check("execve bad argv pointer", syscall(SYS_execve, argv[0], BAD, env));
		check("execve bad envp pointer", syscall(SYS_execve, argv[0], args, BAD));
		char *badargs[] = {argv[0], BAD, NULL};
		check("execve bad argument string", syscall(SYS_execve, argv[0], badargs, env));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	unlink("script"), unlink("noshebang"), unlink("plain"), unlink("badinterp");
	return 0;
}
