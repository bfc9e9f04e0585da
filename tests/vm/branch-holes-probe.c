// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-holeprobe: holes (pages of a file with no data) through every kind
 * of mapping (tests/vm/branch-holes.sh). Run on a DAXFS file and on a tmpfs
 * copy made by the same operations; each subcommand checks the mapping
 * against read() as it goes, prints "ok SIZE HASH" (FNV-1a of the file's
 * bytes at the end) and exits 0, or prints "FAIL: ..." and exits 1 (2 on a
 * usage error). A SIGBUS kills it, which the scenario reports as a crash.
 *
 *   read KIND FILE     map all of FILE with KIND and load every byte: equal
 *                      to read(), zeros past EOF in the last page. KIND:
 *                      shared-ro (O_RDONLY, PROT_READ), shared-maywrite
 *                      (O_RDWR, PROT_READ), shared-rw (O_RDWR, PROT_READ |
 *                      PROT_WRITE), shared-populate (shared-rw with
 *                      MAP_POPULATE), private-ro (O_RDONLY, PROT_READ),
 *                      private-rw (O_RDWR, PROT_READ | PROT_WRITE: also
 *                      stores into every page, which read() must not see)
 *   write KIND FILE    a MAP_SHARED writable mapping of all of FILE; page by
 *                      page, by the page's number modulo 4: a store; a
 *                      write() then a store; a store then a write(); no
 *                      change. After each page the mapping, read() and two
 *                      other mappings loaded before (MAP_SHARED of an
 *                      O_RDONLY file, MAP_PRIVATE never written) show both;
 *                      after msync() and munmap() a new mapping does. KIND:
 *                      loaded (every page loaded first, so holes are mapped
 *                      before the first store; then a forked child stores
 *                      into the first page through the inherited mapping),
 *                      cold (stores and write()s into pages never mapped),
 *                      mprotect (mapped PROT_READ and loaded, then made
 *                      writable)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static size_t page;

static int failf(const char *what)
{
	printf("FAIL: %s (%s)\n", what, errno ? strerror(errno) : "-");
	return 1;
}

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The bytes of @fd (@size of them) by read(), into a new buffer. */
static unsigned char *read_file(int fd, size_t size)
{
	unsigned char *buf = malloc(size + 1);
	size_t done = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (done <= size) {
		n = pread(fd, buf + done, size + 1 - done, done);
		if (n <= 0)
			break;
		done += n;
	}
	if (done != size) {
		printf("FAIL: read() gave %zu bytes, want %zu\n", done, size);
		free(buf);
		return NULL;
	}
	return buf;
}

/* @got (what the mapping shows) equals @want in [@off, @off + @len). */
static int same(const char *what, const unsigned char *got,
		const unsigned char *want, size_t off, size_t len)
{
	size_t i;

	for (i = off; i < off + len; i++) {
		if (got[i] != want[i]) {
			printf("FAIL: %s: byte %zu (page %zu) is 0x%02x, want 0x%02x\n",
			       what, i, i / page, got[i], want[i]);
			return 0;
		}
	}
	return 1;
}

/* Load every byte of @m (@size bytes of file): equal to @want, zeros up to the page end. */
static int load_all(const char *what, const volatile unsigned char *m,
		    const unsigned char *want, size_t size)
{
	size_t i, end = (size + page - 1) / page * page;

	for (i = 0; i < size; i++) {
		if (m[i] != want[i]) {
			printf("FAIL: %s: byte %zu (page %zu) is 0x%02x, want 0x%02x\n",
			       what, i, i / page, m[i], want[i]);
			return 0;
		}
	}
	for (; i < end; i++) {
		if (m[i]) {
			printf("FAIL: %s: byte %zu past EOF (%zu) is 0x%02x, want 0\n",
			       what, i, size, m[i]);
			return 0;
		}
	}
	return 1;
}

static int file_size(int fd, size_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return failf("fstat");
	*size = st.st_size;
	if (!*size) {
		printf("FAIL: empty file\n");
		return 1;
	}
	return 0;
}

static int probe_read(const char *kind, const char *path)
{
	int shared = 1, oflags = O_RDONLY, prot = PROT_READ, populate = 0, fd;
	unsigned char *want, *m;
	size_t size, i;

	if (!strcmp(kind, "shared-maywrite")) {
		oflags = O_RDWR;
	} else if (!strcmp(kind, "shared-rw")) {
		oflags = O_RDWR;
		prot |= PROT_WRITE;
	} else if (!strcmp(kind, "shared-populate")) {
		oflags = O_RDWR;
		prot |= PROT_WRITE;
		populate = MAP_POPULATE;
	} else if (!strcmp(kind, "private-ro")) {
		shared = 0;
	} else if (!strcmp(kind, "private-rw")) {
		shared = 0;
		oflags = O_RDWR;
		prot |= PROT_WRITE;
	} else if (strcmp(kind, "shared-ro")) {
		return 2;
	}
	fd = open(path, oflags);
	if (fd < 0)
		return failf("open");
	if (file_size(fd, &size))
		return 1;
	want = read_file(fd, size);
	if (!want)
		return 1;
	m = mmap(NULL, size, prot, (shared ? MAP_SHARED : MAP_PRIVATE) | populate,
		 fd, 0);
	if (m == MAP_FAILED)
		return failf("mmap");
	if (!load_all(kind, m, want, size))
		return 1;
	if (!strcmp(kind, "private-rw")) {
		unsigned char *now;

		for (i = 0; i < size; i += page)
			m[i] ^= 0x5a;
		now = read_file(fd, size);
		if (!now || !same("read() after private stores", now, want, 0, size))
			return 1;
		for (i = 0; i < size; i += page)
			m[i] ^= 0x5a;
		if (!load_all("private copy", m, want, size))
			return 1;
		free(now);
	}
	munmap(m, size);
	printf("ok %zu %016llx\n", size, (unsigned long long)fnv(want, size));
	free(want);
	return 0;
}

/* Bytes [@off, @off + @len) of page @p, clipped to @size: their range, or 0. */
static size_t span(size_t p, size_t off, size_t len, size_t size, size_t *at)
{
	*at = p * page + off;
	if (*at >= size)
		return 0;
	return *at + len > size ? size - *at : len;
}

static void fill(unsigned char *dst, size_t at, size_t n, unsigned char tag)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (unsigned char)(tag + at + i * 7);
}

/* Store @n bytes at @at through @m and in @model. */
static void store(unsigned char *m, unsigned char *model, size_t at, size_t n,
		  unsigned char tag)
{
	fill(model + at, at, n, tag);
	memcpy(m + at, model + at, n);
}

/* write() @n bytes at @at and into @model. */
static int pwrite_model(int fd, unsigned char *model, size_t at, size_t n,
			unsigned char tag)
{
	fill(model + at, at, n, tag);
	if (pwrite(fd, model + at, n, at) != (ssize_t)n)
		return failf("pwrite");
	return 0;
}

static int probe_write(const char *kind, const char *path)
{
	int prot = PROT_READ | PROT_WRITE, fd, rfd, status = 0;
	unsigned char *model, *m, *now, *ms, *mp;
	size_t size, p, at, n, len;
	pid_t pid;

	if (!strcmp(kind, "mprotect"))
		prot = PROT_READ;
	else if (strcmp(kind, "loaded") && strcmp(kind, "cold"))
		return 2;
	fd = open(path, O_RDWR);
	rfd = open(path, O_RDONLY);
	if (fd < 0 || rfd < 0)
		return failf("open");
	if (file_size(fd, &size))
		return 1;
	model = read_file(fd, size);
	if (!model)
		return 1;
	m = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
	ms = mmap(NULL, size, PROT_READ, MAP_SHARED, rfd, 0);
	mp = mmap(NULL, size, PROT_READ, MAP_PRIVATE, rfd, 0);
	if (m == MAP_FAILED || ms == MAP_FAILED || mp == MAP_FAILED)
		return failf("mmap");
	if (!load_all("shared read-only mapping", ms, model, size) ||
	    !load_all("private mapping", mp, model, size))
		return 1;
	if (strcmp(kind, "cold") && !load_all(kind, m, model, size))
		return 1;
	if (!strcmp(kind, "mprotect") && mprotect(m, size, PROT_READ | PROT_WRITE))
		return failf("mprotect");
	if (!strcmp(kind, "loaded")) {
		n = span(0, 2000, 64, size, &at);
		fill(model + at, at, n, 0x66);
		pid = fork();
		if (pid < 0)
			return failf("fork");
		if (!pid) {
			memcpy(m + at, model + at, n);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("FAIL: the child's store (status 0x%x)\n", status);
			return 1;
		}
	}
	for (p = 0; p * page < size; p++) {
		switch (p % 4) {
		case 0:
			n = span(p, 100, 64, size, &at);
			store(m, model, at, n, 0x11);
			break;
		case 1:
			n = span(p, 300, 64, size, &at);
			if (pwrite_model(fd, model, at, n, 0x22))
				return 1;
			n = span(p, 600, 64, size, &at);
			store(m, model, at, n, 0x33);
			break;
		case 2:
			n = span(p, 700, 64, size, &at);
			store(m, model, at, n, 0x44);
			n = span(p, 900, 64, size, &at);
			if (pwrite_model(fd, model, at, n, 0x55))
				return 1;
			break;
		}
		len = size - p * page < page ? size - p * page : page;
		if (!same("mapping after this page's writes", m, model, p * page, len) ||
		    !same("shared read-only mapping", ms, model, p * page, len) ||
		    !same("private mapping", mp, model, p * page, len))
			return 1;
		now = read_file(fd, size);
		if (!now || !same("read() after this page's writes", now, model,
				  p * page, len))
			return 1;
		free(now);
	}
	if (msync(m, size, MS_SYNC))
		return failf("msync");
	if (!load_all("mapping after msync", m, model, size))
		return 1;
	munmap(m, size);
	munmap(ms, size);
	munmap(mp, size);
	now = read_file(fd, size);
	if (!now || !same("read() after munmap", now, model, 0, size))
		return 1;
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return failf("mmap again");
	if (!load_all("new mapping", m, model, size))
		return 1;
	munmap(m, size);
	printf("ok %zu %016llx\n", size, (unsigned long long)fnv(model, size));
	free(now);
	free(model);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 2;

	page = sysconf(_SC_PAGESIZE);
	if (argc == 4 && !strcmp(argv[1], "read"))
		ret = probe_read(argv[2], argv[3]);
	else if (argc == 4 && !strcmp(argv[1], "write"))
		ret = probe_write(argv[2], argv[3]);
	if (ret == 2)
		fprintf(stderr, "usage: daxfs-holeprobe read|write KIND FILE\n");
	return ret;
}
