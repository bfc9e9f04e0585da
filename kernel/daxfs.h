/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAXFS kernel module: internal declarations shared by its source files.
 */
#ifndef _DAXFS_H
#define _DAXFS_H

#include <linux/fs.h>
#include <linux/ratelimit.h>
#include <linux/types.h>

#include "daxfs_check.h"

/**
 * struct daxfs_sb_info - one mounted DAXFS region
 * @region: the region, mapped write-back with memremap()
 * @phys: physical address of the region
 * @size: bytes of the region
 * @geo: the checked, decoded superblock
 * @validate: the whole image was validated at mount (option "validate")
 * @corrupt_rs: rate limit of this mount's messages about a corrupt image
 */
struct daxfs_sb_info {
	void *region;
	phys_addr_t phys;
	u64 size;
	struct daxfs_geo geo;
	bool validate;
	struct ratelimit_state corrupt_rs;
};

/**
 * struct daxfs_inode_info - a DAXFS inode in memory
 * @di: checked copy of the on-media inode; the region is never read twice
 * @vfs_inode: the VFS inode
 */
struct daxfs_inode_info {
	struct daxfs_ino di;
	struct inode vfs_inode;
};

static inline struct daxfs_sb_info *DAXFS_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct daxfs_inode_info *DAXFS_I(const struct inode *inode)
{
	return container_of(inode, struct daxfs_inode_info, vfs_inode);
}

/* super.c */
void daxfs_report_corrupt(struct super_block *sb, int err,
			  const struct daxfs_report *rep);

/* inode.c */
struct inode *daxfs_iget(struct super_block *sb, u64 ino);
extern const struct inode_operations daxfs_symlink_inode_operations;

/* dir.c */
extern const struct inode_operations daxfs_dir_inode_operations;
extern const struct file_operations daxfs_dir_operations;

/* file.c */
extern const struct inode_operations daxfs_file_inode_operations;
extern const struct file_operations daxfs_file_operations;
extern const struct address_space_operations daxfs_file_aops;

#endif /* _DAXFS_H */
