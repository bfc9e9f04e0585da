// SPDX-License-Identifier: GPL-2.0
/*
 * daxfs-daxcopy: copy bytes between a file and a device-DAX character
 * device for tests/vm/backing-nvdimm.sh. A device-DAX device has no read()
 * or write(), only mmap(), whose length must be a multiple of the device's
 * alignment (2 MiB by default): the mapping is rounded up to it. Nor has
 * it fsync (msync fails with EINVAL): stores reach its memory as they are,
 * which is all a test in one guest needs.
 *
 *   load DEV FILE        write FILE to the start of DEV
 *   save DEV FILE BYTES  write the first BYTES of DEV to FILE
 *
 * Exits 0 on success, 1 on an error (printed), 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIGN_2M (2UL << 20)

static int die(const char *what, const char *name)
{
	fprintf(stderr, "daxfs-daxcopy: %s %s: %s\n", what, name, strerror(errno));
	return 1;
}

static void *map_dev(const char *dev, size_t bytes, int prot, size_t *len)
{
	void *p;
	int fd;

	fd = open(dev, prot & PROT_WRITE ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return MAP_FAILED;
	*len = (bytes + ALIGN_2M - 1) & ~(ALIGN_2M - 1);
	p = mmap(NULL, *len, prot, MAP_SHARED, fd, 0);
	close(fd);
	return p;
}

/* Copy all of @fd to @to, or from @from into @fd. */
static int copy_fd(int fd, char *to, const char *from, size_t bytes)
{
	size_t done = 0;

	while (done < bytes) {
		ssize_t n = to ? read(fd, to + done, bytes - done)
			       : write(fd, from + done, bytes - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

static int load(const char *dev, const char *file)
{
	struct stat st;
	size_t len;
	void *p;
	int fd;

	fd = open(file, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return die("open", file);
	p = map_dev(dev, st.st_size, PROT_READ | PROT_WRITE, &len);
	if (p == MAP_FAILED)
		return die("mmap", dev);
	if (copy_fd(fd, p, NULL, st.st_size))
		return die("read", file);
	munmap(p, len);
	close(fd);
	return 0;
}

static int save(const char *dev, const char *file, size_t bytes)
{
	size_t len;
	void *p;
	int fd;

	p = map_dev(dev, bytes, PROT_READ, &len);
	if (p == MAP_FAILED)
		return die("mmap", dev);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return die("create", file);
	if (copy_fd(fd, NULL, p, bytes) || close(fd))
		return die("write", file);
	munmap(p, len);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "save"))
		return save(argv[2], argv[3], strtoull(argv[4], NULL, 0));
	fprintf(stderr, "usage: daxfs-daxcopy load DEV FILE | save DEV FILE BYTES\n");
	return 2;
}
