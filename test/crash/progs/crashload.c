/*
 * crashload: the guest half of make test-crash. It writes files into
 * /crash until it is killed, and prints on the console what is durable:
 *
 *   crashload: verified N files of earlier boots
 *   crashload: started boot B
 *   DURABLE name           after the file was written, fsynced, renamed
 *                          into place and the directory fsynced
 *   REMOVING name          before the file is unlinked (it may be gone)
 *
 * Files are named bBOOT-STEP-SIZE and their contents are a function of
 * the name (fill below), which the host recomputes (test/crash/crash_test.go). Each is
 * written to name.tmp in chunks of random sizes, fsynced, and renamed
 * into place; files older than KEEP steps are removed, so the disk does
 * not fill. At start, crashload checks the files an earlier boot left
 * (after vfsd replayed the journal) and removes them.
 *
 * usage: crashload BOOT
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEEP 24
#define MAXSIZE (96 * 1024)

static unsigned long long rng = 88172645463325252ULL;

static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* fill is the contents of a file: byte i of file (boot, step). */
static unsigned char fill(unsigned boot, unsigned step, unsigned i)
{
	unsigned x = boot * 2654435761u ^ step * 40503u ^ i * 2246822519u;
	x ^= x >> 15;
	x *= 2654435761u;
	return (unsigned char)(x >> 24);
}

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0)
		_exit(2);
}

static void die(const char *what)
{
	char line[160];
	snprintf(line, sizeof line, "crashload: FAIL %s\n", what);
	say(line);
	_exit(1);
}

static void writefile(unsigned boot, unsigned step, const char *tmp, unsigned size)
{
	static unsigned char buf[MAXSIZE];
	for (unsigned i = 0; i < size; i++)
		buf[i] = fill(boot, step, i);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open");
	for (unsigned off = 0; off < size;) {
		unsigned n = 1 + next() % 20000;
		if (n > size - off)
			n = size - off;
		if (write(fd, buf + off, n) != (ssize_t)n)
			die("write");
		off += n;
	}
	if (fsync(fd) < 0)
		die("fsync");
	close(fd);
}

/* verify checks a complete file left by an earlier boot. */
static int verify(const char *name)
{
	static unsigned char buf[MAXSIZE + 1];
	unsigned boot, step, size;
	char path[300];
	if (sscanf(name, "b%u-%u-%u", &boot, &step, &size) != 3 || strchr(name, '.'))
		return 1;
	snprintf(path, sizeof path, "/crash/%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n, got = 0;
	while ((n = read(fd, buf + got, sizeof buf - got)) > 0)
		got += n;
	close(fd);
	if (got != (ssize_t)size)
		return 0;
	for (unsigned i = 0; i < size; i++)
		if (buf[i] != fill(boot, step, i))
			return 0;
	return 1;
}

/* sweep verifies and removes what earlier boots left in /crash. */
static void sweep(void)
{
	DIR *d = opendir("/crash");
	if (!d)
		die("opendir /crash");
	struct dirent *e;
	unsigned n = 0;
	char line[400], path[300];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!verify(e->d_name)) {
			snprintf(line, sizeof line, "crashload: FAIL /crash/%s is not what was written\n", e->d_name);
			say(line);
		}
		snprintf(path, sizeof path, "/crash/%s", e->d_name);
		snprintf(line, sizeof line, "REMOVING %s\n", e->d_name);
		say(line);
		if (unlink(path) < 0)
			die("unlink at start");
		n++;
	}
	closedir(d);
	snprintf(line, sizeof line, "crashload: verified %u files of earlier boots\n", n);
	say(line);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: crashload BOOT");
	unsigned boot = (unsigned)atoi(argv[1]);
	rng ^= boot * 0x9E3779B97F4A7C15ULL;
	mkdir("/crash", 0755);
	int dir = open("/crash", O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		die("open /crash");
	sweep();
	if (fsync(dir) < 0)
		die("fsync /crash");
	char line[160], name[64], path[96], tmp[100];
	snprintf(line, sizeof line, "crashload: started boot %u\n", boot);
	say(line);
	static char names[KEEP][64];
	for (unsigned step = 0; step < 100000; step++) {
		unsigned size = next() % MAXSIZE;
		snprintf(name, sizeof name, "b%u-%u-%u", boot, step, size);
		snprintf(path, sizeof path, "/crash/%s", name);
		snprintf(tmp, sizeof tmp, "%s.tmp", path);
		writefile(boot, step, tmp, size);
		if (rename(tmp, path) < 0)
			die("rename");
		if (fsync(dir) < 0)
			die("fsync /crash");
		snprintf(line, sizeof line, "DURABLE %s\n", name);
		say(line);
		if (step >= KEEP) {
			char *old = names[step % KEEP];
			snprintf(path, sizeof path, "/crash/%s", old);
			snprintf(line, sizeof line, "REMOVING %s\n", old);
			say(line);
			if (unlink(path) < 0)
				die("unlink");
		}
		strcpy(names[step % KEEP], name);
	}
	say("crashload: done\n");
	return 0;
}
