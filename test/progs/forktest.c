/*
 * forktest checks Aramid's copy-on-write process fork from a musl-static C
 * program: the child sees the parent's memory, its writes stay its own, and
 * the parent's later writes do not reach the child.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#define SYS_PROCESS_FORK 0x100a /* lib/abi */
#define SYS_PROCESS_WAIT 0x1007

static char pages[1 << 20]; /* 256 pages */

/* holds reports whether pages[off, off+n) all hold c. */
static int holds(size_t off, size_t n, char c) {
	for (size_t i = off; i < off + n; i++)
		if (pages[i] != c)
			return 0;
	return 1;
}

static int all(char c) { return holds(0, sizeof pages, c); }

int main(void) {
	memset(pages, 'A', sizeof pages);
	long h = syscall(SYS_PROCESS_FORK, 0);
	if (h < 0) {
		printf("forktest: FAIL fork: %ld\n", h);
		return 1;
	}
	if (h == 0) {
		int saw = all('A');
		memset(pages, 'C', sizeof pages);
		return saw && all('C') ? 42 : 1;
	}
	memset(pages, 'P', sizeof pages / 2);
	long st = syscall(SYS_PROCESS_WAIT, h);
	if (st != 42) {
		printf("forktest: FAIL child status %ld, want 42\n", st);
		return 1;
	}
	/* The child wrote 'C' everywhere: the half the parent wrote must
	 * still be 'P', and the half it did not touch still 'A'. */
	size_t half = sizeof pages / 2;
	if (!holds(0, half, 'P') || !holds(half, half, 'A')) {
		printf("forktest: FAIL the child's writes reached the parent\n");
		return 1;
	}
	printf("FORK PASS: 1 MiB shared copy-on-write, each side kept its own writes\n");
	return 0;
}
