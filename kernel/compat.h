/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel APIs DAXFS is built against (Debian's 6.1
 * and 6.12). Every version test of the module lives in this file.
 */
#ifndef _DAXFS_COMPAT_H
#define _DAXFS_COMPAT_H

#include <linux/version.h>
#include <linux/dma-buf.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/splice.h>
#include <linux/blkdev.h>
#include <linux/err.h>

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline void daxfs_set_inode_times(struct inode *inode,
					 struct timespec64 mtime,
					 struct timespec64 ctime)
{
	inode_set_atime_to_ts(inode, mtime);
	inode_set_mtime_to_ts(inode, mtime);
	inode_set_ctime_to_ts(inode, ctime);
}
#else
static inline void daxfs_set_inode_times(struct inode *inode,
					 struct timespec64 mtime,
					 struct timespec64 ctime)
{
	inode->i_atime = mtime;
	inode->i_mtime = mtime;
	inode->i_ctime = ctime;
}
#endif

/* Each of the three times of an inode. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline void daxfs_set_inode_times3(struct inode *inode,
					  struct timespec64 atime,
					  struct timespec64 mtime,
					  struct timespec64 ctime)
{
	inode_set_atime_to_ts(inode, atime);
	inode_set_mtime_to_ts(inode, mtime);
	inode_set_ctime_to_ts(inode, ctime);
}

static inline struct timespec64 daxfs_inode_mtime(const struct inode *inode)
{
	return inode_get_mtime(inode);
}

static inline struct timespec64 daxfs_inode_atime(const struct inode *inode)
{
	return inode_get_atime(inode);
}
#else
static inline void daxfs_set_inode_times3(struct inode *inode,
					  struct timespec64 atime,
					  struct timespec64 mtime,
					  struct timespec64 ctime)
{
	inode->i_atime = atime;
	inode->i_mtime = mtime;
	inode->i_ctime = ctime;
}

static inline struct timespec64 daxfs_inode_mtime(const struct inode *inode)
{
	return inode->i_mtime;
}

static inline struct timespec64 daxfs_inode_atime(const struct inode *inode)
{
	return inode->i_atime;
}
#endif

/*
 * The id mapping argument of the inode operations, written struct
 * daxfs_idmap: struct mnt_idmap since 6.3, struct user_namespace before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define daxfs_idmap mnt_idmap
#else
#define daxfs_idmap user_namespace
#endif

/* generic_fillattr() takes the request mask since 6.6. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
static inline void daxfs_fillattr(struct daxfs_idmap *idmap, u32 request_mask,
				  struct inode *inode, struct kstat *stat)
{
	generic_fillattr(idmap, request_mask, inode, stat);
}
#else
static inline void daxfs_fillattr(struct daxfs_idmap *idmap, u32 request_mask,
				  struct inode *inode, struct kstat *stat)
{
	generic_fillattr(idmap, inode, stat);
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline void daxfs_vm_flags_mod(struct vm_area_struct *vma,
				      vm_flags_t set, vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#else
static inline void daxfs_vm_flags_mod(struct vm_area_struct *vma,
				      vm_flags_t set, vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
static inline void daxfs_set_uuid(struct super_block *sb, const u8 *uuid)
{
	super_set_uuid(sb, uuid, sizeof(sb->s_uuid));
}
#else
static inline void daxfs_set_uuid(struct super_block *sb, const u8 *uuid)
{
	memcpy(&sb->s_uuid, uuid, sizeof(sb->s_uuid));
}
#endif

/* splice_read that goes through ->read_iter, never the page cache. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define daxfs_splice_read copy_splice_read
#else
#define daxfs_splice_read generic_file_splice_read
#endif

/*
 * A block device opened by path for reading and writing, claimed by
 * @holder (other openers with another holder get -EBUSY): a struct file
 * since 6.9, the block device itself with an open mode before.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
static inline struct block_device *daxfs_bdev_open(const char *path,
						   void *holder, void **handle)
{
	struct file *file;

	file = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
				      holder, NULL);
	if (IS_ERR(file))
		return ERR_CAST(file);
	*handle = file;
	return file_bdev(file);
}

static inline void daxfs_bdev_close(struct block_device *bdev, void *handle)
{
	bdev_fput(handle);
}
#else
#define DAXFS_BDEV_MODE	(FMODE_READ | FMODE_WRITE | FMODE_EXCL)

static inline struct block_device *daxfs_bdev_open(const char *path,
						   void *holder, void **handle)
{
	*handle = NULL;
	return blkdev_get_by_path(path, DAXFS_BDEV_MODE, holder);
}

static inline void daxfs_bdev_close(struct block_device *bdev, void *handle)
{
	blkdev_put(bdev, DAXFS_BDEV_MODE);
}
#endif

/*
 * A kernel mapping of a whole dma-buf: since 6.2 dma_buf_vmap() wants the
 * reservation lock held and the _unlocked variants take it; 6.1's take the
 * buffer's own lock themselves.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static inline int daxfs_dma_buf_vmap(struct dma_buf *dmabuf,
				     struct iosys_map *map)
{
	return dma_buf_vmap_unlocked(dmabuf, map);
}

static inline void daxfs_dma_buf_vunmap(struct dma_buf *dmabuf,
					struct iosys_map *map)
{
	dma_buf_vunmap_unlocked(dmabuf, map);
}
#else
static inline int daxfs_dma_buf_vmap(struct dma_buf *dmabuf,
				     struct iosys_map *map)
{
	return dma_buf_vmap(dmabuf, map);
}

static inline void daxfs_dma_buf_vunmap(struct dma_buf *dmabuf,
					struct iosys_map *map)
{
	dma_buf_vunmap(dmabuf, map);
}
#endif

#endif /* _DAXFS_COMPAT_H */
