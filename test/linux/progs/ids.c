/* ids: getpid, getppid, gettid, setpgid, getpgid, getpgrp, setsid and
 * getsid, seen from a parent and its children. */
#include "check.h"
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(void)
{
	pid_t me = getpid();
	expect("getpid positive", me > 0);
	expect("gettid is pid", syscall(SYS_gettid) == me);
	expect("getppid differs", getppid() != me && getppid() > 0);
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		expect("child: getppid is parent", getppid() == me);
		expect("child: new pid", getpid() != me);
		expect("child: inherits group", getpgrp() == getpgid(me));
		check("child: setpgid(0,0)", setpgid(0, 0));
		expect("child: leads its group", getpgrp() == getpid());
		check("child: setsid as group leader", setsid());
		pid_t g = fork();
		if (g == 0) {
			pid_t s = setsid();
			expect("grandchild: setsid returns pid", s == getpid());
			expect("grandchild: getsid", getsid(0) == getpid());
			expect("grandchild: getpgid", getpgid(0) == getpid());
			check("grandchild: setpgid into other session", setpgid(0, getppid()));
			_exit(0);
		}
		waitpid(g, NULL, 0);
		write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	char x;
	read(p[0], &x, 1);
	expect("parent sees child's group", getpgid(c) == c);
	expect("parent's session unchanged", getsid(0) == getsid(me));
	expect("getsid of child same session", getsid(c) == getsid(0));
	check("setpgid of child to own group", setpgid(c, c));
	check("setpgid negative pgid", setpgid(0, -1));
	check("getpgid nonexistent", getpgid(999999));
	check("getsid nonexistent", getsid(999999));
	check("setpgid nonexistent", setpgid(999999, 0));
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);

	c = fork();
	if (c == 0) {
		pid_t s = setsid();
		expect("setsid in fresh child", s == getpid());
		expect("session and group", getsid(0) == s && getpgrp() == s);
		check("setsid twice", setsid());
		check("setpgid of session leader", setpgid(0, getppid()));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	check("child status", WEXITSTATUS(st));
	return 0;
}
