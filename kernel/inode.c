// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: inodes.
 *
 * An inode is read from the region once, checked by daxfs_read_inode() and
 * kept as a decoded copy in struct daxfs_inode_info; nothing reads the
 * on-media inode again.
 */
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "daxfs.h"
#include "compat.h"

const struct inode_operations daxfs_symlink_inode_operations = {
	.get_link	= simple_get_link,
};

static const struct inode_operations daxfs_special_inode_operations = {
};

/*
 * Copy the target of a symlink out of the region into a NUL-terminated
 * buffer, so it is checked and used as one snapshot.
 */
static int daxfs_read_symlink(struct inode *inode, struct daxfs_report *rep)
{
	const struct daxfs_ino *di = &DAXFS_I(inode)->di;
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	const void *src;
	char *link;

	src = daxfs_data_ptr(sbi->region, &sbi->geo, di->data, di->size);
	if (!src) {
		snprintf(rep->msg, sizeof(rep->msg),
			 "symlink %llu outside the data area",
			 (unsigned long long)di->ino);
		return -EUCLEAN;
	}
	link = kmalloc(di->size + 1, GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	memcpy(link, src, di->size);
	link[di->size] = '\0';
	if (strlen(link) != di->size) {
		kfree(link);
		snprintf(rep->msg, sizeof(rep->msg),
			 "symlink %llu target holds a NUL byte",
			 (unsigned long long)di->ino);
		return -EUCLEAN;
	}
	inode->i_link = link;
	return 0;
}

/* Fill a new VFS inode from its checked copy @di. */
static int daxfs_fill_inode(struct inode *inode, struct daxfs_report *rep)
{
	const struct daxfs_ino *di = &DAXFS_I(inode)->di;
	struct timespec64 mtime = { .tv_sec = di->mtime,
				    .tv_nsec = di->mtime_nsec };
	struct timespec64 ctime = { .tv_sec = di->ctime,
				    .tv_nsec = di->ctime_nsec };

	inode->i_mode = di->mode;
	i_uid_write(inode, di->uid);
	i_gid_write(inode, di->gid);
	set_nlink(inode, di->nlink);
	inode->i_size = di->size;
	inode->i_blocks = round_up(di->size, DAXFS_BLOCK_SIZE) >> 9;
	daxfs_set_inode_times(inode, mtime, ctime);

	switch (di->mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &daxfs_file_inode_operations;
		inode->i_fop = &daxfs_file_operations;
		inode->i_mapping->a_ops = &daxfs_file_aops;
		return 0;
	case S_IFDIR:
		inode->i_op = &daxfs_dir_inode_operations;
		inode->i_fop = &daxfs_dir_operations;
		return 0;
	case S_IFLNK:
		inode->i_op = &daxfs_symlink_inode_operations;
		return daxfs_read_symlink(inode, rep);
	default:
		inode->i_op = &daxfs_special_inode_operations;
		init_special_inode(inode, di->mode, new_decode_dev(di->rdev));
		return 0;
	}
}

/**
 * daxfs_iget - get the in-memory inode of inode number @ino
 * @sb: the superblock
 * @ino: the inode number, 1-based
 *
 * The same number always gives the same inode, so hard links (several
 * entries naming one inode) share it.
 *
 * Return: the inode, or an ERR_PTR (-EUCLEAN for a corrupt inode).
 */
struct inode *daxfs_iget(struct super_block *sb, u64 ino)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct inode *inode;
	int err;

	if (ino < 1 || ino > sbi->geo.inode_count) {
		snprintf(rep.msg, sizeof(rep.msg), "inode number %llu out of range",
			 (unsigned long long)ino);
		err = -EUCLEAN;
		goto out_report;
	}
	inode = iget_locked(sb, ino);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	if (!(inode->i_state & I_NEW))
		return inode;

	err = daxfs_read_inode(sbi->region, &sbi->geo, ino, &DAXFS_I(inode)->di,
			       &rep);
	if (!err)
		err = daxfs_fill_inode(inode, &rep);
	if (err)
		goto out_failed;
	unlock_new_inode(inode);
	return inode;

out_failed:
	iget_failed(inode);
out_report:
	if (err != -ENOMEM)
		daxfs_report_corrupt(sb, err, &rep);
	return ERR_PTR(err);
}
