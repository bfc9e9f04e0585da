// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-hugeprobe: huge (2 MiB) mappings of large files
 * (tests/vm/image-huge-mmap.sh). Each subcommand checks what it maps
 * against read() of the same file, prints one line of "key=value" words and
 * exits 0, or prints "FAIL: ..." and exits 1 (2 on a usage error). A SIGBUS
 * kills it, which the scenario reports as a crash.
 *
 * The kernel shows huge pfn mappings nowhere per page (smaps counts only
 * pages with a struct page), so the probe measures what they save: page
 * tables. pte_kb is the growth of VmPTE (/proc/self/status) while every page
 * of the mapping is loaded: 4 KiB per 2 MiB mapped with 4 KiB pages, 0 for
 * 2 MiB mapped with one PMD.
 *
 *   map KIND FILE [OFFSET]  map FILE from OFFSET (default 0) to its end
 *                           with KIND (shared: O_RDONLY, MAP_SHARED;
 *                           private: MAP_PRIVATE, then a store into every
 *                           page that read() must not see), load every
 *                           page: "bytes=N pte_kb=K"
 *   gup FILE                the calls that pin user pages (futex on a
 *                           shared address, vmsplice, process_vm_readv) on
 *                           a loaded MAP_SHARED mapping fail or work, but
 *                           never take the kernel down; write() from the
 *                           mapping to a pipe copies the right bytes:
 *                           "futex=E vmsplice=E pvr=E"
 *   store FILE OFFSET       MAP_SHARED writable (O_RDWR, a branch): load
 *                           every page, then store one byte (the complement
 *                           of the old one) at OFFSET; the mapping and
 *                           read() show it, every other byte is unchanged:
 *                           "pte_kb=K" (K before the store)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static size_t page;

static int failf(const char *what)
{
	printf("FAIL: %s (%s)\n", what, errno ? strerror(errno) : "-");
	return 1;
}

/* VmPTE of this process, in kB; -1 if /proc/self/status does not say. */
static long vm_pte_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPTE: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The bytes of @fd at [@off, @off + @len) by pread(), in a new buffer. */
static unsigned char *read_all(int fd, off_t off, size_t len)
{
	unsigned char *buf = malloc(len ? len : 1);
	size_t done = 0;

	while (buf && done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + done);

		if (n <= 0) {
			free(buf);
			return NULL;
		}
		done += n;
	}
	return buf;
}

struct mapped {
	int fd;
	unsigned char *map;
	unsigned char *want;	/* read() of the same range */
	size_t len;
	off_t off;
};

static int map_file(struct mapped *m, const char *file, int oflags, int prot,
		    int flags, off_t off)
{
	struct stat st;

	m->fd = open(file, oflags);
	if (m->fd < 0 || fstat(m->fd, &st))
		return failf("open");
	if (off < 0 || off >= st.st_size || off % (off_t)page) {
		errno = EINVAL;
		return failf("offset out of the file or not page aligned");
	}
	m->off = off;
	m->len = st.st_size - off;
	m->want = read_all(m->fd, off, m->len);
	if (!m->want)
		return failf("read");
	m->map = mmap(NULL, m->len, prot, flags, m->fd, off);
	if (m->map == MAP_FAILED)
		return failf("mmap");
	return 0;
}

/* Load every page of @m, checking each against read(); VmPTE growth. */
static int load_pages(const struct mapped *m, long *pte_kb)
{
	long before = vm_pte_kb();
	size_t i;

	for (i = 0; i < m->len; i += page) {
		size_t n = m->len - i < page ? m->len - i : page;

		if (memcmp(m->map + i, m->want + i, n)) {
			printf("FAIL: the mapping differs from read() in the page at %zu\n",
			       i);
			return 1;
		}
	}
	*pte_kb = vm_pte_kb() - before;
	return 0;
}

static int cmd_map(const char *kind, const char *file, off_t off)
{
	int priv = !strcmp(kind, "private");
	unsigned char *again;
	struct mapped m;
	long pte_kb;
	size_t i;

	if (!priv && strcmp(kind, "shared"))
		return 2;
	if (map_file(&m, file, O_RDONLY, PROT_READ | (priv ? PROT_WRITE : 0),
		     priv ? MAP_PRIVATE : MAP_SHARED, off) ||
	    load_pages(&m, &pte_kb))
		return 1;
	if (priv) {
		for (i = 0; i < m.len; i += page)
			m.map[i] ^= 0xff;
		again = read_all(m.fd, off, m.len);
		if (!again || memcmp(again, m.want, m.len)) {
			printf("FAIL: stores into a private mapping reached the file\n");
			return 1;
		}
		for (i = 0; i < m.len; i += page)
			if (m.map[i] != (unsigned char)~m.want[i]) {
				printf("FAIL: a private store was lost at %zu\n", i);
				return 1;
			}
	}
	printf("bytes=%zu pte_kb=%ld\n", m.len, pte_kb);
	return 0;
}

static const char *errname(int ok, int err)
{
	const char *name = strerrorname_np(err);

	return ok ? "ok" : name ? name : "unknown";
}

/* write() from the mapping to a pipe, read back: the same bytes. */
static int through_pipe(const struct mapped *m)
{
	size_t n = m->len < 65536 ? m->len : 65536;
	unsigned char *buf = malloc(n);
	int p[2];

	if (!buf || pipe(p) || write(p[1], m->map, n) != (ssize_t)n ||
	    read(p[0], buf, n) != (ssize_t)n)
		return failf("write() from the mapping to a pipe");
	if (memcmp(buf, m->want, n)) {
		printf("FAIL: write() from the mapping copied other bytes\n");
		return 1;
	}
	close(p[0]);
	close(p[1]);
	free(buf);
	return 0;
}

static int cmd_gup(const char *file)
{
	struct timespec zero = { 0, 0 };
	struct mapped m;
	struct iovec local, remote;
	unsigned char byte;
	int p[2], ok, e1, e2, e3;
	long pte_kb;

	if (map_file(&m, file, O_RDONLY, PROT_READ, MAP_SHARED, 0) ||
	    load_pages(&m, &pte_kb) || through_pipe(&m))
		return 1;
	/* A shared futex key pins the page: gup-fast, then the slow path. */
	ok = syscall(SYS_futex, (uint32_t *)m.map, FUTEX_WAIT,
		     ~*(uint32_t *)m.map, &zero, NULL, 0) == 0;
	e1 = errno;
	if (pipe(p))
		return failf("pipe");
	local.iov_base = m.map + m.len / 2;
	local.iov_len = 1;
	ok = vmsplice(p[1], &local, 1, 0) == 1;
	e2 = errno;
	printf("futex=%s ", errname(0, e1));
	printf("vmsplice=%s ", errname(ok, e2));
	local.iov_base = &byte;
	remote.iov_base = m.map + m.len / 2;
	remote.iov_len = 1;
	ok = process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == 1;
	e3 = errno;
	if (ok && byte != m.want[m.len / 2]) {
		printf("\nFAIL: process_vm_readv read another byte\n");
		return 1;
	}
	printf("pvr=%s\n", errname(ok, e3));
	return 0;
}

static int cmd_store(const char *file, off_t at)
{
	unsigned char *again;
	struct mapped m;
	long pte_kb;

	if (map_file(&m, file, O_RDWR, PROT_READ | PROT_WRITE, MAP_SHARED, 0) ||
	    load_pages(&m, &pte_kb))
		return 1;
	if (at < 0 || (size_t)at >= m.len) {
		errno = EINVAL;
		return failf("store offset");
	}
	m.want[at] = ~m.want[at];
	m.map[at] = m.want[at];
	if (msync(m.map, m.len, MS_SYNC))
		return failf("msync");
	again = read_all(m.fd, 0, m.len);
	if (!again || memcmp(again, m.want, m.len) ||
	    memcmp(m.map, m.want, m.len)) {
		printf("FAIL: after the store, read() or the mapping differ from what was stored\n");
		return 1;
	}
	printf("pte_kb=%ld\n", pte_kb);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;

	page = sysconf(_SC_PAGESIZE);
	errno = 0;
	if (argc >= 4 && !strcmp(argv[1], "map"))
		rc = cmd_map(argv[2], argv[3],
			     argc > 4 ? strtoll(argv[4], NULL, 0) : 0);
	else if (argc == 3 && !strcmp(argv[1], "gup"))
		rc = cmd_gup(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "store"))
		rc = cmd_store(argv[2], strtoll(argv[3], NULL, 0));
	if (rc == 2)
		fprintf(stderr,
			"usage: daxfs-hugeprobe map shared|private FILE [OFFSET] | gup FILE | store FILE OFFSET\n");
	return rc;
}
