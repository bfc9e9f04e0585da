// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: directories.
 *
 * A directory is a sorted array of fixed-size entries in the data area:
 * lookup is a binary search, and a readdir position is an array index
 * (after "." and ".."), so iteration can resume anywhere.
 */
#include <linux/fs.h>
#include <linux/sched.h>

#include "daxfs.h"

static struct dentry *daxfs_lookup(struct inode *dir, struct dentry *dentry,
				   unsigned int flags)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	struct daxfs_report rep = { };
	struct inode *inode = NULL;
	struct daxfs_dent de;
	int err;

	if (dentry->d_name.len > DAXFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	err = daxfs_dir_find(sbi->region, &sbi->geo, &DAXFS_I(dir)->di,
			     dentry->d_name.name, dentry->d_name.len, &de, &rep);
	if (err && err != -ENOENT) {
		daxfs_report_corrupt(dir->i_sb, err, &rep);
		return ERR_PTR(err);
	}
	if (!err) {
		inode = daxfs_iget(dir->i_sb, de.ino);
		if (IS_ERR(inode))
			return ERR_CAST(inode);
		if (DAXFS_MODE_TO_DT(inode->i_mode) != de.type) {
			snprintf(rep.msg, sizeof(rep.msg),
				 "directory %lu names inode %lu with the wrong type",
				 dir->i_ino, inode->i_ino);
			daxfs_report_corrupt(dir->i_sb, -EUCLEAN, &rep);
			iput(inode);
			return ERR_PTR(-EUCLEAN);
		}
	}
	return d_splice_alias(inode, dentry);
}

static int daxfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	const struct daxfs_ino *di = &DAXFS_I(dir)->di;
	u64 count = daxfs_dir_count(di);
	struct daxfs_report rep = { };
	struct daxfs_dent de;
	int err;

	if (!dir_emit_dots(file, ctx))
		return 0;
	while ((u64)(ctx->pos - 2) < count) {
		err = daxfs_read_dirent(sbi->region, &sbi->geo, di, ctx->pos - 2,
					&de, &rep);
		if (err) {
			daxfs_report_corrupt(dir->i_sb, err, &rep);
			return err;
		}
		if (!dir_emit(ctx, de.name, de.name_len, de.ino, de.type))
			return 0;
		ctx->pos++;
		cond_resched();
	}
	return 0;
}

const struct inode_operations daxfs_dir_inode_operations = {
	.lookup		= daxfs_lookup,
};

const struct file_operations daxfs_dir_operations = {
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= daxfs_readdir,
	.fsync		= noop_fsync,
};
