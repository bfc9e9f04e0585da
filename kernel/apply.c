// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: records applied to the index of a view.
 *
 * What a record means is decided by common/daxfs_apply.c, the code the
 * tools run too; this file provides the operations it works on over the
 * index (index.c), and the live path of a writable branch: a record is
 * built in private memory, decoded by the shared decoder (so it obeys the
 * rules replay checks), appended to the log (log.c) and applied.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "daxfs.h"

static struct super_block *daxfs_rp_sb(struct daxfs_replay *rp)
{
	return rp->view;
}

static int daxfs_vop_get(struct daxfs_replay *rp, u64 ino,
			 struct daxfs_vnode **out)
{
	struct daxfs_node *node = daxfs_node_get(daxfs_rp_sb(rp), ino);

	if (IS_ERR(node))
		return PTR_ERR(node);
	*out = &node->v;
	return 0;
}

static int daxfs_vop_create(struct daxfs_replay *rp, u64 ino, u32 mode,
			    struct daxfs_vnode **out)
{
	struct daxfs_node *node = daxfs_node_new(daxfs_rp_sb(rp), ino, mode);

	if (IS_ERR(node))
		return PTR_ERR(node);
	*out = &node->v;
	return 0;
}

static void daxfs_vop_forget(struct daxfs_replay *rp, struct daxfs_vnode *v)
{
	daxfs_node_forget(DAXFS_SB(daxfs_rp_sb(rp)), daxfs_vnode_node(v));
}

/* Directories the rules look into are the ones they change: materialized. */
static int daxfs_vop_lookup(struct daxfs_replay *rp, struct daxfs_vnode *dir,
			    const char *name, u32 len, u64 *ino)
{
	struct daxfs_node *node = daxfs_vnode_node(dir);
	struct daxfs_entry *e;
	int err;

	err = daxfs_dir_materialize(daxfs_rp_sb(rp), node);
	if (err)
		return err;
	e = daxfs_entry_find(node, name, len);
	if (!e)
		return -ENOENT;
	*ino = e->ino;
	return 0;
}

static int daxfs_vop_empty(struct daxfs_replay *rp, struct daxfs_vnode *dir)
{
	return daxfs_index_dir_empty(daxfs_rp_sb(rp), daxfs_vnode_node(dir));
}

static int daxfs_vop_add(struct daxfs_replay *rp, struct daxfs_vnode *dir,
			 const char *name, u32 len, u64 ino, u32 type)
{
	struct daxfs_node *node = daxfs_vnode_node(dir);
	int err;

	err = daxfs_dir_materialize(daxfs_rp_sb(rp), node);
	if (err)
		return err;
	return daxfs_entry_insert(node, name, len, ino, type);
}

static void daxfs_vop_remove(struct daxfs_replay *rp, struct daxfs_vnode *dir,
			     const char *name, u32 len)
{
	struct daxfs_node *node = daxfs_vnode_node(dir);
	struct daxfs_entry *e = daxfs_entry_find(node, name, len);

	if (e)
		daxfs_entry_del(node, e);
}

static void daxfs_vop_retarget(struct daxfs_replay *rp, struct daxfs_vnode *dir,
			       const char *name, u32 len, u64 ino, u32 type)
{
	struct daxfs_entry *e = daxfs_entry_find(daxfs_vnode_node(dir), name, len);

	if (e) {
		e->ino = ino;
		e->type = type;
	}
}

/*
 * While one slot is replayed, sbi->touched holds the nodes its records
 * changed, and each page they gave a node is marked in the node's index:
 * the check after the slot looks at those pages, not at every page of the
 * file (a commit that wrote one page of a large file costs one page).
 */
#define DAXFS_MARK_REPLAYED	XA_MARK_1

/* Note a node whose pages the slot's check must see. */
static int daxfs_touched(struct daxfs_sb_info *sbi, u64 ino)
{
	if (!sbi->touched)
		return 0;
	return xa_err(xa_store(sbi->touched, ino, xa_mk_value(0), GFP_KERNEL));
}

static int daxfs_vop_map(struct daxfs_replay *rp, struct daxfs_vnode *file,
			 u64 index, u64 page)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));
	struct daxfs_node *node = daxfs_vnode_node(file);
	void *old;

	old = xa_store(&node->pages, index, daxfs_pref(page, rp->slot),
		       GFP_KERNEL);
	if (xa_is_err(old))
		return xa_err(old);
	if (old && daxfs_slot_owned(sbi, daxfs_pref_slot(old)) &&
	    daxfs_pref_page(old) != page)
		daxfs_index_drop(sbi, daxfs_pref_page(old));
	if (sbi->touched)
		xa_set_mark(&node->pages, index, DAXFS_MARK_REPLAYED);
	return daxfs_touched(sbi, file->ino);
}

static void daxfs_vop_trim(struct daxfs_replay *rp, struct daxfs_vnode *file,
			   u64 first)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));
	struct daxfs_node *node = daxfs_vnode_node(file);
	unsigned long idx;
	void *entry;

	xa_for_each_start(&node->pages, idx, entry, first) {
		xa_erase(&node->pages, idx);
		if (daxfs_slot_owned(sbi, daxfs_pref_slot(entry)))
			daxfs_index_drop(sbi, daxfs_pref_page(entry));
	}
}

/*
 * A new symlink's target lives in the delta page the record names. It is
 * read when the inode is instantiated, not here: a later record of the same
 * log may unlink the symlink and free the page, which may then hold anything
 * by the time the log is replayed.
 */
static int daxfs_vop_set_link(struct daxfs_replay *rp, struct daxfs_vnode *link,
			      u64 page)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));
	struct daxfs_node *node = daxfs_vnode_node(link);

	node->link_src = page;
	node->link_slot = rp->slot;
	if (daxfs_slot_owned(sbi, rp->slot))
		node->link_page = page;
	return daxfs_touched(sbi, link->ino);
}

static void daxfs_vop_attr_begin(struct daxfs_vnode *v)
	__acquires(&daxfs_vnode_node(v)->lock)
{
	write_seqlock(&daxfs_vnode_node(v)->lock);
}

static void daxfs_vop_attr_end(struct daxfs_vnode *v)
	__releases(&daxfs_vnode_node(v)->lock)
{
	write_sequnlock(&daxfs_vnode_node(v)->lock);
}

/*
 * The pages of live node @node that records of slot rp->slot named: the
 * marked ones that are still the slot's. The marks are cleared.
 */
static int daxfs_node_slot_pages(struct daxfs_replay *rp,
				 struct daxfs_node *node,
				 int (*fn)(struct daxfs_replay *rp,
					   const struct daxfs_vpage *vp))
{
	struct daxfs_vpage vp = { .ino = node->v.ino };
	unsigned long idx;
	void *entry;
	int err;

	if (S_ISLNK(node->v.mode) && node->link_src &&
	    node->link_slot == rp->slot) {
		vp.page = node->link_src;
		vp.link_len = node->v.size;
		return fn(rp, &vp);
	}
	xa_for_each_marked(&node->pages, idx, entry, DAXFS_MARK_REPLAYED) {
		xa_clear_mark(&node->pages, idx, DAXFS_MARK_REPLAYED);
		if (daxfs_pref_slot(entry) != rp->slot)
			continue;
		vp.index = idx;
		vp.page = daxfs_pref_page(entry);
		err = fn(rp, &vp);
		if (err)
			return err;
	}
	return 0;
}

static void daxfs_node_unmark(struct daxfs_node *node)
{
	unsigned long idx;
	void *entry;

	xa_for_each_marked(&node->pages, idx, entry, DAXFS_MARK_REPLAYED)
		xa_clear_mark(&node->pages, idx, DAXFS_MARK_REPLAYED);
}

static int daxfs_vop_each_page(struct daxfs_replay *rp,
			       int (*fn)(struct daxfs_replay *rp,
					 const struct daxfs_vpage *vp))
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));
	unsigned long ino;
	void *entry;
	int err;

	if (!sbi->touched)
		return 0;
	xa_for_each(sbi->touched, ino, entry) {
		struct daxfs_node *node = daxfs_node_find(sbi, ino);

		if (!node)
			continue;
		/* an inode with no name left is out of the view */
		if (!node->v.nlink) {
			daxfs_node_unmark(node);
			continue;
		}
		err = daxfs_node_slot_pages(rp, node, fn);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/* At refresh: note the files whose data the record changes. */
static int daxfs_vop_applied(struct daxfs_replay *rp,
			     const struct daxfs_lrec *rec)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));

	if (sbi->changed && (rec->type == DAXFS_REC_UNLINK ||
			     rec->type == DAXFS_REC_RENAME))
		sbi->names_changed = true;
	if (!sbi->changed || (rec->type != DAXFS_REC_WRITE &&
			      rec->type != DAXFS_REC_TRUNCATE))
		return 0;
	return xa_err(xa_store(sbi->changed, rec->ino, xa_mk_value(0),
			       GFP_KERNEL));
}

static const struct daxfs_view_ops daxfs_view_ops = {
	.get		= daxfs_vop_get,
	.create		= daxfs_vop_create,
	.forget		= daxfs_vop_forget,
	.lookup		= daxfs_vop_lookup,
	.empty		= daxfs_vop_empty,
	.add		= daxfs_vop_add,
	.remove		= daxfs_vop_remove,
	.retarget	= daxfs_vop_retarget,
	.map		= daxfs_vop_map,
	.trim		= daxfs_vop_trim,
	.set_link	= daxfs_vop_set_link,
	.attr_begin	= daxfs_vop_attr_begin,
	.attr_end	= daxfs_vop_attr_end,
	.each_page	= daxfs_vop_each_page,
	.applied	= daxfs_vop_applied,
};

void daxfs_replay_init(struct super_block *sb, struct daxfs_replay *rp)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	memset(rp, 0, sizeof(*rp));
	rp->ops = &daxfs_view_ops;
	rp->view = sb;
	rp->region = sbi->region;
	rp->geo = &sbi->geo;
	rp->slot = sbi->slot;
}

int daxfs_index_write_check(struct super_block *sb, struct daxfs_node *node,
			    const struct daxfs_lrec *rec)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 i;

	for (i = 0; i < rec->count; i++) {
		u64 index, page;
		void *cur;

		daxfs_lrec_page(rec, i, &index, &page);
		if (index >= DIV_ROUND_UP(rec->size, PAGE_SIZE))
			return -EAGAIN;
		cur = xa_load(&node->pages, index);
		if (cur && daxfs_slot_owned(sbi, daxfs_pref_slot(cur)))
			return -EAGAIN;
	}
	return 0;
}

/**
 * daxfs_index_apply - apply one record of the mounted branch's live path
 * @sb: the superblock (sbi->index_lock held for write; for read with the
 *	node's wlock for a WRITE record)
 * @rec: the record just appended, decoded by the log decoder
 *
 * The rules are common/daxfs_apply.c's, the same that replay uses.
 *
 * Return: 0, -EUCLEAN (reported) for a record that does not fit the view,
 * or -ENOMEM.
 */
int daxfs_index_apply(struct super_block *sb, const struct daxfs_lrec *rec)
{
	struct daxfs_report rep = { };
	struct daxfs_replay rp;
	int err;

	daxfs_replay_init(sb, &rp);
	rp.rep = &rep;
	err = daxfs_apply(&rp, rec);
	if (err == -EUCLEAN && rep.msg[0])
		daxfs_report_corrupt(sb, err, &rep);
	return err;
}

/* Materialize directory @ino, if it is one (the caller checks the rest). */
static int daxfs_prepare_dir(struct super_block *sb, u64 ino)
{
	struct daxfs_node *dir = daxfs_node_get(sb, ino);

	if (IS_ERR(dir))
		return PTR_ERR(dir) == -ENOENT ? 0 : PTR_ERR(dir);
	return S_ISDIR(dir->v.mode) ? daxfs_dir_materialize(sb, dir) : 0;
}

/**
 * daxfs_index_prepare - do the allocations a record will need, before it
 *	is appended
 * @sb: the superblock (index_lock held for write)
 * @rec: the decoded record
 *
 * Copies the directories a naming record changes into the index, and makes
 * the node of the inode it is about, so that a damaged base directory or a
 * failed allocation stops the change before the record is in the log.
 *
 * Return: 0 or a negative errno.
 */
int daxfs_index_prepare(struct super_block *sb, const struct daxfs_lrec *rec)
{
	int err = 0;

	switch (rec->type) {
	case DAXFS_REC_RENAME:
		err = daxfs_prepare_dir(sb, rec->new_parent);
		fallthrough;
	case DAXFS_REC_CREATE:
	case DAXFS_REC_MKDIR:
	case DAXFS_REC_SYMLINK:
	case DAXFS_REC_MKNOD:
	case DAXFS_REC_LINK:
	case DAXFS_REC_UNLINK:
		if (!err)
			err = daxfs_prepare_dir(sb, rec->parent);
		break;
	default:
		break;
	}
	if (err || rec->type == DAXFS_REC_CREATE || rec->type == DAXFS_REC_MKDIR ||
	    rec->type == DAXFS_REC_SYMLINK || rec->type == DAXFS_REC_MKNOD)
		return err;
	/* the inode itself (a directory removed or moved: its entries too) */
	return daxfs_prepare_dir(sb, rec->ino);
}

/* ------------------------------------------------------------------------
 * The live path of a writable branch
 */

/**
 * daxfs_rec_init - fill in the header of a new record
 * @h: the record (zeroed by the caller)
 * @type: DAXFS_REC_*
 * @len: bytes of header and body, a multiple of DAXFS_REC_ALIGN
 * @ino: the inode the record is about
 *
 * The log fills in seq and crc when it appends the record.
 */
void daxfs_rec_init(struct daxfs_rec *h, u32 type, u32 len, u64 ino)
{
	h->type = cpu_to_le16(type);
	h->len = cpu_to_le16(len);
	h->ino = cpu_to_le64(ino);
	/* The coarse clock, as current_time() gives inode times. */
	h->time = cpu_to_le64(ktime_get_coarse_real_ns());
}

/**
 * daxfs_commit_rec - append a record and apply it to the index
 * @sb: the superblock of a writable branch
 * @rec: the record, header filled by daxfs_rec_init()
 * @len: its length
 * @drops: where the owned pages it drops go (freed by the caller once
 *	their mappings are gone), or NULL
 *
 * The record is decoded (so it obeys the rules replay checks) before it is
 * appended; the index lock is held for write across append and apply, so
 * readers see the index and the log agree.
 *
 * Return: 0, -ENOSPC, -EROFS, -ESTALE, or an error of the apply.
 */
int daxfs_commit_rec(struct super_block *sb, struct daxfs_rec *rec, u32 len,
		     struct xarray *drops)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_lrec lr;
	int err;

	if (!sbi->writable)
		return -EROFS;
	err = daxfs_rec_decode(rec, len, &sbi->geo, &lr, &rep);
	if (err) {
		daxfs_report_corrupt(sb, err, &rep);
		return err;
	}
	down_write(&sbi->index_lock);
	err = daxfs_index_prepare(sb, &lr);
	if (!err)
		err = daxfs_log_append(sbi, rec, len);
	if (!err) {
		/* the decoded pointers point into @rec, still valid */
		lr.seq = le64_to_cpu(rec->seq);
		sbi->drop_to = drops;
		err = daxfs_index_apply(sb, &lr);
		sbi->drop_to = NULL;
	}
	up_write(&sbi->index_lock);
	return err;
}

/**
 * daxfs_commit_write - append a WRITE record and apply it to the index
 * @sb: the superblock of a writable branch
 * @rec: the record, header filled by daxfs_rec_init()
 * @len: its length
 * @keep_size: put the file's current size in the record (a copy made for a
 *	mapping or a truncate, which must not move the size back)
 *
 * Unlike daxfs_commit_rec(), the index lock is only held for read: records
 * about different files go in parallel; those about one file are appended
 * and applied in one order under its node's @wlock. A WRITE never drops a
 * page (it only maps new pages over pages the branch does not own), so no
 * reader can be copying from a page this frees.
 *
 * Return: 0, -EAGAIN (a page it maps was copied by someone else first, or
 * is now past the size: look again), -ENOSPC, -EROFS, -ESTALE, -ENOMEM.
 */
int daxfs_commit_write(struct super_block *sb, struct daxfs_rec_write *rec,
		       u32 len, bool keep_size)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_node *node;
	struct daxfs_lrec lr;
	int err;

	if (!sbi->writable)
		return -EROFS;
	down_read(&sbi->index_lock);
	node = daxfs_node_get(sb, le64_to_cpu(rec->h.ino));
	if (IS_ERR(node)) {
		err = PTR_ERR(node);
		goto out;
	}
	mutex_lock(&node->wlock);
	if (keep_size)
		rec->size = cpu_to_le64(READ_ONCE(node->v.size));
	err = daxfs_rec_decode(&rec->h, len, &sbi->geo, &lr, &rep);
	if (err) {
		daxfs_report_corrupt(sb, err, &rep);
		goto out_unlock;
	}
	err = daxfs_index_write_check(sb, node, &lr);
	if (!err)
		err = daxfs_log_append(sbi, &rec->h, len);
	if (!err) {
		lr.seq = le64_to_cpu(rec->h.seq);
		err = daxfs_index_apply(sb, &lr);
	}
out_unlock:
	mutex_unlock(&node->wlock);
out:
	up_read(&sbi->index_lock);
	return err;
}

