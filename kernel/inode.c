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
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "daxfs.h"
#include "compat.h"

const struct inode_operations daxfs_symlink_inode_operations = {
	.get_link	= simple_get_link,
	.getattr	= daxfs_getattr,
	.setattr	= daxfs_setattr,
};

const struct inode_operations daxfs_special_inode_operations = {
	.getattr	= daxfs_getattr,
	.setattr	= daxfs_setattr,
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

/* Set the operations of a new VFS inode from its mode. */
static void daxfs_set_ops(struct inode *inode, u32 rdev)
{
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
		inode->i_op = &daxfs_file_inode_operations;
		inode->i_fop = &daxfs_file_operations;
		inode->i_mapping->a_ops = &daxfs_file_aops;
		break;
	case S_IFDIR:
		inode->i_op = &daxfs_dir_inode_operations;
		inode->i_fop = &daxfs_dir_operations;
		break;
	case S_IFLNK:
		inode->i_op = &daxfs_symlink_inode_operations;
		break;
	default:
		inode->i_op = &daxfs_special_inode_operations;
		init_special_inode(inode, inode->i_mode, new_decode_dev(rdev));
		break;
	}
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
	daxfs_set_ops(inode, di->rdev);
	if (S_ISLNK(di->mode))
		return daxfs_read_symlink(inode, rep);
	return 0;
}

/* The size and times of @node (WRITE records change them in parallel). */
static void daxfs_copy_node_data(struct inode *inode, struct daxfs_node *node)
{
	unsigned int seq;
	u64 size;

	do {
		seq = read_seqbegin(&node->lock);
		if (S_ISREG(node->v.mode) || S_ISLNK(node->v.mode))
			size = node->v.size;
		else if (S_ISDIR(node->v.mode))
			size = node->materialized ?
			       node->entries * sizeof(struct daxfs_dirent) :
			       node->base.size;
		else
			size = i_size_read(inode);
		daxfs_set_inode_times3(inode, daxfs_vts(node->v.atime),
				       daxfs_vts(node->v.mtime),
				       daxfs_vts(node->v.ctime));
	} while (read_seqretry(&node->lock, seq));
	i_size_write(inode, size);
	inode->i_blocks = round_up(size, DAXFS_BLOCK_SIZE) >> 9;
}

/* Copy the attributes of @node into @inode. */
static void daxfs_copy_node(struct inode *inode, struct daxfs_node *node)
{
	inode->i_mode = node->v.mode;
	/* S_NOSEC says "nothing to clear on write": not with setuid bits */
	if (is_sxid(node->v.mode))
		inode->i_flags &= ~S_NOSEC;
	i_uid_write(inode, node->v.uid);
	i_gid_write(inode, node->v.gid);
	set_nlink(inode, node->v.nlink);
	daxfs_copy_node_data(inode, node);
}

/*
 * The target of a symlink node: a base symlink's was copied at replay, a
 * branch symlink's is read from its delta page now, while the symlink exists
 * and so still owns that page.
 */
static int daxfs_node_link(struct inode *inode, const struct daxfs_node *node)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	const char *src;
	char *link;

	if (node->link || !node->link_src) {
		inode->i_link = kstrdup(node->link ? node->link : "", GFP_KERNEL);
		return inode->i_link ? 0 : -ENOMEM;
	}
	src = daxfs_page_addr(sbi, node->link_src);
	if (!src || node->v.size > DAXFS_SYMLINK_MAX)
		goto bad;
	link = kmemdup_nul(src, node->v.size, GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	if (strlen(link) != node->v.size) {
		kfree(link);
		goto bad;
	}
	inode->i_link = link;
	return 0;
bad:
	return daxfs_corrupt(inode->i_sb, "symlink %llu: bad target in delta page %llu",
			     (unsigned long long)node->v.ino,
			     (unsigned long long)node->link_src);
}

/* Fill a new VFS inode from the node of its inode number. */
static int daxfs_fill_from_node(struct inode *inode,
				struct daxfs_node *node)
{
	if (node->has_base)
		DAXFS_I(inode)->di = node->base;
	else
		DAXFS_I(inode)->di.ino = node->v.ino;
	daxfs_copy_node(inode, node);
	daxfs_set_ops(inode, node->v.rdev);
	if (S_ISLNK(node->v.mode))
		return daxfs_node_link(inode, node);
	return 0;
}

/**
 * daxfs_inode_refresh_locked - bring a VFS inode up to date with its node
 * @inode: the inode (sbi->index_lock held)
 */
void daxfs_inode_refresh_locked(struct inode *inode)
{
	struct daxfs_node *node;

	node = daxfs_node_find(DAXFS_SB(inode->i_sb), inode->i_ino);
	if (node)
		daxfs_copy_node(inode, node);
}

/**
 * daxfs_inode_refresh - bring a VFS inode up to date with its node
 * @inode: the inode
 *
 * A main mount replays commits behind the VFS's back, so cached inodes are
 * refreshed from the index before their attributes are used.
 */
void daxfs_inode_refresh(struct inode *inode)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);

	down_read(&sbi->index_lock);
	daxfs_inode_refresh_locked(inode);
	up_read(&sbi->index_lock);
}

/**
 * daxfs_inode_refresh_write - bring size and times of a file up to date
 * @inode: a regular file of a writable branch, after a WRITE record
 *
 * Its node exists and stays (nodes live as long as the mount), so no index
 * lock is needed: the node's own lock covers what WRITE records change.
 */
void daxfs_inode_refresh_write(struct inode *inode)
{
	struct daxfs_node *node;

	node = daxfs_node_find(DAXFS_SB(inode->i_sb), inode->i_ino);
	if (node)
		daxfs_copy_node_data(inode, node);
}

/* Read the base inode or the node of @ino into a new VFS inode. */
static int daxfs_read_new(struct inode *inode, struct daxfs_report *rep)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 ino = inode->i_ino;
	struct daxfs_node *node;
	int err;

	atomic_set(&DAXFS_I(inode)->opens, 0);
	DAXFS_I(inode)->map_written = false;
	down_read(&sbi->index_lock);
	node = daxfs_node_find(sbi, ino);
	if (node) {
		err = daxfs_fill_from_node(inode, node);
		up_read(&sbi->index_lock);
		return err;
	}
	up_read(&sbi->index_lock);
	if (ino < 1 || ino > sbi->geo.inode_count) {
		snprintf(rep->msg, sizeof(rep->msg), "inode number %llu out of range",
			 (unsigned long long)ino);
		return -EUCLEAN;
	}
	err = daxfs_read_inode(sbi->region, &sbi->geo, ino, &DAXFS_I(inode)->di,
			       rep);
	if (!err)
		err = daxfs_fill_inode(inode, rep);
	return err;
}

/**
 * daxfs_iget - get the in-memory inode of inode number @ino
 * @sb: the superblock
 * @ino: the inode number, 1-based
 *
 * The same number always gives the same inode, so hard links (several
 * entries naming one inode) share it. Inodes the mounted chain changed or
 * created are filled from their node in the index, others from the base.
 *
 * Return: the inode, or an ERR_PTR (-EUCLEAN for a corrupt inode).
 */
struct inode *daxfs_iget(struct super_block *sb, u64 ino)
{
	struct daxfs_report rep = { };
	struct inode *inode;
	int err;

	if (!ino) {
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

	err = daxfs_read_new(inode, &rep);
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

/*
 * Cached dentries of a mount that replays commits (main) are checked
 * against the index again once it changed (sbi->index_seq moved).
 */
static bool daxfs_dentry_current(struct dentry *dentry, struct inode *dir)
{
	struct name_snapshot name;
	struct inode *inode;
	u32 type;
	u64 ino;
	int err;

	take_dentry_name_snapshot(&name, dentry);
	err = daxfs_index_lookup(dentry->d_sb, dir, name.name.name,
				 name.name.len, &ino, &type);
	release_dentry_name_snapshot(&name);
	inode = d_inode(dentry);
	if (err == -ENOENT)
		return !inode;
	if (err || !inode || inode->i_ino != ino)
		return false;
	daxfs_inode_refresh(inode);
	return true;
}

static int daxfs_d_revalidate(struct dentry *dentry, unsigned int flags)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dentry->d_sb);
	struct dentry *parent;
	bool ok;
	u64 seq;

	if (!daxfs_live_moved(sbi) &&
	    (unsigned long)READ_ONCE(dentry->d_fsdata) ==
	    (unsigned long)READ_ONCE(sbi->index_seq))
		return 1;
	if (flags & LOOKUP_RCU)
		return -ECHILD;
	if (daxfs_check_live(dentry->d_sb))
		return 0;
	seq = READ_ONCE(sbi->index_seq);
	parent = dget_parent(dentry);
	ok = daxfs_dentry_current(dentry, d_inode(parent));
	dput(parent);
	if (ok)
		WRITE_ONCE(dentry->d_fsdata, (void *)(unsigned long)seq);
	return ok;
}

const struct dentry_operations daxfs_dentry_operations = {
	.d_revalidate	= daxfs_d_revalidate,
};
