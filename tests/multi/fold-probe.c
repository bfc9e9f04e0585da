// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-foldprobe: the guest side of tests/vm/multi-fold.sh (folds of main
 * run from one kernel while another reads, maps and commits). Each
 * subcommand prints what it saw and exits 0 when the rule holds, 1 when it
 * does not, 2 on a usage error, 3 when a system call failed.
 *
 *   fold MNT                 DAXFS_IOC_FOLD on the main mount MNT; prints
 *                            "fold slot=S slots_freed=N pages_freed=P
 *                            records=R log_pages=L pending=0|1 ms=T"
 *   info MNT                 DAXFS_IOC_INFO; prints "commit_seq=Q
 *                            delta_pages=D free_pages=F used_pages=U"
 *   live DEV                 the live words of the region on the block
 *                            device DEV (/dev/pmem0, read with O_DIRECT);
 *                            prints
 *                            "commit_seq=Q fold_head=H fold_need=N
 *                            readers=R" (R: entries of live.readers in use)
 *   write FILE TAG VER PAGES FILE gets PAGES self-describing pages of
 *                            version VER (written in place, no truncation):
 *                            each 4 KiB page is a header (magic, TAG, VER,
 *                            its index) and bytes that follow from them
 *   mapwatch FILE TAG PAGES LIMIT STOP
 *                            maps FILE MAP_SHARED, prints "ready", then
 *                            reads every page again and again (20 ms apart)
 *                            until the file STOP exists: each page must be
 *                            a whole page of FILE (TAG, its index) of a
 *                            version no older than the one it showed before
 *                            and no newer than the number in the file LIMIT
 *                            (read after the pass); never garbage, never
 *                            SIGBUS. STOP holds the final version: one last
 *                            pass must show it in every page. Prints the
 *                            passes, the version changes seen and the
 *                            versions.
 *   hold FILE STOP           opens FILE, reads it whole, maps it MAP_SHARED
 *                            and prints "ready"; until STOP exists, every
 *                            50 ms, read() and the mapping must give the
 *                            same bytes again (the file may lose its last
 *                            name meanwhile: the pin keeps its pages).
 *                            Prints the checks made.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <daxfs_format.h>
#include <daxfs_ioctl.h>

#define PAGE		4096
#define MAGIC		0x646c6f6678616466ull	/* "fdaxfold" */
#define MAX_PAGES	1024

struct page_hdr {
	uint64_t magic;
	uint32_t tag;
	uint32_t ver;
	uint32_t index;
	uint32_t zero;
};

static sigjmp_buf fault_jump;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(fault_jump, 1);
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "E?";
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The page @index of version @ver of the file @tag. */
static void make_page(unsigned char *p, uint32_t tag, uint32_t ver, uint32_t index)
{
	struct page_hdr h = { MAGIC, tag, ver, index, 0 };
	uint64_t x = ((uint64_t)tag << 40) ^ ((uint64_t)ver << 20) ^ index ^ 0x9e3779b97f4a7c15ull;
	size_t i;

	memcpy(p, &h, sizeof(h));
	for (i = sizeof(h); i < PAGE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

static int do_fold(const char *mnt)
{
	struct daxfs_ioc_fold st;
	int fd = open(mnt, O_RDONLY | O_CLOEXEC);
	uint64_t t0 = now_ms();

	if (fd < 0 || ioctl(fd, DAXFS_IOC_FOLD, &st)) {
		printf("fold %s: %s\n", mnt, errname(errno));
		return 3;
	}
	printf("fold slot=%u slots_freed=%u pages_freed=%llu records=%llu log_pages=%llu pending=%u ms=%llu\n",
	       st.fold_slot, st.slots_freed, (unsigned long long)st.pages_freed,
	       (unsigned long long)st.records, (unsigned long long)st.log_pages, st.pending,
	       (unsigned long long)(now_ms() - t0));
	return 0;
}

static int do_info(const char *mnt)
{
	struct daxfs_ioc_info in;
	int fd = open(mnt, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, DAXFS_IOC_INFO, &in)) {
		printf("info %s: %s\n", mnt, errname(errno));
		return 3;
	}
	printf("commit_seq=%llu delta_pages=%llu free_pages=%llu used_pages=%llu\n",
	       (unsigned long long)in.commit_seq, (unsigned long long)in.delta_pages,
	       (unsigned long long)in.free_pages,
	       (unsigned long long)(in.delta_pages - in.free_pages));
	return 0;
}

static int do_live(const char *dev)
{
	const struct daxfs_live *live;
	unsigned int i, readers = 0;
	void *page;
	int fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0 || posix_memalign(&page, PAGE, PAGE)) {
		printf("open %s: %s\n", dev, errname(errno));
		return 3;
	}
	/* O_DIRECT: the device's bytes, not a page cache copy of them. */
	if (pread(fd, page, PAGE, 0) != PAGE) {
		printf("read %s: %s\n", dev, errname(errno));
		return 3;
	}
	live = (const struct daxfs_live *)((unsigned char *)page + DAXFS_SUPER_FIXED_SIZE);
	for (i = 0; i < DAXFS_READER_COUNT; i++)
		readers += !!live->readers[i].beat;
	printf("commit_seq=%llu fold_head=%llu fold_need=%llu readers=%u\n",
	       (unsigned long long)live->commit_seq, (unsigned long long)live->fold_head,
	       (unsigned long long)live->fold_need, readers);
	return 0;
}

static int do_write(const char *file, uint32_t tag, uint32_t ver, uint32_t pages)
{
	unsigned char p[PAGE];
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	uint32_t i;

	if (fd < 0) {
		printf("open %s: %s\n", file, errname(errno));
		return 3;
	}
	for (i = 0; i < pages; i++) {
		make_page(p, tag, ver, i);
		if (pwrite(fd, p, PAGE, (off_t)i * PAGE) != PAGE) {
			printf("write %s page %u: %s\n", file, i, errname(errno));
			return 3;
		}
	}
	if (close(fd)) {
		printf("close %s: %s\n", file, errname(errno));
		return 3;
	}
	return 0;
}

/* The number in @file; -1 if it cannot be read. */
static long read_number(const char *file)
{
	char buf[32];
	ssize_t n;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/*
 * Copy page @i of the mapping to @p; -1 on SIGBUS. The version it holds is
 * returned, or -2 when it is no page of the file (then @p shows what).
 */
static long map_page(const unsigned char *m, uint32_t tag, uint32_t i, unsigned char *p)
{
	unsigned char want[PAGE];
	struct page_hdr h;

	if (sigsetjmp(fault_jump, 1))
		return -1;
	memcpy(p, m + (size_t)i * PAGE, PAGE);
	memcpy(&h, p, sizeof(h));
	if (h.magic != MAGIC || h.tag != tag || h.index != i || h.zero)
		return -2;
	make_page(want, tag, h.ver, i);
	return memcmp(p, want, PAGE) ? -2 : (long)h.ver;
}

static void show_bad(const unsigned char *p, uint32_t i)
{
	struct page_hdr h;

	memcpy(&h, p, sizeof(h));
	printf("BAD page %u: magic %016llx tag %u ver %u index %u; first bytes", i,
	       (unsigned long long)h.magic, h.tag, h.ver, h.index);
	for (int k = 0; k < 32; k++)
		printf(" %02x", p[k]);
	printf("\n");
}

static int do_mapwatch(const char *file, uint32_t tag, uint32_t pages, const char *limit_file,
		       const char *stop)
{
	static long seen[MAX_PAGES], ver[MAX_PAGES];
	unsigned char p[PAGE];
	struct sigaction sa;
	unsigned long passes = 0, changes = 0;
	long lo = -1, hi = -1, final = -1, limit, v;
	unsigned char *m;
	uint32_t i;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || pages == 0 || pages > MAX_PAGES) {
		printf("open %s: %s\n", file, errname(errno));
		return 3;
	}
	m = mmap(NULL, (size_t)pages * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap %s: %s\n", file, errname(errno));
		return 3;
	}
	/* The mapping alone is watched: no read() of the file refreshes it. */
	close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	for (i = 0; i < pages; i++)
		seen[i] = -1;
	printf("ready\n");
	for (;;) {
		if (!access(stop, F_OK)) {
			final = read_number(stop);
			if (final < 0)
				continue;	/* being written */
		}
		for (i = 0; i < pages; i++) {
			v = map_page(m, tag, i, p);
			if (v == -1) {
				printf("BAD page %u: SIGBUS after %lu passes\n", i, passes);
				return 1;
			}
			if (v == -2) {
				show_bad(p, i);
				printf("BAD after %lu passes: page %u is no page of the file (garbage)\n",
				       passes, i);
				return 1;
			}
			ver[i] = v;
		}
		/* Read after the pages: no page may be newer than a commit begun. */
		limit = read_number(limit_file);
		for (i = 0; i < pages; i++) {
			v = ver[i];
			if (v > limit) {
				printf("BAD page %u: version %ld, newer than any commit (%ld)\n",
				       i, v, limit);
				return 1;
			}
			if (v < seen[i]) {
				printf("BAD page %u: version %ld after %ld (went back)\n", i, v,
				       seen[i]);
				return 1;
			}
			if (final >= 0 && v != final) {
				printf("BAD page %u: version %ld at the end, want %ld\n", i, v,
				       final);
				return 1;
			}
			if (seen[i] >= 0 && v != seen[i])
				changes++;
			seen[i] = v;
			if (lo < 0 || v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
		passes++;
		if (final >= 0)
			break;
		usleep(20000);
	}
	printf("mapwatch: %lu passes, %lu page version changes seen, versions %ld..%ld, all pages at %ld at the end\n",
	       passes, changes, lo, hi, final);
	return 0;
}

/* 0 when the mapping @m shows @buf, 1 when other bytes, -1 on SIGBUS. */
static int map_differs(const unsigned char *m, const unsigned char *buf, size_t len)
{
	if (sigsetjmp(fault_jump, 1))
		return -1;
	return memcmp(m, buf, len) ? 1 : 0;
}

static int do_hold(const char *file, const char *stop)
{
	unsigned char *buf, *now, *m;
	struct sigaction sa;
	unsigned long checks = 0;
	struct stat st;
	size_t len;
	ssize_t n;
	int last = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		printf("open a non-empty %s: %s\n", file, errname(errno));
		return 3;
	}
	len = (size_t)st.st_size;
	buf = malloc(len);
	now = malloc(len);
	if (!buf || !now || pread(fd, buf, len, 0) != (ssize_t)len) {
		printf("read %s: %s\n", file, errname(errno));
		return 3;
	}
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap %s: %s\n", file, errname(errno));
		return 3;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigaction(SIGBUS, &sa, NULL);
	printf("ready (%zu bytes)\n", len);
	while (!last) {
		last = !access(stop, F_OK);
		n = pread(fd, now, len, 0);
		if (n != (ssize_t)len) {
			printf("BAD read() after %lu checks: %s\n", checks,
			       n < 0 ? errname(errno) : "short");
			return 1;
		}
		if (memcmp(now, buf, len)) {
			printf("BAD read() after %lu checks: other bytes\n", checks);
			return 1;
		}
		n = map_differs(m, buf, len);
		if (n) {
			printf("BAD mapping after %lu checks: %s\n", checks,
			       n < 0 ? "SIGBUS" : "other bytes");
			return 1;
		}
		checks++;
		if (!last)
			usleep(50000);
	}
	printf("hold: %lu checks of read() and the mapping, the same bytes each time\n", checks);
	return 0;
}

static unsigned int num(const char *s)
{
	return (unsigned int)strtoul(s, NULL, 10);
}

static const char usage[] =
	"usage: daxfs-foldprobe fold MNT | info MNT | live DEV | write FILE TAG VER PAGES |\n"
	"       mapwatch FILE TAG PAGES LIMIT STOP | hold FILE STOP\n";

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "fold"))
		return do_fold(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return do_info(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "live"))
		return do_live(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "write"))
		return do_write(argv[2], num(argv[3]), num(argv[4]), num(argv[5]));
	if (argc == 7 && !strcmp(argv[1], "mapwatch"))
		return do_mapwatch(argv[2], num(argv[3]), num(argv[4]), argv[5], argv[6]);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return do_hold(argv[2], argv[3]);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("%s", usage);
		return 0;
	}
	fprintf(stderr, "%s", usage);
	return 2;
}
