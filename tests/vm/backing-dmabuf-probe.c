// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * daxfs-dmaprobe: system calls of tests/vm/backing-dmabuf.sh that no tool makes.
 *
 *   notbuf DIR                 fsconfig(SET_FD "dmabuf") with a memfd: must be refused;
 *                              prints the kernel's reason
 *   load HEAP IMAGE SIZE DIR   a SIZE-byte (K, M suffixes) dma-buf from HEAP (/dev/dma_heap/NAME or
 *                              /dev/udmabuf) holding the first SIZE bytes of IMAGE,
 *                              mounted at DIR; prints "mounted" or "refused: REASON"
 *                              (exit 1)
 *   buffer MNT                 the dma-buf of mount MNT (DAXFS_IOC_DMABUF) mapped in this
 *                              process: prints its size, the superblock magic and whether
 *                              the descriptor is close-on-exec
 *   runs FILE                  FILE mapped privately (4 KiB special ptes, which the page
 *                              walker shows), every page read: prints how many physically
 *                              contiguous runs its pages form (/proc/self/pagemap)
 *   remount MNT                take the dma-buf of the only mount MNT, unmount it, mount
 *                              main of the same buffer at MNT again, close the descriptor
 *
 * Exit status: 0 as described, 1 on an unexpected result, 2 bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfs_format.h"
#include "daxfs_ioctl.h"

static char reason[1024];

static void die(const char *what)
{
	fprintf(stderr, "daxfs-dmaprobe: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The messages the kernel left on fs context @fs, into reason[]. */
static void context_messages(int fs)
{
	char buf[256];
	ssize_t n;

	reason[0] = '\0';
	while ((n = read(fs, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		if (reason[0])
			strncat(reason, "; ", sizeof(reason) - strlen(reason) - 1);
		strncat(reason, buf, sizeof(reason) - strlen(reason) - 1);
	}
}

/* Mount dma-buf @fd at @dir; 0, or -1 with reason[] set. */
static int mount_buf(int fd, const char *dir)
{
	int fs, mnt, err = -1;

	fs = fsopen("daxfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		die("fsopen daxfs");
	if (fsconfig(fs, FSCONFIG_SET_FD, "dmabuf", NULL, fd) ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) {
		int e = errno;

		context_messages(fs);
		if (!reason[0])
			snprintf(reason, sizeof(reason), "%s", strerror(e));
		goto out;
	}
	mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
	if (mnt < 0)
		die("fsmount");
	if (move_mount(mnt, "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH))
		die("move_mount");
	close(mnt);
	err = 0;
out:
	close(fs);
	return err;
}

static int alloc_buf(const char *heap, size_t size)
{
	int dev = open(heap, O_RDWR | O_CLOEXEC), fd;

	if (dev < 0)
		die(heap);
	if (!strcmp(heap, "/dev/udmabuf")) {
		struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = size };
		int mem = memfd_create("probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);

		if (mem < 0 || ftruncate(mem, size) || fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK))
			die("memfd");
		c.memfd = mem;
		fd = ioctl(dev, UDMABUF_CREATE, &c);
		if (fd < 0)
			die("UDMABUF_CREATE");
		close(mem);
	} else {
		struct dma_heap_allocation_data a = { .len = size,
						      .fd_flags = O_RDWR | O_CLOEXEC };

		if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &a))
			die("DMA_HEAP_IOCTL_ALLOC");
		fd = (int)a.fd;
	}
	close(dev);
	return fd;
}

static int cmd_notbuf(const char *dir)
{
	int mem = memfd_create("not-a-dmabuf", MFD_CLOEXEC);

	if (mem < 0 || ftruncate(mem, 1 << 20))
		die("memfd");
	if (!mount_buf(mem, dir)) {
		fprintf(stderr, "daxfs-dmaprobe: a memfd was mounted as a dma-buf\n");
		return 1;
	}
	printf("refused: %s\n", reason);
	return 0;
}

static int cmd_load(const char *heap, const char *image, size_t size, const char *dir)
{
	int fd = alloc_buf(heap, size), img = open(image, O_RDONLY | O_CLOEXEC);
	struct dma_buf_sync s = { DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE };
	unsigned char *p;
	size_t done = 0;
	ssize_t n;

	if (img < 0)
		die(image);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of the dma-buf");
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	while (done < size && (n = read(img, p + done, size - done)) > 0)
		done += (size_t)n;
	s.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE;
	ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	munmap(p, size);
	close(img);
	if (mount_buf(fd, dir)) {
		printf("refused: %s\n", reason);
		return 1;
	}
	close(fd);
	printf("mounted\n");
	return 0;
}

/* Runs of physically contiguous pages among the @n pages at @p (mapped, present). */
static long pfn_runs(const void *p, size_t n)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t e, prev = 0;
	long runs = 0;
	size_t i;

	if (pm < 0)
		die("/proc/self/pagemap");
	for (i = 0; i < n; i++) {
		off_t at = (off_t)(((uintptr_t)p >> 12) + i) * 8;

		if (pread(pm, &e, 8, at) != 8)
			die("pagemap");
		e &= (1ull << 55) - 1;
		if (!e) {
			fprintf(stderr, "daxfs-dmaprobe: page %zu shows no frame\n", i);
			exit(1);
		}
		if (!i || e != prev + 1)
			runs++;
		prev = e;
	}
	close(pm);
	return runs;
}

static int cmd_buffer(const char *mnt)
{
	int dir = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	const struct daxfs_super *sb;
	struct stat st;
	off_t size;
	void *p;

	if (dir < 0)
		die(mnt);
	fd = ioctl(dir, DAXFS_IOC_DMABUF);
	if (fd < 0)
		die("DAXFS_IOC_DMABUF");
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || fstat(fd, &st))
		die("size of the dma-buf");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap of the dma-buf");
	sb = p;
	printf("dma-buf ino %lu: %lld bytes, magic 0x%x, cloexec %d\n",
	       (unsigned long)st.st_ino, (long long)size, (unsigned)sb->magic,
	       !!(fcntl(fd, F_GETFD) & FD_CLOEXEC));
	return sb->magic == DAXFS_SUPER_MAGIC ? 0 : 1;
}

static int cmd_runs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	volatile const unsigned char *p;
	unsigned long sum = 0;
	struct stat st;
	size_t i, n;

	if (fd < 0 || fstat(fd, &st))
		die(path);
	n = (size_t)st.st_size >> 12;
	if (!n)
		return 1;
	p = mmap(NULL, n << 12, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (i = 0; i < n; i++)
		sum += p[i << 12];
	printf("%zu pages in %ld physically contiguous runs (sum %lu)\n", n,
	       pfn_runs((const void *)p, n), sum);
	return 0;
}

static int cmd_remount(const char *mnt)
{
	int dir = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;

	if (dir < 0)
		die(mnt);
	fd = ioctl(dir, DAXFS_IOC_DMABUF);
	if (fd < 0)
		die("DAXFS_IOC_DMABUF");
	close(dir);
	if (umount(mnt))
		die("umount");
	if (mount_buf(fd, mnt)) {
		printf("refused: %s\n", reason);
		return 1;
	}
	close(fd);
	printf("remounted %s\n", mnt);
	return 0;
}

/* A byte count, with an optional K or M suffix. */
static size_t parse_size(const char *s)
{
	char *end;
	size_t n = strtoull(s, &end, 0);

	if (*end == 'K')
		n <<= 10;
	else if (*end == 'M')
		n <<= 20;
	return n;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "notbuf"))
		return cmd_notbuf(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], argv[3], parse_size(argv[4]), argv[5]);
	if (argc == 3 && !strcmp(argv[1], "buffer"))
		return cmd_buffer(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "runs"))
		return cmd_runs(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "remount"))
		return cmd_remount(argv[2]);
	fprintf(stderr, "usage: daxfs-dmaprobe notbuf DIR | load HEAP IMAGE SIZE DIR | buffer MNT | runs FILE | remount MNT\n");
	return 2;
}
