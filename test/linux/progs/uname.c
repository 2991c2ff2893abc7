/* uname: the fields every Linux program looks at, and EFAULT. */
#include "check.h"
#include <sys/syscall.h>
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	check("uname", uname(&u));
	say("sysname: %s\n", u.sysname);
	say("machine: %s\n", u.machine);
	int maj = 0, min = 0;
	sscanf(u.release, "%d.%d", &maj, &min);
	expect("release is 3.2 or later (musl's minimum)", maj > 3 || (maj == 3 && min >= 2));
	expect("nodename set", u.nodename[0] != 0);
	expect("fields terminated", memchr(u.version, 0, sizeof u.version) != NULL);
	check("uname bad pointer", syscall(SYS_uname, BAD));
	return 0;
}
