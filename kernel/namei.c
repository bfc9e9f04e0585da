// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: changes to the namespace and to attributes in a writable branch.
 *
 * Every change is one record (two for a truncate that copies its last page
 * first): built in private memory, checked by daxfs_rec_decode(), appended
 * to the branch's log, then applied to the index by daxfs_index_apply() --
 * the same function that replays it at mount. The VFS inodes involved are
 * then refreshed from their nodes.
 */
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "daxfs.h"

/* Start of every change: the branch is alive and writable. */
static int daxfs_may_change(struct super_block *sb)
{
	int err = daxfs_check_live(sb);

	if (err)
		return err;
	return DAXFS_SB(sb)->writable ? 0 : -EROFS;
}

static void daxfs_stamp(struct dentry *dentry)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dentry->d_sb);

	dentry->d_fsdata = (void *)(unsigned long)READ_ONCE(sbi->index_seq);
}

/* Owner and mode of a new inode, as inode_init_owner() gives them. */
static int daxfs_new_owner(struct daxfs_idmap *idmap, struct inode *dir, umode_t *mode,
			   u32 *uid, u32 *gid)
{
	struct inode *tmp = new_inode(dir->i_sb);

	if (!tmp)
		return -ENOMEM;
	inode_init_owner(idmap, tmp, dir, *mode);
	*mode = tmp->i_mode;
	*uid = i_uid_read(tmp);
	*gid = i_gid_read(tmp);
	iput(tmp);
	return 0;
}

static u32 daxfs_create_type(umode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return DAXFS_REC_CREATE;
	case S_IFDIR:
		return DAXFS_REC_MKDIR;
	case S_IFLNK:
		return DAXFS_REC_SYMLINK;
	default:
		return DAXFS_REC_MKNOD;
	}
}

/* Put the target of a new symlink in a fresh delta page. */
static int daxfs_symlink_page(struct daxfs_sb_info *sbi, const char *symname,
			      struct daxfs_rec_create *rec)
{
	size_t len = strlen(symname);
	u64 page;
	void *p;
	int err;

	if (len > DAXFS_SYMLINK_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	err = daxfs_page_alloc(sbi, DAXFS_ALLOC_NOZERO, &page);
	if (err)
		return err;
	p = daxfs_page_addr(sbi, page);
	memcpy(p, symname, len);
	memset(p + len, 0, PAGE_SIZE - len);
	daxfs_persist_data(sbi, p, PAGE_SIZE);
	rec->page = cpu_to_le64(page);
	rec->size = cpu_to_le64(len);
	return 0;
}

/* Refresh @dir and instantiate @dentry with new inode @ino. */
static int daxfs_instantiate(struct inode *dir, struct dentry *dentry, u64 ino)
{
	struct inode *inode = daxfs_iget(dir->i_sb, ino);

	daxfs_inode_refresh(dir);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	daxfs_stamp(dentry);
	d_instantiate(dentry, inode);
	return 0;
}

/* CREATE, MKDIR, SYMLINK or MKNOD of @dentry in @dir. */
static int daxfs_new_node(struct daxfs_idmap *idmap, struct inode *dir,
			  struct dentry *dentry, umode_t mode, dev_t dev,
			  const char *symname)
{
	struct super_block *sb = dir->i_sb;
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 nlen = dentry->d_name.len, len, uid, gid;
	struct daxfs_rec_create *rec;
	u64 ino;
	int err;

	err = daxfs_may_change(sb);
	if (err)
		return err;
	if (nlen > DAXFS_NAME_MAX)
		return -ENAMETOOLONG;
	err = daxfs_new_owner(idmap, dir, &mode, &uid, &gid);
	if (err)
		return err;
	len = ALIGN(sizeof(*rec) + nlen, DAXFS_REC_ALIGN);
	rec = kzalloc(len, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	err = daxfs_new_ino(sbi, &ino);
	if (err)
		goto out;
	daxfs_rec_init(&rec->h, daxfs_create_type(mode), len, ino);
	rec->parent = cpu_to_le64(dir->i_ino);
	rec->mode = cpu_to_le32(mode);
	rec->uid = cpu_to_le32(uid);
	rec->gid = cpu_to_le32(gid);
	if (S_ISCHR(mode) || S_ISBLK(mode))
		rec->rdev = cpu_to_le32(new_encode_dev(dev));
	rec->name_len = cpu_to_le16(nlen);
	memcpy(rec->name, dentry->d_name.name, nlen);
	if (symname) {
		err = daxfs_symlink_page(sbi, symname, rec);
		if (err)
			goto out;
	}
	err = daxfs_commit_rec(sb, &rec->h, len, NULL);
	if (err) {
		if (rec->page)
			daxfs_page_free(sbi, le64_to_cpu(rec->page));
		goto out;
	}
	err = daxfs_instantiate(dir, dentry, ino);
out:
	kfree(rec);
	return err;
}

static int daxfs_create(struct daxfs_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, bool excl)
{
	return daxfs_new_node(idmap, dir, dentry, S_IFREG | (mode & 07777), 0,
			      NULL);
}

static int daxfs_mkdir(struct daxfs_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode)
{
	return daxfs_new_node(idmap, dir, dentry, S_IFDIR | (mode & 07777), 0,
			      NULL);
}

static int daxfs_symlink(struct daxfs_idmap *idmap, struct inode *dir,
			 struct dentry *dentry, const char *symname)
{
	return daxfs_new_node(idmap, dir, dentry, S_IFLNK | 0777, 0, symname);
}

static int daxfs_mknod(struct daxfs_idmap *idmap, struct inode *dir,
		       struct dentry *dentry, umode_t mode, dev_t dev)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return daxfs_create(idmap, dir, dentry, mode, false);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return daxfs_new_node(idmap, dir, dentry, mode, dev, NULL);
	default:
		return -EINVAL;
	}
}

/* LINK and UNLINK: a name record about @ino in @dir. */
static int daxfs_name_rec(struct inode *dir, struct dentry *dentry, u32 type,
			  u64 ino)
{
	u32 nlen = dentry->d_name.len;
	u32 len = ALIGN(sizeof(struct daxfs_rec_name) + nlen, DAXFS_REC_ALIGN);
	struct daxfs_rec_name *rec;
	int err;

	if (nlen > DAXFS_NAME_MAX)
		return -ENAMETOOLONG;
	rec = kzalloc(len, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	daxfs_rec_init(&rec->h, type, len, ino);
	rec->parent = cpu_to_le64(dir->i_ino);
	rec->name_len = cpu_to_le16(nlen);
	memcpy(rec->name, dentry->d_name.name, nlen);
	err = daxfs_commit_rec(dir->i_sb, &rec->h, len, NULL);
	kfree(rec);
	return err;
}

static int daxfs_link(struct dentry *old_dentry, struct inode *dir,
		      struct dentry *dentry)
{
	struct inode *inode = d_inode(old_dentry);
	int err;

	err = daxfs_may_change(dir->i_sb);
	if (err)
		return err;
	err = daxfs_name_rec(dir, dentry, DAXFS_REC_LINK, inode->i_ino);
	if (err)
		return err;
	daxfs_inode_refresh(dir);
	daxfs_inode_refresh(inode);
	ihold(inode);
	daxfs_stamp(dentry);
	d_instantiate(dentry, inode);
	return 0;
}

/**
 * daxfs_release_unlinked - free the pages of a file nothing names or opens
 * @inode: the inode, whose last link went or whose last opener left
 *
 * Only a writable branch frees pages, and only those it owns; the record
 * that removed the last name is already in the log.
 */
void daxfs_release_unlinked(struct inode *inode)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_node *node;
	struct xarray drops;

	if (!sbi->writable ||
	    atomic_read(&DAXFS_I(inode)->opens))
		return;
	xa_init(&drops);
	down_write(&sbi->index_lock);
	node = daxfs_node_find(sbi, inode->i_ino);
	if (node && !node->v.nlink && !S_ISDIR(node->v.mode)) {
		sbi->drop_to = &drops;
		daxfs_index_drop_pages(sbi, node);
		sbi->drop_to = NULL;
	}
	up_write(&sbi->index_lock);
	daxfs_index_free_drops(sbi, &drops);
}

static int daxfs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = daxfs_may_change(dir->i_sb);
	if (err)
		return err;
	err = daxfs_name_rec(dir, dentry, DAXFS_REC_UNLINK, inode->i_ino);
	if (err)
		return err;
	daxfs_inode_refresh(dir);
	daxfs_inode_refresh(inode);
	if (!inode->i_nlink)
		daxfs_release_unlinked(inode);
	return 0;
}

/* Directory @inode has no entries (it is locked by the caller). */
static bool daxfs_empty_dir(struct inode *inode)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_node *node;
	bool empty;

	down_read(&sbi->index_lock);
	node = daxfs_node_find(sbi, inode->i_ino);
	if (node)
		empty = daxfs_index_dir_empty(inode->i_sb, node);
	else
		empty = !daxfs_dir_count(&DAXFS_I(inode)->di);
	up_read(&sbi->index_lock);
	return empty;
}

static int daxfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = daxfs_may_change(dir->i_sb);
	if (err)
		return err;
	if (!daxfs_empty_dir(inode))
		return -ENOTEMPTY;
	err = daxfs_name_rec(dir, dentry, DAXFS_REC_UNLINK, inode->i_ino);
	if (err)
		return err;
	daxfs_inode_refresh(dir);
	daxfs_inode_refresh(inode);
	return 0;
}

static int daxfs_rename(struct daxfs_idmap *idmap, struct inode *old_dir,
			struct dentry *old_dentry, struct inode *new_dir,
			struct dentry *new_dentry, unsigned int flags)
{
	struct inode *inode = d_inode(old_dentry);
	struct inode *target = d_inode(new_dentry);
	u32 olen = old_dentry->d_name.len, nlen = new_dentry->d_name.len;
	struct daxfs_rec_rename *rec;
	u32 len;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	err = daxfs_may_change(old_dir->i_sb);
	if (err)
		return err;
	if (olen > DAXFS_NAME_MAX || nlen > DAXFS_NAME_MAX)
		return -ENAMETOOLONG;
	if (target && !(flags & RENAME_EXCHANGE) && S_ISDIR(target->i_mode) &&
	    !daxfs_empty_dir(target))
		return -ENOTEMPTY;
	len = ALIGN(sizeof(*rec) + olen + nlen, DAXFS_REC_ALIGN);
	rec = kzalloc(len, GFP_KERNEL);
	if (!rec)
		return -ENOMEM;
	daxfs_rec_init(&rec->h, DAXFS_REC_RENAME, len, inode->i_ino);
	rec->old_parent = cpu_to_le64(old_dir->i_ino);
	rec->new_parent = cpu_to_le64(new_dir->i_ino);
	rec->flags = cpu_to_le32(flags);
	rec->old_len = cpu_to_le16(olen);
	rec->new_len = cpu_to_le16(nlen);
	memcpy(rec->names, old_dentry->d_name.name, olen);
	memcpy(rec->names + olen, new_dentry->d_name.name, nlen);
	err = daxfs_commit_rec(old_dir->i_sb, &rec->h, len, NULL);
	kfree(rec);
	if (err)
		return err;
	daxfs_inode_refresh(old_dir);
	daxfs_inode_refresh(new_dir);
	daxfs_inode_refresh(inode);
	if (target) {
		daxfs_inode_refresh(target);
		if (!target->i_nlink)
			daxfs_release_unlinked(target);
	}
	return 0;
}

static u64 daxfs_ts_ns(struct timespec64 ts)
{
	return (u64)timespec64_to_ns(&ts);
}

/* Log the attributes setattr_copy() gave @inode; restore them on failure. */
static int daxfs_setattr_rec(struct daxfs_idmap *idmap, struct inode *inode,
			     struct iattr *attr)
{
	const u32 bits = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_MTIME |
			 ATTR_ATIME | ATTR_CTIME;
	struct daxfs_rec_setattr rec = { };
	umode_t mode = inode->i_mode;
	kuid_t uid = inode->i_uid;
	kgid_t gid = inode->i_gid;
	u32 valid = 0;
	int err;

	if (!(attr->ia_valid & bits))
		return 0;
	setattr_copy(idmap, inode, attr);
	if (attr->ia_valid & ATTR_MODE)
		valid |= DAXFS_ATTR_MODE;
	if (attr->ia_valid & ATTR_UID)
		valid |= DAXFS_ATTR_UID;
	if (attr->ia_valid & ATTR_GID)
		valid |= DAXFS_ATTR_GID;
	if (attr->ia_valid & ATTR_MTIME)
		valid |= DAXFS_ATTR_MTIME;
	if (attr->ia_valid & ATTR_ATIME)
		valid |= DAXFS_ATTR_ATIME;
	daxfs_rec_init(&rec.h, DAXFS_REC_SETATTR, sizeof(rec), inode->i_ino);
	rec.valid = cpu_to_le32(valid);
	rec.mode = cpu_to_le32(inode->i_mode & 07777);
	rec.uid = cpu_to_le32(i_uid_read(inode));
	rec.gid = cpu_to_le32(i_gid_read(inode));
	rec.mtime = cpu_to_le64(daxfs_ts_ns(daxfs_inode_mtime(inode)));
	rec.atime = cpu_to_le64(daxfs_ts_ns(daxfs_inode_atime(inode)));
	err = daxfs_commit_rec(inode->i_sb, &rec.h, sizeof(rec), NULL);
	if (err) {
		inode->i_mode = mode;
		inode->i_uid = uid;
		inode->i_gid = gid;
	}
	daxfs_inode_refresh(inode);
	return err;
}

int daxfs_setattr(struct daxfs_idmap *idmap, struct dentry *dentry,
		  struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int err;

	err = daxfs_may_change(inode->i_sb);
	if (err)
		return err;
	daxfs_inode_refresh(inode);
	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;
	if (attr->ia_valid & ATTR_SIZE) {
		if (!S_ISREG(inode->i_mode))
			return -EINVAL;
		err = daxfs_truncate(inode, attr->ia_size);
		if (err)
			return err;
		/* The TRUNCATE record set mtime and ctime already. */
		attr->ia_valid &= ~(ATTR_SIZE | ATTR_CTIME);
		if (!(attr->ia_valid & ATTR_MTIME_SET))
			attr->ia_valid &= ~ATTR_MTIME;
	}
	return daxfs_setattr_rec(idmap, inode, attr);
}

/**
 * daxfs_getattr_common - start of an operation that reads attributes
 * @inode: the inode
 *
 * Return: 0, or -ESTALE on a dead branch.
 */
int daxfs_getattr_common(struct inode *inode)
{
	int err = daxfs_check_live(inode->i_sb);

	if (err)
		return err;
	daxfs_inode_refresh(inode);
	return 0;
}

int daxfs_getattr(struct daxfs_idmap *idmap, const struct path *path,
		  struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	int err = daxfs_getattr_common(inode);

	if (err)
		return err;
	daxfs_fillattr(idmap, request_mask, inode, stat);
	return 0;
}

const struct inode_operations daxfs_dir_inode_operations = {
	.lookup		= daxfs_lookup,
	.create		= daxfs_create,
	.mkdir		= daxfs_mkdir,
	.symlink	= daxfs_symlink,
	.mknod		= daxfs_mknod,
	.link		= daxfs_link,
	.unlink		= daxfs_unlink,
	.rmdir		= daxfs_rmdir,
	.rename		= daxfs_rename,
	.getattr	= daxfs_getattr,
	.setattr	= daxfs_setattr,
};
