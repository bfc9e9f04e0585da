// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-kprobe: system-call probes of a mounted DAXFS for the kernel
 * scenarios (tests/vm/kernel-*.sh). Each subcommand checks one behaviour
 * against a reference copy of the data, prints one line and exits 0 when it
 * holds, 1 when it does not, 2 on a usage error.
 *
 *   read FILE REF        pread() with many sizes and offsets equals REF
 *   mmap-shared FILE REF MAP_SHARED read equals REF, tail of last page is 0
 *   mmap-private FILE REF  MAP_PRIVATE writes stay private, FILE unchanged
 *   mmap-nowrite FILE    MAP_SHARED+PROT_WRITE and mprotect(PROT_WRITE) fail
 *   sigbus FILE          touching a mapped page past EOF raises SIGBUS
 *   readdir DIR N        getdents64 with tiny buffers and seekdir resumption
 *                        see N entries (plus . and ..), each once, same order
 *   erofs DIR FILE       every modifying call on the mount fails with EROFS
 *   procmem FILE REF     /proc/self/mem reads of a shared and a private map
 *                        of FILE (ptrace's path) equal REF
 *   sendfile FILE REF    sendfile() of FILE into a temporary file equals REF
 *   direct FILE REF      O_DIRECT preads of FILE equal REF
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog = "daxfs-kprobe";

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, ": %s\n", strerror(errno));
	exit(1);
}

static int bad(const char *what, long long a, long long b)
{
	printf("FAILED: %s (%lld, %lld)\n", what, a, b);
	return 1;
}

/* Read a whole file into memory. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die("cannot open %s", path);
	buf = malloc(st.st_size + 1);
	if (!buf)
		die("no memory for %s", path);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n <= 0)
			die("cannot read %s", path);
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
}

static int cmd_read(const char *file, const char *ref)
{
	static const size_t sizes[] = { 1, 7, 511, 512, 4095, 4096, 4097,
					65536, 131073, 1 << 20, 3 << 20 };
	size_t len, i, checks = 0;
	unsigned char *want = slurp(ref, &len);
	unsigned char *buf = malloc((3 << 20) + 16);
	int fd = open(file, O_RDONLY);

	if (fd < 0 || !buf)
		die("cannot open %s", file);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t offs[] = { 0, 1, 4095, 4096, 4097, len / 2, len ? len - 1 : 0,
				  len, len + 1, len + 4096 };
		size_t j;

		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			size_t off = offs[j];
			size_t expect = off >= len ? 0 :
				(len - off < sizes[i] ? len - off : sizes[i]);
			ssize_t n = pread(fd, buf, sizes[i], off);

			if (n != (ssize_t)expect)
				return bad("pread length", n, expect);
			if (expect && memcmp(buf, want + off, expect))
				return bad("pread content at offset", off, sizes[i]);
			checks++;
		}
	}
	/* Sequential read() in odd-sized steps covers the file once. */
	for (i = 0; i < len;) {
		ssize_t n = read(fd, buf, 12345);

		if (i == 0 && lseek(fd, 0, SEEK_CUR) != n)
			return bad("file position after read", lseek(fd, 0, SEEK_CUR), n);
		if (n <= 0 || memcmp(buf, want + i, n))
			return bad("sequential read at", i, n);
		i += n;
	}
	if (read(fd, buf, 1) != 0)
		return bad("read at EOF", 1, 0);
	printf("read: %zu pread checks and a sequential pass over %zu bytes ok\n",
	       checks, len);
	return 0;
}

static void *map_file(const char *file, size_t len, int prot, int flags, int *fdp)
{
	int fd = open(file, O_RDONLY);
	void *p;

	if (fd < 0)
		die("cannot open %s", file);
	p = mmap(NULL, len, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die("cannot mmap %s", file);
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

static size_t page_round(size_t len)
{
	size_t pg = sysconf(_SC_PAGESIZE);

	return (len + pg - 1) / pg * pg;
}

static int cmd_mmap_shared(const char *file, const char *ref)
{
	size_t len, i, maplen;
	unsigned char *want = slurp(ref, &len), *p;

	if (!len) {
		printf("mmap-shared: empty file, nothing to map\n");
		return 0;
	}
	maplen = page_round(len);
	p = map_file(file, maplen, PROT_READ, MAP_SHARED, NULL);
	if (memcmp(p, want, len))
		return bad("mapped content differs", 0, len);
	for (i = len; i < maplen; i++)
		if (p[i])
			return bad("byte after EOF in the last page is not zero", i, p[i]);
	munmap(p, maplen);
	printf("mmap-shared: %zu bytes ok\n", len);
	return 0;
}

static int cmd_mmap_private(const char *file, const char *ref)
{
	size_t len, i, maplen, pg = sysconf(_SC_PAGESIZE);
	unsigned char *want = slurp(ref, &len), *priv, *shared, *again;
	int fd;

	if (!len)
		return bad("mmap-private needs a non-empty file", 0, 0);
	maplen = page_round(len);
	shared = map_file(file, maplen, PROT_READ, MAP_SHARED, NULL);
	priv = map_file(file, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, &fd);
	/* Fault some pages in read-only first, then write every page. */
	for (i = 0; i < len; i += 2 * pg)
		if (priv[i] != want[i])
			return bad("private map reads wrong byte", i, priv[i]);
	for (i = 0; i < len; i += pg)
		memset(priv + i, 0xa5, (len - i < 64) ? len - i : 64);
	for (i = 0; i < len; i += pg)
		if (priv[i] != 0xa5)
			return bad("private write did not stick", i, priv[i]);
	if (memcmp(shared, want, len))
		return bad("a shared map saw the private writes", 0, len);
	again = map_file(file, maplen, PROT_READ, MAP_PRIVATE, NULL);
	if (memcmp(again, want, len))
		return bad("a new private map saw the private writes", 0, len);
	munmap(priv, maplen);
	munmap(shared, maplen);
	munmap(again, maplen);
	close(fd);
	free(want);
	want = slurp(file, &i);
	if (i != len || memcmp(want, slurp(ref, &len), len))
		return bad("the file changed after private writes", i, len);
	printf("mmap-private: copy-on-write of %zu pages ok, file unchanged\n",
	       maplen / pg);
	return 0;
}

static int cmd_mmap_nowrite(const char *file)
{
	int fd = open(file, O_RDONLY);
	void *p;

	if (fd < 0)
		die("cannot open %s", file);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		return bad("MAP_SHARED with PROT_WRITE succeeded", 0, 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("cannot mmap %s", file);
	if (mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0)
		return bad("mprotect(PROT_WRITE) of a shared map succeeded", 0, 0);
	if (errno != EACCES)
		return bad("mprotect errno is not EACCES", errno, EACCES);
	printf("mmap-nowrite: shared writable mappings refused\n");
	return 0;
}

static int cmd_sigbus(const char *file)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	struct stat st;
	unsigned char *p;
	size_t maplen;
	pid_t pid;
	int status;

	if (stat(file, &st))
		die("cannot stat %s", file);
	maplen = page_round(st.st_size) + 2 * pg;
	p = map_file(file, maplen, PROT_READ, MAP_SHARED, NULL);
	pid = fork();
	if (pid < 0)
		die("cannot fork for %s", file);
	if (pid == 0) {
		volatile unsigned char c;

		if (st.st_size)
			c = p[st.st_size - 1];	/* inside EOF: fine */
		c = p[page_round(st.st_size) + pg];
		(void)c;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid for %s", file);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		return bad("touch past EOF did not raise SIGBUS (status)", status, SIGBUS);
	printf("sigbus: page past EOF raises SIGBUS\n");
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Read entries of @fd with getdents64 and a @bufsize buffer, appending
 * "name\n" to @out; after @stop_after entries return, leaving the position
 * at the last entry's d_off.
 */
static long list_dir(int fd, size_t bufsize, long stop_after, char **out,
		     size_t *outlen)
{
	char buf[8192];
	long count = 0;

	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, bufsize), off;

		if (n < 0)
			die("getdents64 with a %s buffer", bufsize < 600 ? "small" : "big");
		if (n == 0)
			return count;
		for (off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			size_t l = strlen(d->d_name);

			*out = realloc(*out, *outlen + l + 2);
			memcpy(*out + *outlen, d->d_name, l);
			(*out)[*outlen + l] = '\n';
			*outlen += l + 1;
			count++;
			off += d->d_reclen;
			if (count == stop_after) {
				lseek(fd, d->d_off, SEEK_SET);
				return count;
			}
		}
	}
}

static int cmd_readdir(const char *dir, long want)
{
	char *all = NULL, *parts = NULL;
	size_t alllen = 0, partlen = 0;
	long n, total = 0, chunk = 37;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		die("cannot open %s", dir);
	n = list_dir(fd, 8192, -1, &all, &alllen);
	if (n != want + 2)
		return bad("entries seen (with . and ..) vs expected", n, want + 2);
	/* Again, in pieces: stop every @chunk entries, reopen, seek, go on. */
	for (;;) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		long got;

		close(fd);
		fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			die("cannot reopen %s", dir);
		if (total && lseek(fd, pos, SEEK_SET) != pos)
			return bad("seek to a saved position", pos, 0);
		if (!total)
			lseek(fd, 0, SEEK_SET);
		got = list_dir(fd, 300, chunk, &parts, &partlen);
		total += got;
		if (got < chunk)
			break;
	}
	if (total != n || partlen != alllen || memcmp(all, parts, alllen))
		return bad("resumed listing differs from one pass", total, n);
	printf("readdir: %ld entries, resumable every %ld entries\n", n, chunk);
	close(fd);
	return 0;
}

static int expect_erofs(const char *what, int rc)
{
	if (rc == 0)
		return bad(what, 0, EROFS);
	if (errno != EROFS) {
		printf("FAILED: %s: %s, expected EROFS\n", what, strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_erofs(const char *dir, const char *file)
{
	char path[4096];
	struct timeval tv[2] = { { 0 } };
	int fails = 0;

	snprintf(path, sizeof(path), "%s/daxfs-kprobe-new", dir);
	fails += expect_erofs("open O_WRONLY", open(file, O_WRONLY) < 0 ? -1 : 0);
	fails += expect_erofs("open O_RDWR", open(file, O_RDWR) < 0 ? -1 : 0);
	fails += expect_erofs("open O_TRUNC", open(file, O_RDONLY | O_TRUNC) < 0 ? -1 : 0);
	fails += expect_erofs("create", open(path, O_CREAT | O_WRONLY, 0644) < 0 ? -1 : 0);
	fails += expect_erofs("mkdir", mkdir(path, 0755));
	fails += expect_erofs("mknod fifo", mknod(path, S_IFIFO | 0644, 0));
	fails += expect_erofs("symlink", symlink("x", path));
	fails += expect_erofs("link", link(file, path));
	fails += expect_erofs("rename", rename(file, path));
	fails += expect_erofs("unlink", unlink(file));
	fails += expect_erofs("rmdir", rmdir(dir));
	fails += expect_erofs("chmod", chmod(file, 0600));
	fails += expect_erofs("chown", chown(file, 1, 1));
	fails += expect_erofs("truncate", truncate(file, 0));
	fails += expect_erofs("utimes", utimes(file, tv));
	if (fails)
		return 1;
	printf("erofs: 15 modifying calls fail with EROFS\n");
	return 0;
}

/* Read @len bytes at address @p of this process through /proc/self/mem. */
static int procmem_equals(const void *p, const unsigned char *want, size_t len)
{
	unsigned char *buf = malloc(len);
	int fd = open("/proc/self/mem", O_RDONLY);
	size_t done = 0;

	if (fd < 0 || !buf)
		die("cannot open %s", "/proc/self/mem");
	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, (uintptr_t)p + done);

		if (n <= 0) {
			printf("FAILED: /proc/self/mem read at +%zu: %s\n", done,
			       n ? strerror(errno) : "EOF");
			return 1;
		}
		done += n;
	}
	close(fd);
	if (memcmp(buf, want, len))
		return bad("/proc/self/mem content differs", 0, len);
	free(buf);
	return 0;
}

static int cmd_procmem(const char *file, const char *ref)
{
	size_t len, maplen;
	unsigned char *want = slurp(ref, &len), *shared, *priv;

	if (!len)
		return bad("procmem needs a non-empty file", 0, 0);
	maplen = page_round(len);
	shared = map_file(file, maplen, PROT_READ, MAP_SHARED, NULL);
	priv = map_file(file, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE, NULL);
	if (procmem_equals(shared, want, len))
		return 1;
	/* Before and after faulting the pages in. */
	if (procmem_equals(priv, want, len))
		return 1;
	if (memcmp(priv, want, len))
		return bad("private map content differs", 0, len);
	if (procmem_equals(priv, want, len))
		return 1;
	printf("procmem: %zu bytes through /proc/self/mem ok\n", len);
	return 0;
}

static int cmd_sendfile(const char *file, const char *ref)
{
	char tmp[] = "/tmp/daxfs-kprobe-XXXXXX";
	size_t len, got;
	unsigned char *want = slurp(ref, &len), *have;
	int in = open(file, O_RDONLY), out = mkstemp(tmp);
	off_t off = 0;

	if (in < 0 || out < 0)
		die("cannot open %s or a temporary file", file);
	while ((size_t)off < len) {
		ssize_t n = sendfile(out, in, &off, len - off);

		if (n <= 0)
			die("sendfile from %s", file);
	}
	close(out);
	have = slurp(tmp, &got);
	unlink(tmp);
	if (got != len || memcmp(have, want, len))
		return bad("sendfile copy differs", got, len);
	printf("sendfile: %zu bytes ok\n", len);
	return 0;
}

static int cmd_direct(const char *file, const char *ref)
{
	size_t len, off, chunk = 1 << 16;
	unsigned char *want = slurp(ref, &len), *buf;
	int fd = open(file, O_RDONLY | O_DIRECT);

	if (fd < 0)
		die("cannot open %s with O_DIRECT", file);
	if (posix_memalign((void **)&buf, 4096, chunk))
		die("no memory for %s", file);
	for (off = 0; off < len; off += chunk) {
		size_t expect = len - off < chunk ? len - off : chunk;
		ssize_t n = pread(fd, buf, chunk, off);

		if (n != (ssize_t)expect || memcmp(buf, want + off, expect))
			return bad("O_DIRECT pread at", off, n);
	}
	printf("direct: %zu bytes with O_DIRECT ok\n", len);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "read") && argc == 4)
		return cmd_read(argv[2], argv[3]);
	if (!strcmp(cmd, "mmap-shared") && argc == 4)
		return cmd_mmap_shared(argv[2], argv[3]);
	if (!strcmp(cmd, "mmap-private") && argc == 4)
		return cmd_mmap_private(argv[2], argv[3]);
	if (!strcmp(cmd, "mmap-nowrite") && argc == 3)
		return cmd_mmap_nowrite(argv[2]);
	if (!strcmp(cmd, "sigbus") && argc == 3)
		return cmd_sigbus(argv[2]);
	if (!strcmp(cmd, "readdir") && argc == 4)
		return cmd_readdir(argv[2], atol(argv[3]));
	if (!strcmp(cmd, "erofs") && argc == 4)
		return cmd_erofs(argv[2], argv[3]);
	if (!strcmp(cmd, "procmem") && argc == 4)
		return cmd_procmem(argv[2], argv[3]);
	if (!strcmp(cmd, "sendfile") && argc == 4)
		return cmd_sendfile(argv[2], argv[3]);
	if (!strcmp(cmd, "direct") && argc == 4)
		return cmd_direct(argv[2], argv[3]);
	fprintf(stderr, "usage: %s read|mmap-shared|mmap-private|procmem|sendfile|"
		"direct FILE REF | mmap-nowrite|sigbus FILE | readdir DIR N | "
		"erofs DIR FILE\n", prog);
	return 2;
}
