// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-mapwatch: a process that keeps a file mapped and only touches its
 * pages, with no file operation after mmap()
 * (tests/vm/branch-invalidate-timer.sh). Times are CLOCK_BOOTTIME seconds,
 * the clock of /proc/uptime.
 *
 *   sigbus FILE SECONDS [GO] map FILE, close it, read every page in a loop;
 *                            prints "sigbus_at=T pages=N" and exits 0 at the
 *                            first SIGBUS, or exits 1 when SECONDS pass
 *                            without one, or at a byte other than the one it
 *                            first saw; with GO, a path, the loop starts
 *                            only once GO exists (the mapping untouched
 *                            until then)
 *   change FILE SECONDS BYTE map FILE, close it, read its first byte in a
 *                            loop; prints "changed_at=T" and exits 0 when it
 *                            reads BYTE (a character), 1 after SECONDS
 *
 * Both print "mapped_at=T" once the mapping is read the first time. Exit 2:
 * usage or setup error.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_seen;
static volatile unsigned long pages;	/* page reads before the SIGBUS */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_bus(int sig)
{
	(void)sig;
	bus_seen = 1;
	siglongjmp(bus_jmp, 1);
}

/* Map all of @path read-only and shared, then close it; NULL on error. */
static const volatile unsigned char *map_file(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		perror(path);
		return NULL;
	}
	*len = st.st_size;
	p = mmap(NULL, *len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		return NULL;
	}
	return p;
}

/* Wait, without touching any mapping, until @path exists. */
static void wait_for(const char *path)
{
	struct stat st;

	while (stat(path, &st))
		usleep(50000);
}

static int watch_sigbus(const char *path, double secs, const char *go)
{
	const volatile unsigned char *p;
	unsigned char *first;
	size_t len, off;
	double end;

	p = map_file(path, &len);
	if (!p)
		return 2;
	first = malloc(len);
	if (!first)
		return 2;
	signal(SIGBUS, on_bus);
	if (sigsetjmp(bus_jmp, 1)) {
		printf("sigbus_at=%.3f pages=%lu\n", now(), (unsigned long)pages);
		return 0;
	}
	for (off = 0; off < len; off += 4096)
		first[off] = p[off];
	printf("mapped_at=%.3f\n", now());
	fflush(stdout);
	if (go)
		wait_for(go);
	end = now() + secs;
	while (now() < end) {
		for (off = 0; off < len; off += 4096, pages++) {
			if (p[off] != first[off]) {
				printf("byte %zu changed under the mapping\n", off);
				return 1;
			}
		}
	}
	printf("no SIGBUS after %.0f s, %lu page reads of the old bytes\n", secs,
	       (unsigned long)pages);
	return 1;
}

static int watch_change(const char *path, double secs, unsigned char want)
{
	const volatile unsigned char *p;
	double end;
	size_t len;

	p = map_file(path, &len);
	if (!p)
		return 2;
	if (sigsetjmp(bus_jmp, 1) == 0)
		signal(SIGBUS, on_bus);
	else
		return printf("SIGBUS on a mapping of main\n"), 1;
	(void)p[0];
	printf("mapped_at=%.3f\n", now());
	fflush(stdout);
	end = now() + secs;
	while (now() < end) {
		if (p[0] == want) {
			printf("changed_at=%.3f\n", now());
			return 0;
		}
	}
	printf("still 0x%02x after %.0f s\n", p[0], secs);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sigbus"))
		return watch_sigbus(argv[2], atof(argv[3]),
				    argc == 5 ? argv[4] : NULL);
	if (argc == 5 && !strcmp(argv[1], "change"))
		return watch_change(argv[2], atof(argv[3]), argv[4][0]);
	fprintf(stderr, "usage: daxfs-mapwatch sigbus FILE SECONDS [GO] | change FILE SECONDS BYTE\n");
	return 2;
}
