// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-opsprobe: system-call probes of the file operations of a writable
 * DAXFS branch (tests/vm/branch-file-ops.sh), for what busybox cannot do.
 * Each subcommand prints one line and exits 0 when the behaviour holds, 1
 * when it does not, 2 on a usage error.
 *
 *   rename2 OLD NEW FLAGS    renameat2(FLAGS: exchange|noreplace|whiteout);
 *                            prints "ok" or the errno name, exits 0
 *   overwrites FILE N SEED   N random pwrite()s (sizes 1..64 KiB, some past
 *                            EOF) checked after each 10% against a private
 *                            copy with single whole-file read()s and
 *                            reads of random sizes
 *   same FILE REF            FILE reads exactly like REF (one read() each)
 *   mmap-write FILE OFF LEN BYTE   MAP_SHARED write of LEN bytes BYTE at OFF,
 *                            then read() sees them and msync() works
 *   mmap-read FILE REF       a MAP_SHARED read of FILE equals REF
 *   utimens FILE SEC NSEC    set atime and mtime; stat shows them exactly
 *   truncate FILE SIZE       truncate(); stat shows SIZE
 *   mksock PATH              bind an AF_UNIX socket at PATH
 *   unlinked DIR             a file unlinked while open keeps its data
 *   readdir-mutate DIR N     N entries f0..f(N-1) in DIR; readdir while
 *                            adding and removing other entries sees each of
 *                            the N exactly once
 *   sparse FILE              write 1 byte at 1 MiB + 3 of an empty FILE: the
 *                            hole reads as zeros, the byte reads back
 *   logrec PHYS SIZE BRANCH KIND INO PARENT NAME [NEWPARENT NEWNAME]
 *                            append one record to the log of BRANCH (not
 *                            mounted) through /dev/mem, crc and seq right:
 *                            KIND create|mkdir|symlink|unlink|link|rename|
 *                            exchange|write|truncate|setattr (write/truncate: NAME is
 *                            the size; write maps page index 0 to delta
 *                            page PARENT; symlink takes NEWPARENT NEWNAME
 *                            as the PAGE and SIZE of its target)
 *   selfcopy FILE            read() into and write() from a MAP_SHARED
 *                            writable mapping of FILE itself (faults into
 *                            the same file while it is read or written):
 *                            no deadlock, the bytes arrive
 *   fallocate FILE MODE OFF LEN   fallocate() (MODE: 0, keep for
 *                            FALLOC_FL_KEEP_SIZE, punch for PUNCH_HOLE |
 *                            KEEP_SIZE); prints "ok" or the errno name, exits 0
 *   mmap-mtime FILE          twice, a second apart: a store through a
 *                            MAP_SHARED mapping moves mtime and ctime forward
 *                            (the first time copying a page, the second in
 *                            place)
 *   as UID GID OP PATH [ARG] with that uid and gid (no supplementary
 *                            groups) do OP: read, append, create, mkdir,
 *                            unlink, chmod (ARG octal mode); prints "ok" or
 *                            the errno name, exits 0
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <grp.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif

static int failf(const char *what)
{
	printf("FAIL: %s (%s)\n", what, errno ? strerror(errno) : "-");
	return 1;
}

static int rename2(char **a)
{
	unsigned int flags = 0;

	if (!strcmp(a[2], "exchange"))
		flags = RENAME_EXCHANGE;
	else if (!strcmp(a[2], "noreplace"))
		flags = RENAME_NOREPLACE;
	else if (!strcmp(a[2], "whiteout"))
		flags = RENAME_WHITEOUT;
	else if (strcmp(a[2], "none"))
		return 2;
	if (syscall(SYS_renameat2, AT_FDCWD, a[0], AT_FDCWD, a[1], flags))
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok\n");
	return 0;
}

/* Read all of @fd with one read() into @buf of @cap bytes. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap, 0);

	return n;
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static int check_file(int fd, const char *shadow, size_t size)
{
	char *buf = malloc(size + 65536);
	struct stat st;
	size_t pos;
	ssize_t n;

	if (!buf)
		return failf("malloc");
	if (fstat(fd, &st) || (size_t)st.st_size != size) {
		printf("FAIL: size %lld, want %zu\n", (long long)st.st_size, size);
		return 1;
	}
	n = read_all(fd, buf, size + 65536);
	if (n != (ssize_t)size || memcmp(buf, shadow, size)) {
		size_t d = 0, e;

		while (n == (ssize_t)size && d < size && buf[d] == shadow[d])
			d++;
		for (e = d; e < size && buf[e] != shadow[e]; e++)
			;
		printf("FAIL: whole read: %zd bytes, want %zu (%s at %zu..%zu: %d, want %d)\n",
		       n, size, n == (ssize_t)size ? "bytes differ" : "short",
		       d, e, d < size ? buf[d] : 0, d < size ? shadow[d] : 0);
		return 1;
	}
	for (pos = 0; pos < size;) {
		size_t len = 1 + rnd() % 200000;

		n = pread(fd, buf, len, pos);
		if (n < 0 || (size_t)n != (len < size - pos ? len : size - pos) ||
		    memcmp(buf, shadow + pos, n)) {
			printf("FAIL: pread %zu at %zu: %zd\n", len, pos, n);
			return 1;
		}
		pos += n;
	}
	free(buf);
	return 0;
}

static int overwrites(char **a)
{
	long count = atol(a[1]);
	size_t cap = 8 << 20, size;
	char *shadow = calloc(cap, 1), *chunk = malloc(65536);
	struct stat st;
	long i;
	int fd;

	rnd_state = strtoull(a[2], NULL, 0) | 1;
	fd = open(a[0], O_RDWR);
	if (fd < 0 || !shadow || !chunk || fstat(fd, &st))
		return failf("open");
	size = st.st_size;
	if (size > cap / 2)
		return failf("file too large");
	if (read_all(fd, shadow, cap) != (ssize_t)size)
		return failf("first read");
	for (i = 0; i < count; i++) {
		size_t len = 1 + rnd() % 65536;
		size_t off = rnd() % (size + 16384);
		size_t j;

		if (i % 4 == 0)
			len = 4096, off &= ~4095UL;
		if (off + len > cap)
			continue;
		for (j = 0; j < len; j++)
			chunk[j] = (char)rnd();
		if (pwrite(fd, chunk, len, off) != (ssize_t)len)
			return failf("pwrite");
		if (getenv("OPS_TRACE"))
			printf("w %ld: %zu+%zu size %zu\n", i, off, len, size);
		memcpy(shadow + off, chunk, len);
		if (off + len > size)
			size = off + len;
		if ((i + 1) % (count / 10 ? count / 10 : 1) == 0 &&
		    check_file(fd, shadow, size))
			return 1;
	}
	if (check_file(fd, shadow, size))
		return 1;
	printf("ok: %ld overwrites, %zu bytes\n", count, size);
	return 0;
}

static int same(char **a)
{
	int fa = open(a[0], O_RDONLY), fb = open(a[1], O_RDONLY);
	size_t cap = 64 << 20;
	char *x = malloc(cap), *y = malloc(cap);
	ssize_t n, m;

	if (fa < 0 || fb < 0 || !x || !y)
		return failf("open");
	n = read(fa, x, cap);
	m = read(fb, y, cap);
	if (n != m || n < 0 || memcmp(x, y, n)) {
		printf("FAIL: %s (%zd bytes) differs from %s (%zd bytes)\n", a[0],
		       n, a[1], m);
		return 1;
	}
	printf("ok: %zd bytes\n", n);
	return 0;
}

static int mmap_write(char **a)
{
	size_t off = strtoull(a[1], NULL, 0), len = strtoull(a[2], NULL, 0);
	int byte = (int)strtol(a[3], NULL, 0);
	size_t start = off & ~4095UL, maplen = off + len - start;
	int fd = open(a[0], O_RDWR);
	char *m, *buf = malloc(len);

	if (fd < 0 || !buf)
		return failf("open");
	m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
	if (m == MAP_FAILED)
		return failf("mmap");
	memset(m + (off - start), byte, len);
	if (msync(m, maplen, MS_SYNC))
		return failf("msync");
	if (pread(fd, buf, len, off) != (ssize_t)len)
		return failf("pread");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] != (unsigned char)byte) {
			printf("FAIL: byte %zu reads %d after a mapped write\n",
			       off + i, buf[i]);
			return 1;
		}
	munmap(m, maplen);
	printf("ok\n");
	return 0;
}

static int mmap_read(char **a)
{
	int fd = open(a[0], O_RDONLY), fr = open(a[1], O_RDONLY);
	struct stat st;
	char *m, *ref;

	if (fd < 0 || fr < 0 || fstat(fd, &st))
		return failf("open");
	ref = malloc(st.st_size + 1);
	if (!ref || read(fr, ref, st.st_size + 1) != st.st_size)
		return failf("reference size");
	m = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return failf("mmap");
	if (memcmp(m, ref, st.st_size)) {
		printf("FAIL: mapping of %s differs from %s\n", a[0], a[1]);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int utimens(char **a)
{
	struct timespec ts[2];
	struct stat st;

	ts[0].tv_sec = ts[1].tv_sec = atoll(a[1]);
	ts[0].tv_nsec = ts[1].tv_nsec = atol(a[2]);
	if (utimensat(AT_FDCWD, a[0], ts, AT_SYMLINK_NOFOLLOW) || lstat(a[0], &st))
		return failf("utimensat");
	if (st.st_mtim.tv_sec != ts[1].tv_sec || st.st_mtim.tv_nsec != ts[1].tv_nsec ||
	    st.st_atim.tv_sec != ts[0].tv_sec || st.st_atim.tv_nsec != ts[0].tv_nsec) {
		printf("FAIL: times %lld.%09ld / %lld.%09ld\n",
		       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int do_truncate(char **a)
{
	off_t size = strtoll(a[1], NULL, 0);
	struct stat st;

	if (truncate(a[0], size) || stat(a[0], &st))
		return failf("truncate");
	if (st.st_size != size) {
		printf("FAIL: size %lld after truncate to %lld\n",
		       (long long)st.st_size, (long long)size);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int mksock(char **a)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a[0]);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)))
		return failf("bind");
	printf("ok\n");
	return 0;
}

static int unlinked(char **a)
{
	char path[4096], buf[100000], got[100000];
	int fd;

	snprintf(path, sizeof(path), "%s/unlinked-probe", a[0]);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + 1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		return failf("create");
	if (unlink(path))
		return failf("unlink");
	if (access(path, F_OK) == 0)
		return failf("still there");
	if (pwrite(fd, "xyz", 3, 50000) != 3)
		return failf("write after unlink");
	memcpy(buf + 50000, "xyz", 3);
	if (pread(fd, got, sizeof(got), 0) != sizeof(got) ||
	    memcmp(buf, got, sizeof(buf)))
		return failf("data of the unlinked file");
	close(fd);
	printf("ok\n");
	return 0;
}

/*
 * getdents64 with a buffer of ~3 entries, so the directory changes between
 * calls: the N original entries must each come exactly once.
 */
static int readdir_mutate(char **a)
{
	int n = atoi(a[1]), seen_count = 0, i, round = 0, fd;
	char *seen = calloc(n, 1), path[4096], buf[96];
	long got;

	if (!seen)
		return 2;
	fd = open(a[0], O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return failf("open");
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			/* linux_dirent64: ino, off, u16 reclen, u8 type, name */
			const char *name = buf + off + 19;
			unsigned short reclen;

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			off += reclen;
			if (name[0] != 'f')
				continue;
			i = atoi(name + 1);
			if (i < 0 || i >= n)
				continue;
			if (seen[i]) {
				printf("FAIL: %s seen twice\n", name);
				return 1;
			}
			seen[i] = 1;
			seen_count++;
		}
		/* Between two calls: add one entry, remove an older one. */
		if (round >= 2 * n)
			continue;
		snprintf(path, sizeof(path), "%s/x%d", a[0], round);
		close(open(path, O_CREAT | O_WRONLY, 0644));
		if (round > 2) {
			snprintf(path, sizeof(path), "%s/x%d", a[0], round - 2);
			unlink(path);
		}
		round++;
	}
	if (got < 0)
		return failf("getdents64");
	close(fd);
	if (seen_count != n) {
		printf("FAIL: saw %d of the %d entries\n", seen_count, n);
		return 1;
	}
	printf("ok: %d entries, %d changes\n", n, round);
	return 0;
}

static int sparse(char **a)
{
	int fd = open(a[0], O_RDWR | O_CREAT | O_TRUNC, 0644);
	size_t off = (1 << 20) + 3;
	char *buf = malloc(off + 100);
	struct stat st;

	if (fd < 0 || !buf || pwrite(fd, "Z", 1, off) != 1 || fstat(fd, &st))
		return failf("pwrite");
	if ((size_t)st.st_size != off + 1)
		return failf("size");
	if (pread(fd, buf, off + 100, 0) != (ssize_t)(off + 1))
		return failf("read");
	for (size_t i = 0; i < off; i++)
		if (buf[i]) {
			printf("FAIL: hole byte %zu is %d\n", i, buf[i]);
			return 1;
		}
	if (buf[off] != 'Z')
		return failf("byte past the hole");
	printf("ok\n");
	return 0;
}

/* crc32c (Castagnoli), as the kernel's crc32c(). */
static uint32_t crc32c(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *b++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1));
	}
	return ~crc;
}

struct region {
	int fd;
	uint64_t phys;
};

static int rd(struct region *r, uint64_t off, void *buf, size_t len)
{
	return pread(r->fd, buf, len, r->phys + off) == (ssize_t)len ? 0 : -1;
}

static int wr(struct region *r, uint64_t off, const void *buf, size_t len)
{
	return pwrite(r->fd, buf, len, r->phys + off) == (ssize_t)len ? 0 : -1;
}

static void put16(unsigned char *b, size_t at, uint16_t v)
{
	memcpy(b + at, &v, 2);
}

static void put32(unsigned char *b, size_t at, uint32_t v)
{
	memcpy(b + at, &v, 4);
}

static void put64(unsigned char *b, size_t at, uint64_t v)
{
	memcpy(b + at, &v, 8);
}

/* Build record KIND in @rec; returns its length or 0. */
static size_t build_rec(unsigned char *rec, char **a, int argc)
{
	const char *kind = a[3], *name = a[6];
	uint64_t ino = strtoull(a[4], NULL, 0), parent = strtoull(a[5], NULL, 0);
	size_t nlen = strlen(name), len = 0;
	int type = 0;

	if (!strcmp(kind, "create") || !strcmp(kind, "mkdir")) {
		type = kind[0] == 'c' ? 3 : 4;
		len = 80 + nlen;
		put64(rec, 32, parent);
		put32(rec, 56, (type == 3 ? 0100644 : 040755));
		put16(rec, 72, nlen);
		memcpy(rec + 80, name, nlen);
	} else if (!strcmp(kind, "symlink") && argc == 9) {
		/* target: SIZE bytes of delta page PAGE (a[7] PAGE, a[8] SIZE) */
		type = 5;
		len = 80 + nlen;
		put64(rec, 32, parent);
		put64(rec, 40, strtoull(a[7], NULL, 0));
		put64(rec, 48, strtoull(a[8], NULL, 0));
		put32(rec, 56, 0120777);
		put16(rec, 72, nlen);
		memcpy(rec + 80, name, nlen);
	} else if (!strcmp(kind, "unlink") || !strcmp(kind, "link")) {
		type = kind[0] == 'u' ? 8 : 7;
		len = 48 + nlen;
		put64(rec, 32, parent);
		put16(rec, 40, nlen);
		memcpy(rec + 48, name, nlen);
	} else if ((!strcmp(kind, "rename") || !strcmp(kind, "exchange")) &&
		   argc == 9) {
		const char *nname = a[8];
		size_t n2 = strlen(nname);

		type = 9;
		len = 56 + nlen + n2;
		put64(rec, 32, parent);
		put64(rec, 40, strtoull(a[7], NULL, 0));
		put32(rec, 48, kind[0] == 'e' ? 2 : 0);
		put16(rec, 52, nlen);
		put16(rec, 54, n2);
		memcpy(rec + 56, name, nlen);
		memcpy(rec + 56 + nlen, nname, n2);
	} else if (!strcmp(kind, "write")) {
		type = 1;
		len = 64;
		put64(rec, 32, strtoull(name, NULL, 0));
		put32(rec, 40, 1);
		put64(rec, 48, 0);
		put64(rec, 56, parent);
	} else if (!strcmp(kind, "truncate")) {
		type = 2;
		len = 40;
		put64(rec, 32, strtoull(name, NULL, 0));
	} else if (!strcmp(kind, "setattr")) {
		type = 10;
		len = 64;
		put32(rec, 32, 1);
		put32(rec, 36, 0700);
	} else {
		return 0;
	}
	len = (len + 7) & ~(size_t)7;
	put16(rec, 0, type);
	put16(rec, 2, len);
	put64(rec, 16, ino);
	put64(rec, 24, 1700000000000000000ull);
	return len;
}

static int logrec(int argc, char **a)
{
	struct region r = { .phys = strtoull(a[0], NULL, 0) };
	unsigned char super[4096], br[128], rec[4096] = { 0 }, h[32];
	uint64_t branch_off, delta_off, tail, page, seq = 0, head;
	uint32_t off, pos;
	size_t len;
	int slot;

	r.fd = open("/dev/mem", O_RDWR);
	if (r.fd < 0 || rd(&r, 0, super, sizeof(super)))
		return failf("/dev/mem");
	memcpy(&branch_off, super + 72, 8);
	memcpy(&delta_off, super + 88, 8);
	for (slot = 0; slot < 256; slot++) {
		if (rd(&r, branch_off + slot * 128, br, sizeof(br)))
			return failf("branch table");
		if (!strcmp((char *)br + 80, a[2]))
			break;
	}
	if (slot == 256)
		return failf("no such branch");
	memcpy(&head, br + 24, 8);
	memcpy(&tail, br + 32, 8);
	page = tail >> 12;
	off = tail & 4095;
	if (!tail) {
		page = head;
		off = 16;
	} else if (!off) {
		printf("FAIL: the log's last page is full\n");
		return 1;
	}
	for (pos = 16; pos < off;) {
		uint16_t l;

		if (rd(&r, delta_off + page * 4096 + pos, h, sizeof(h)))
			return failf("log page");
		memcpy(&l, h + 2, 2);
		memcpy(&seq, h + 8, 8);
		if (!l || l % 8)
			return failf("bad record in the log");
		pos += l;
	}
	len = build_rec(rec, a, argc);
	if (!len)
		return 2;
	if (off + len > 4096) {
		printf("FAIL: no room in the log's last page\n");
		return 1;
	}
	put64(rec, 8, seq + 1);
	put32(rec, 4, crc32c(rec, len));
	tail = (page << 12) + off + len;
	if (wr(&r, delta_off + page * 4096 + off, rec, len) ||
	    wr(&r, branch_off + slot * 128 + 32, &tail, 8))
		return failf("write");
	printf("ok: %s record seq %llu at page %llu offset %u\n", a[3],
	       (unsigned long long)(seq + 1), (unsigned long long)page, off);
	return 0;
}

static int selfcopy(char **a)
{
	const size_t half = 64 << 10;
	int fd = open(a[0], O_RDWR | O_CREAT | O_TRUNC, 0644);
	char *m, *want = malloc(2 * half), *got = malloc(2 * half);

	if (fd < 0 || !want || !got)
		return failf("open");
	for (size_t i = 0; i < 2 * half; i++)
		want[i] = (char)(i * 13 + 5);
	if (pwrite(fd, want, half, 0) != (ssize_t)half || ftruncate(fd, 2 * half))
		return failf("fill");
	m = mmap(NULL, 2 * half, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return failf("mmap");
	/* read() of the first half into the unmapped second half of the map */
	if (pread(fd, m + half, half, 0) != (ssize_t)half)
		return failf("read into the own mapping");
	memcpy(want + half, want, half);
	/* write() from the map into the file, over a range the map covers */
	if (pwrite(fd, m + half, half / 2, half / 4) != (ssize_t)(half / 2))
		return failf("write from the own mapping");
	memmove(want + half / 4, want + half, half / 2);
	if (pread(fd, got, 2 * half, 0) != (ssize_t)(2 * half) ||
	    memcmp(got, want, 2 * half) || memcmp(m, want, 2 * half)) {
		printf("FAIL: contents after copies through the own mapping\n");
		return 1;
	}
	munmap(m, 2 * half);
	close(fd);
	printf("ok\n");
	return 0;
}

static int as_op(const char *op, const char *path, const char *arg)
{
	char buf[64];
	int fd;

	if (!strcmp(op, "read")) {
		fd = open(path, O_RDONLY);
		return fd < 0 || read(fd, buf, sizeof(buf)) < 0 ? -1 : 0;
	}
	if (!strcmp(op, "append")) {
		fd = open(path, O_WRONLY | O_APPEND);
		return fd < 0 || write(fd, "a", 1) != 1 ? -1 : 0;
	}
	if (!strcmp(op, "create")) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		return fd < 0 ? -1 : 0;
	}
	if (!strcmp(op, "mkdir"))
		return mkdir(path, 0777);
	if (!strcmp(op, "unlink"))
		return unlink(path);
	if (!strcmp(op, "chmod") && arg)
		return chmod(path, strtol(arg, NULL, 8));
	errno = EINVAL;
	return -1;
}

static int do_fallocate(char **a)
{
	int mode = 0, fd = open(a[0], O_RDWR);

	if (fd < 0)
		return failf("open");
	if (!strcmp(a[1], "keep"))
		mode = FALLOC_FL_KEEP_SIZE;
	else if (!strcmp(a[1], "punch"))
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	if (fallocate(fd, mode, atoll(a[2]), atoll(a[3])))
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok\n");
	close(fd);
	return 0;
}

static int ts_after(struct timespec a, struct timespec b)
{
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

static int mmap_mtime(char **a)
{
	int fd = open(a[0], O_RDWR);
	struct stat before, after;
	char *m;

	if (fd < 0 || fstat(fd, &before) || before.st_size < 1)
		return failf("open a non-empty file");
	m = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return failf("mmap");
	for (int round = 0; round < 2; round++) {
		sleep(1);
		m[0] ^= 1;
		if (fstat(fd, &after))
			return failf("fstat");
		if (!ts_after(after.st_mtim, before.st_mtim) ||
		    !ts_after(after.st_ctim, before.st_ctim)) {
			printf("store %d: mtime %lld.%09ld -> %lld.%09ld, ctime %lld.%09ld -> %lld.%09ld\n",
			       round, (long long)before.st_mtim.tv_sec, before.st_mtim.tv_nsec,
			       (long long)after.st_mtim.tv_sec, after.st_mtim.tv_nsec,
			       (long long)before.st_ctim.tv_sec, before.st_ctim.tv_nsec,
			       (long long)after.st_ctim.tv_sec, after.st_ctim.tv_nsec);
			return 1;
		}
		before = after;
		/* a clean pte again, so the next store faults */
		if (munmap(m, 1))
			return failf("munmap");
		m = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			return failf("mmap");
	}
	printf("ok\n");
	return 0;
}

static int as_user(int argc, char **a)
{
	if (setgroups(0, NULL) || setgid(atoi(a[1])) || setuid(atoi(a[0])))
		return failf("setuid");
	umask(022);
	if (as_op(a[2], a[3], argc > 4 ? a[4] : NULL))
		printf("%s\n", strerrorname_np(errno));
	else
		printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*fn)(char **a);
	} cmds[] = {
		{ "rename2", 3, rename2 },
		{ "overwrites", 3, overwrites },
		{ "same", 2, same },
		{ "mmap-write", 4, mmap_write },
		{ "mmap-read", 2, mmap_read },
		{ "utimens", 3, utimens },
		{ "truncate", 2, do_truncate },
		{ "mksock", 1, mksock },
		{ "unlinked", 1, unlinked },
		{ "readdir-mutate", 2, readdir_mutate },
		{ "sparse", 1, sparse },
		{ "selfcopy", 1, selfcopy },
		{ "fallocate", 4, do_fallocate },
		{ "mmap-mtime", 1, mmap_mtime },
	};

	if (argc > 5 && !strcmp(argv[1], "as"))
		return as_user(argc - 2, argv + 2);
	if ((argc == 9 || argc == 11) && !strcmp(argv[1], "logrec"))
		return logrec(argc - 2, argv + 2);
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name) && argc == cmds[i].args + 2) {
			errno = 0;
			return cmds[i].fn(argv + 2);
		}
	fprintf(stderr, "usage: daxfs-opsprobe SUBCOMMAND ARGS (see the source)\n");
	return 2;
}
