/* segv: a write to a PROT_READ page, a read of an unmapped page and of a
 * PROT_NONE page raise SIGSEGV; the SA_SIGINFO handler sees si_addr and
 * si_code, and leaves with siglongjmp. Without a handler the process dies
 * of SIGSEGV. */
#include "check.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

static sigjmp_buf env;
static void *volatile addr;
static volatile int sig, code;

static void h(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	sig = s, addr = si->si_addr, code = si->si_code;
	siglongjmp(env, 1);
}

static const char *codename(int c)
{
	return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static void try(const char *what, volatile char *p, int write)
{
	sig = 0, addr = 0;
	if (sigsetjmp(env, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
		say("%s: no fault\n", what);
		return;
	}
	say("%s: signal %d si_addr matches %d si_code %s\n", what, sig, addr == (void *)p, codename(code));
}

int main(void)
{
	struct sigaction sa = {0};
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m[ps + 5] = 9;
	check("mprotect PROT_READ", mprotect(m + ps, ps, PROT_READ));
	try("write to PROT_READ", m + ps + 100, 1);
	try("read of PROT_READ", m + ps + 5, 0);
	try("write below it", m + 10, 1);
	mprotect(m + 2 * ps, ps, PROT_NONE);
	try("read of PROT_NONE", m + 2 * ps + 8, 0);
	munmap(m, ps);
	try("read of unmapped", m + 16, 0);
	try("write of NULL page", (char *)8, 1);
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	say("SIGSEGV unblocked after siglongjmp: %d\n", !sigismember(&cur, SIGSEGV));
	mprotect(m + ps, ps, PROT_READ | PROT_WRITE);
	try("write after mprotect back", m + ps + 100, 1);

	pid_t c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)(m + ps + 1) = 0;
		mprotect(m + ps, ps, PROT_READ);
		*(volatile char *)(m + ps + 1) = 0;
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	say("child without handler: signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
	return 0;
}
