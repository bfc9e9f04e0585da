// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: directory lookup and readdir.
 *
 * A base directory is a sorted array of fixed-size entries in the data
 * area: lookup is a binary search, and a readdir position is an array index
 * (after "." and ".."). A directory a branch changed is served from its
 * index (daxfs_index_lookup(), daxfs_index_readdir()), whose cookies keep
 * those positions, so iteration can resume anywhere.
 */
#include <linux/fs.h>
#include <linux/sched.h>

#include "daxfs.h"

struct dentry *daxfs_lookup(struct inode *dir, struct dentry *dentry,
			    unsigned int flags)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dir->i_sb);
	struct inode *inode = NULL;
	u32 type;
	u64 ino;
	int err;

	err = daxfs_check_live(dir->i_sb);
	if (err)
		return ERR_PTR(err);
	if (dentry->d_name.len > DAXFS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (!dentry->d_op)
		d_set_d_op(dentry, &daxfs_dentry_operations);
	dentry->d_fsdata = (void *)(unsigned long)READ_ONCE(sbi->index_seq);
	err = daxfs_index_lookup(dir->i_sb, dir, dentry->d_name.name,
				 dentry->d_name.len, &ino, &type);
	if (err && err != -ENOENT)
		return ERR_PTR(err);
	if (!err) {
		inode = daxfs_iget(dir->i_sb, ino);
		if (IS_ERR(inode))
			return ERR_CAST(inode);
		if (DAXFS_MODE_TO_DT(inode->i_mode) != type) {
			err = daxfs_corrupt(dir->i_sb,
					    "directory %lu names inode %lu with the wrong type",
					    dir->i_ino, inode->i_ino);
			iput(inode);
			return ERR_PTR(err);
		}
		daxfs_inode_refresh(inode);
	}
	return d_splice_alias(inode, dentry);
}

/*
 * Each entry is copied out of the index under its lock, and given to
 * dir_emit() (which writes to user memory, maybe a mapping of this mount)
 * after the lock is dropped. ctx->pos is 2 + the entry's cookie.
 */
static int daxfs_readdir(struct file *file, struct dir_context *ctx)
{
	struct inode *dir = file_inode(file);
	char name[DAXFS_NAME_MAX];
	u64 cookie, ino;
	u32 type, len;
	int err;

	err = daxfs_check_live(dir->i_sb);
	if (err)
		return err;
	if (!dir_emit_dots(file, ctx))
		return 0;
	for (;;) {
		err = daxfs_index_readdir(dir->i_sb, dir, ctx->pos - 2, &cookie,
					  &ino, &type, name, &len);
		if (err == -ENOENT)
			break;
		if (err)
			return err;
		ctx->pos = cookie + 2;
		if (!dir_emit(ctx, name, len, ino, type))
			return 0;
		ctx->pos++;
		cond_resched();
	}
	/* Past every cookie: new entries get higher cookies anyway. */
	return 0;
}

static int daxfs_dir_open(struct inode *inode, struct file *file)
{
	int err = daxfs_check_live(inode->i_sb);

	if (err)
		return err;
	daxfs_inode_refresh(inode);
	return 0;
}

const struct file_operations daxfs_dir_operations = {
	.open		= daxfs_dir_open,
	.llseek		= generic_file_llseek,
	.read		= generic_read_dir,
	.iterate_shared	= daxfs_readdir,
	.fsync		= noop_fsync,
	.unlocked_ioctl	= daxfs_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
