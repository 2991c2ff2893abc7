/*
 * memhog exhausts physical memory from Linux processes: its children
 * each touch close to their 256 MiB limit, together more than the
 * machine's RAM, and one more maps terabytes without touching them, which
 * costs page tables. The system must survive it: only the hogs may die,
 * the servers (linuxd, vfsd, ...) must not, and the parent must see every
 * child end. Both found linuxd killed by a page fault in its own heap when
 * sysfuzz's workers had taken all the frames; mprotect(PROT_NONE) of a
 * vast empty range also held the CPU for minutes.
 *
 *	memhog [CHILDREN [MIB]]
 *
 * It prints how each child ended, then proves the system still works
 * (a file written and read back), and exits 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void hog(size_t mib)
{
	size_t n = mib << 20;
	char *p = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
	sleep(1); /* hold it while the others grow */
	_exit(0);
}

/* tables maps 64 GiB at a time, untouched, until the kernel refuses, and
 * takes access away from 16 TiB where nothing is mapped. */
static void tables(void)
{
	int maps = 0;
	while (maps < 64 && mmap(0, 64ull << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
		maps++;
	mprotect((void *)0x600000000000ull, 1ull << 44, PROT_NONE); /* Linux says ENOMEM */
	_exit(maps < 64 ? 0 : 3);
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 4;
	size_t mib = argc > 2 ? strtoul(argv[2], 0, 0) : 240;
	pid_t pids[65];
	if (children < 1 || children > 64)
		return 2;
	for (int i = 0; i <= children; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("memhog: fork");
			return 1;
		}
		if (pids[i] == 0 && i == children)
			tables();
		if (pids[i] == 0)
			hog(mib);
	}
	int survived = 0;
	for (int i = 0; i <= children; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) != pids[i]) {
			perror("memhog: waitpid");
			return 1;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0 && i < children)
			survived++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			printf("memhog: the terabyte mappings were refused in time\n");
		else if (WIFSIGNALED(st))
			printf("memhog: child %d killed by signal %d\n", i, WTERMSIG(st));
		else
			printf("memhog: child %d exit status %d\n", i, WEXITSTATUS(st));
	}
	int fd = open("/tmp/memhog", O_RDWR | O_CREAT | O_TRUNC, 0644);
	char b[8] = "";
	if (fd < 0 || write(fd, "alive", 5) != 5 || pread(fd, b, 5, 0) != 5 || strcmp(b, "alive") != 0) {
		perror("memhog: the file system after the hogs");
		return 1;
	}
	printf("memhog: %d of %d children held %zu MiB; the system is alive\n", survived, children, mib);
	return 0;
}
