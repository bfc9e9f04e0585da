// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-raceprobe: the guest side of the multi-guest races (tests/vm/multi-*.sh).
 * Each subcommand prints what it saw and exits 0 when the rule holds, 1 when
 * it does not, 2 on a usage error.
 *
 *   commit-at MNT FILE GO   FILE (on the branch mounted at MNT) is opened
 *                           read-write, mapped MAP_SHARED and every page of
 *                           it written (the branch's own pages); prints
 *                           "ready"; then waits, without sleeping, until GO
 *                           exists and commits MNT at once (DAXFS_IOC_COMMIT).
 *                           Prints "won" or "lost", then checks: a winner's
 *                           mapping still reads what was written and read()
 *                           works; a loser's commit failed with ESTALE, its
 *                           mapping raises SIGBUS and read() gives ESTALE.
 *                           Any other commit error is a failure.
 *   abort-at MNT GO [MS]    wait, without sleeping, until GO exists, then
 *                           MS milliseconds more (default 0), then abort MNT
 *                           (DAXFS_IOC_ABORT); prints "aborted" or "refused
 *                           ESTALE" and exits 0 either way (the caller
 *                           judges), 1 on any other error
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <daxfs_ioctl.h>

static sigjmp_buf fault_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(fault_jump, 1);
}

/* Read one byte at @p; true if that raised SIGBUS. */
static int read_faults(volatile const unsigned char *p)
{
	struct sigaction sa;
	volatile unsigned char sink;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(fault_jump, 1))
		return 1;
	sink = *p;
	(void)sink;
	return 0;
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

/* Wait for @go without sleeping: the racers leave within a 9p round trip. */
static void wait_go(const char *go)
{
	while (access(go, F_OK))
		;
}

static int want(int ok, const char *what, const char *saw)
{
	printf("%s %s: %s\n", ok ? "ok  " : "BAD ", what, saw);
	return ok ? 0 : 1;
}

static int commit_at(const char *mnt, const char *file, const char *go)
{
	int dfd = open(mnt, O_RDONLY | O_CLOEXEC);
	int fd = open(file, O_RDWR | O_CLOEXEC);
	unsigned char *buf, *m;
	struct stat st;
	size_t len, i;
	int r, err, bad = 0, faulted;
	ssize_t n;

	if (dfd < 0 || fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		printf("cannot open %s and a non-empty %s: %s\n", mnt, file, errname(errno));
		return 1;
	}
	len = (size_t)st.st_size;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	buf = malloc(len);
	if (m == MAP_FAILED || !buf) {
		printf("mmap %s: %s\n", file, errname(errno));
		return 1;
	}
	for (i = 0; i < len; i++)
		m[i] = (unsigned char)(m[i] ^ 0x5a);
	memcpy(buf, m, len);
	printf("ready (%zu bytes mapped and written)\n", len);
	fflush(stdout);
	wait_go(go);
	r = ioctl(dfd, DAXFS_IOC_COMMIT);
	err = r ? errno : 0;
	if (!r) {
		printf("won\n");
		faulted = read_faults(m);
		bad |= want(!faulted && !memcmp(m, buf, len), "the winner's mapping",
			    faulted ? "SIGBUS" : "same bytes or not");
		n = pread(fd, buf, len, 0);
		bad |= want(n == (ssize_t)len && !memcmp(m, buf, len), "the winner's read()",
			    n < 0 ? errname(errno) : "same bytes as the mapping or not");
		return bad;
	}
	printf("lost (%s)\n", errname(err));
	bad |= want(err == ESTALE, "the losing commit's error", errname(err));
	bad |= want(read_faults(m), "the loser's mapping", "SIGBUS expected");
	n = pread(fd, buf, len, 0);
	bad |= want(n < 0 && errno == ESTALE, "the loser's read()",
		    n < 0 ? errname(errno) : "succeeded");
	return bad;
}

static int abort_at(const char *mnt, const char *go, unsigned int ms)
{
	int dfd = open(mnt, O_RDONLY | O_CLOEXEC);

	if (dfd < 0) {
		printf("cannot open %s: %s\n", mnt, errname(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	wait_go(go);
	usleep(ms * 1000);
	if (!ioctl(dfd, DAXFS_IOC_ABORT)) {
		printf("aborted\n");
		return 0;
	}
	printf("refused %s\n", errname(errno));
	return errno == ESTALE ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "commit-at"))
		return commit_at(argv[2], argv[3], argv[4]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "abort-at"))
		return abort_at(argv[2], argv[3], argc == 5 ? (unsigned int)atoi(argv[4]) : 0);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: daxfs-raceprobe commit-at MNT FILE GO | abort-at MNT GO [MS]\n");
		return 0;
	}
	fprintf(stderr, "usage: daxfs-raceprobe commit-at MNT FILE GO | abort-at MNT GO [MS]\n");
	return 2;
}
