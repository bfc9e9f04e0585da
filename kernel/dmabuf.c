// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: a region in a dma-buf.
 *
 * Instead of phys= and size=, a mount can be given a dma-buf: fsconfig()
 * with FSCONFIG_SET_FD and the key "dmabuf", or "dmabuf=FD" as text. The
 * mount holds its own reference to the buffer until the superblock goes,
 * so the process that passed it may close every descriptor it has.
 *
 * The buffer is mapped into the kernel with dma_buf_vmap() for the loads
 * and stores of every layer above, and the page frame of each of its pages
 * is recorded at mount (sbi->pfns): a buffer of the system heap or of
 * udmabuf is ordinary RAM, its pages scattered, so file mappings insert
 * them one by one, in special ptes like region memory (no reference taken,
 * get_user_pages() refuses them). A 2 MiB mapping is made only where the
 * recorded frames really are one aligned run.
 *
 * Every mount of one buffer maps it for itself (the exporter shares one
 * kernel mapping between them); like mounts of physical memory, they find
 * each other only through the words of the region.
 */
#include <linux/dma-buf.h>
#include <linux/file.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "daxfs.h"

MODULE_IMPORT_NS(DMA_BUF);

/*
 * The dma-buf of open file @file, NULL if it is not one: every file of the
 * dma-buf pseudo filesystem is a buffer, with the buffer as its private
 * data (dma_buf_get() does the same test on a descriptor number).
 */
static struct dma_buf *daxfs_file_dmabuf(struct file *file)
{
	struct dma_buf *dmabuf;

	if (file_inode(file)->i_sb->s_magic != DMA_BUF_MAGIC)
		return NULL;
	dmabuf = file->private_data;
	return dmabuf && dmabuf->file == file ? dmabuf : NULL;
}

/* The number /proc/mounts shows for a buffer: the inode of its file. */
static unsigned long daxfs_dmabuf_ino(struct dma_buf *dmabuf)
{
	return file_inode(dmabuf->file)->i_ino;
}

/* A remount may repeat the option as /proc/mounts shows it, nothing else. */
static int daxfs_dmabuf_remount(struct fs_context *fc,
				struct fs_parameter *param)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(fc->root->d_sb);
	unsigned long ino;

	if (param->type == fs_value_is_string && sbi->dmabuf &&
	    !kstrtoul(param->string, 10, &ino) &&
	    ino == daxfs_dmabuf_ino(sbi->dmabuf))
		return 0;
	return invalfc(fc, "dmabuf= cannot change on remount");
}

/**
 * daxfs_dmabuf_param - take the buffer of the option "dmabuf"
 * @fc: the mount context
 * @param: a descriptor (FSCONFIG_SET_FD) or its number as text
 * @out: where the reference goes (one given before is dropped)
 *
 * Return: 0, or -EBADF / -EINVAL with the reason logged in @fc.
 */
int daxfs_dmabuf_param(struct fs_context *fc, struct fs_parameter *param,
		       struct dma_buf **out)
{
	struct dma_buf *dmabuf;
	unsigned int fd;

	if (fc->purpose == FS_CONTEXT_FOR_RECONFIGURE)
		return daxfs_dmabuf_remount(fc, param);
	if (param->type == fs_value_is_file) {
		dmabuf = daxfs_file_dmabuf(param->file);
		if (!dmabuf)
			return invalfc(fc, "dmabuf: the file given is not a dma-buf");
		get_dma_buf(dmabuf);
	} else if (param->type == fs_value_is_string) {
		if (kstrtouint(param->string, 10, &fd) || fd > INT_MAX)
			return invalfc(fc, "bad dmabuf= value '%s' (a file descriptor)",
				       param->string);
		dmabuf = dma_buf_get(fd);
		if (IS_ERR(dmabuf))
			return invalfc(fc, "dmabuf=%u: %s", fd,
				       PTR_ERR(dmabuf) == -EBADF ?
				       "no such open file" : "not a dma-buf");
	} else {
		return invalfc(fc, "dmabuf takes a file descriptor");
	}
	if (*out)
		dma_buf_put(*out);
	*out = dmabuf;
	return 0;
}

/**
 * daxfs_dmabuf_check - options that go with dmabuf, before anything maps it
 * @fc: the mount context
 * @dmabuf: the buffer given
 * @phys_or_size: phys= or size= was given too
 *
 * Names the mount "dmabuf:EXPORTER" when its source was not set.
 *
 * Return: 0 or -EINVAL (-ENOMEM) with the reason logged in @fc.
 */
int daxfs_dmabuf_check(struct fs_context *fc, struct dma_buf *dmabuf,
		       bool phys_or_size)
{
	if (phys_or_size)
		return invalfc(fc, "dmabuf gives the region: no phys=, size= or dax=");
	if (dmabuf->size < DAXFS_BLOCK_SIZE || !PAGE_ALIGNED(dmabuf->size))
		return invalfc(fc, "dma-buf of %zu bytes: not a multiple of %lu, at least %u",
			       dmabuf->size, PAGE_SIZE, DAXFS_BLOCK_SIZE);
	if (!fc->source) {
		fc->source = kasprintf(GFP_KERNEL, "dmabuf:%s", dmabuf->exp_name);
		if (!fc->source)
			return -ENOMEM;
	}
	return 0;
}

/* Record the page frame of every page of the mapped buffer. */
static int daxfs_dmabuf_pfns(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	unsigned long i, n = sbi->size >> PAGE_SHIFT;
	const u8 *va = sbi->region;

	if (!is_vmalloc_addr(va) && !virt_addr_valid(va))
		return invalfc(fc, "the %s dma-buf maps at an address without pages",
			       sbi->dmabuf->exp_name);
	sbi->pfns = kvmalloc_array(n, sizeof(*sbi->pfns), GFP_KERNEL);
	if (!sbi->pfns)
		return -ENOMEM;
	for (i = 0; i < n; i++, va += PAGE_SIZE) {
		sbi->pfns[i] = is_vmalloc_addr(va) ? vmalloc_to_pfn(va) :
						     PHYS_PFN(__pa(va));
		if (!sbi->pfns[i])
			return invalfc(fc, "page %lu of the %s dma-buf is not mapped",
				       i, sbi->dmabuf->exp_name);
		if (!(i & 4095))
			cond_resched();
	}
	return 0;
}

/**
 * daxfs_dmabuf_map - map the buffer of a mount as its region
 * @fc: the mount context
 * @sbi: the new mount; it takes the reference in *@dmabuf
 * @dmabuf: the buffer (daxfs_dmabuf_param()), NULL afterwards
 *
 * Return: 0, or an error with the reason logged in @fc; either way
 * daxfs_dmabuf_release() gives back what was taken.
 */
int daxfs_dmabuf_map(struct fs_context *fc, struct daxfs_sb_info *sbi,
		     struct dma_buf **dmabuf)
{
	struct iosys_map map;
	int err;

	sbi->dmabuf = *dmabuf;
	*dmabuf = NULL;
	sbi->size = sbi->dmabuf->size;
	err = daxfs_dma_buf_vmap(sbi->dmabuf, &map);
	if (err)
		return invalfc(fc, "cannot map the %s dma-buf (error %d)",
			       sbi->dmabuf->exp_name, err);
	sbi->dmabuf_map = map;
	sbi->dmabuf_mapped = true;
	if (map.is_iomem)
		return invalfc(fc, "the %s dma-buf is I/O memory, not RAM",
			       sbi->dmabuf->exp_name);
	sbi->region = map.vaddr;
	err = daxfs_dmabuf_pfns(fc, sbi);
	if (err)
		sbi->region = NULL;
	return err;
}

/**
 * daxfs_dmabuf_release - unmap the buffer of a mount and drop its reference
 * @sbi: the mount (nothing happens for one of physical memory)
 */
void daxfs_dmabuf_release(struct daxfs_sb_info *sbi)
{
	if (!sbi->dmabuf)
		return;
	if (sbi->dmabuf_mapped)
		daxfs_dma_buf_vunmap(sbi->dmabuf, &sbi->dmabuf_map);
	kvfree(sbi->pfns);
	sbi->pfns = NULL;
	sbi->region = NULL;
	dma_buf_put(sbi->dmabuf);
	sbi->dmabuf = NULL;
}

/**
 * daxfs_dmabuf_show - the options of a dma-buf mount for /proc/mounts
 * @m: the seq_file
 * @sbi: a mount of a dma-buf
 */
void daxfs_dmabuf_show(struct seq_file *m, struct daxfs_sb_info *sbi)
{
	seq_printf(m, ",dmabuf=%lu,size=%llu", daxfs_dmabuf_ino(sbi->dmabuf),
		   sbi->size);
}

/**
 * daxfs_dmabuf_fd - a new descriptor of the buffer of a mount
 * @sb: the superblock
 *
 * For another process, or a device driver's user, to map the same memory.
 *
 * Return: the descriptor (close-on-exec), or -ENODEV for a mount of
 * physical memory, or another error.
 */
int daxfs_dmabuf_fd(struct super_block *sb)
{
	struct dma_buf *dmabuf = DAXFS_SB(sb)->dmabuf;
	int fd;

	if (!dmabuf)
		return -ENODEV;
	get_dma_buf(dmabuf);
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(dmabuf);
	return fd;
}
