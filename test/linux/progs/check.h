/*
 * check.h holds what every test program in test/linux shares. Each program
 * prints one line per check, built only from values that are the same on
 * every run and on Linux and Aramid alike, so the harness can compare the
 * two outputs byte for byte. Output goes straight to fd 1 with write(2), so
 * no stdio buffer is duplicated by fork or lost by _exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* BAD is an address that no test program maps: passing it to the kernel
 * must give EFAULT. */
#define BAD ((void *)1)

static inline void say(const char *fmt, ...)
{
	char b[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof b - 1)
		n = sizeof b - 1;
	for (int off = 0; off < n;) {
		ssize_t w = write(1, b + off, n - off);
		if (w <= 0)
			return;
		off += w;
	}
}

static inline const char *errname(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case EFBIG: return "EFBIG";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EMLINK: return "EMLINK";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case ETXTBSY: return "ETXTBSY";
	}
	static char b[16];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

/* check prints what a call returned: the value, or -1 and the errno's name.
 * Use it where the value itself is deterministic (fds, counts, 0). */
static inline long check(const char *what, long r)
{
	if (r == -1)
		say("%s: -1 %s\n", what, errname(errno));
	else
		say("%s: %ld\n", what, r);
	return r;
}

/* ok prints "ok" for any non-negative result (pids, addresses) and the
 * errno's name for -1. */
static inline long ok(const char *what, long r)
{
	if (r == -1)
		say("%s: -1 %s\n", what, errname(errno));
	else
		say("%s: ok\n", what);
	return r;
}

/* expect prints whether a condition holds. */
static inline int expect(const char *what, int cond)
{
	say("%s: %s\n", what, cond ? "yes" : "no");
	return cond;
}

/* nap sleeps ms milliseconds, through signal handlers' interruptions
 * (nanosleep returns EINTR even with SA_RESTART). */
static inline void nap(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
