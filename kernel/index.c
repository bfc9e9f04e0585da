// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the in-memory index of a mounted view (docs/branches.md).
 *
 * The view is the base image plus the logs of sbi->chain, oldest first.
 * What a record means is decided by common/daxfs_apply.c, the code the
 * tools run too, over the operations this file provides; it runs at replay
 * and on the live path after daxfs_log_append(). A record that does not
 * fit the current state (a hostile or damaged log) is refused with
 * -EUCLEAN, never trusted.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/writeback.h>
#include <linux/xarray.h>

#include "daxfs.h"

bool daxfs_live_moved(struct daxfs_sb_info *sbi)
{
	struct daxfs_live *live;

	if (!sbi->branching)
		return false;
	live = daxfs_live_ptr(sbi->region, &sbi->geo);
	return le64_to_cpu(READ_ONCE(live->commit_seq)) !=
	       READ_ONCE(sbi->seen_seq);
}

struct daxfs_node *daxfs_node_find(struct daxfs_sb_info *sbi, u64 ino)
{
	if (!sbi->indexed)
		return NULL;
	return xa_load(&sbi->nodes, ino);
}

static void daxfs_node_free(struct daxfs_node *node)
{
	struct daxfs_entry *e, *n;

	rbtree_postorder_for_each_entry_safe(e, n, &node->names, rb)
		kfree(e);
	xa_destroy(&node->cookies);
	xa_destroy(&node->pages);
	kfree(node->link);
	kfree(node);
}

static struct daxfs_node *daxfs_node_alloc(u64 ino)
{
	struct daxfs_node *node = kzalloc(sizeof(*node), GFP_KERNEL);

	if (!node)
		return NULL;
	mutex_init(&node->wlock);
	seqlock_init(&node->lock);
	node->v.ino = ino;
	xa_init(&node->pages);
	xa_init(&node->cookies);
	node->names = RB_ROOT;
	return node;
}

static int daxfs_node_insert(struct daxfs_sb_info *sbi, struct daxfs_node *node)
{
	int err = xa_insert(&sbi->nodes, node->v.ino, node, GFP_KERNEL);

	if (err)
		daxfs_node_free(node);
	return err;
}

/*
 * Insert the node of a base inode. A WRITE record (index_lock held for
 * read) may race another one making the same node: the first one stays.
 */
static struct daxfs_node *daxfs_node_publish(struct daxfs_sb_info *sbi,
					     struct daxfs_node *node)
{
	struct daxfs_node *old;

	old = xa_cmpxchg(&sbi->nodes, node->v.ino, NULL, node, GFP_KERNEL);
	if (!old)
		return node;
	daxfs_node_free(node);
	return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
}

/* Copy a symlink target of the base image into @node->link. */
static int daxfs_node_base_link(struct super_block *sb, struct daxfs_node *node)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	const void *src;
	char *link;

	src = daxfs_data_ptr(sbi->region, &sbi->geo, node->base.data,
			     node->base.size);
	if (!src) {
		snprintf(rep.msg, sizeof(rep.msg), "symlink %llu outside the data area",
			 (unsigned long long)node->v.ino);
		goto corrupt;
	}
	link = kmalloc(node->base.size + 1, GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	memcpy(link, src, node->base.size);
	link[node->base.size] = '\0';
	if (strlen(link) != node->base.size) {
		kfree(link);
		snprintf(rep.msg, sizeof(rep.msg), "symlink %llu target holds a NUL byte",
			 (unsigned long long)node->v.ino);
		goto corrupt;
	}
	node->link = link;
	return 0;
corrupt:
	daxfs_report_corrupt(sb, -EUCLEAN, &rep);
	return -EUCLEAN;
}

/* A node for base inode @ino, from its checked on-media copy. */
static struct daxfs_node *daxfs_node_from_base(struct super_block *sb, u64 ino)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_node *node;
	int err;

	node = daxfs_node_alloc(ino);
	if (!node)
		return ERR_PTR(-ENOMEM);
	err = daxfs_read_inode(sbi->region, &sbi->geo, ino, &node->base, &rep);
	if (err) {
		daxfs_report_corrupt(sb, err, &rep);
		goto out_free;
	}
	node->has_base = true;
	node->v.mode = node->base.mode;
	node->v.uid = node->base.uid;
	node->v.gid = node->base.gid;
	node->v.nlink = node->base.nlink;
	node->v.rdev = node->base.rdev;
	node->v.size = node->base.size;
	node->v.mtime.sec = node->base.mtime;
	node->v.mtime.nsec = node->base.mtime_nsec;
	node->v.atime = node->v.mtime;
	node->v.ctime.sec = node->base.ctime;
	node->v.ctime.nsec = node->base.ctime_nsec;
	node->v.parent = node->base.parent;
	node->v.base_limit = S_ISREG(node->v.mode) ? node->base.size : 0;
	if (S_ISLNK(node->v.mode)) {
		err = daxfs_node_base_link(sb, node);
		if (err)
			goto out_free;
	}
	return daxfs_node_publish(sbi, node);

out_free:
	daxfs_node_free(node);
	return ERR_PTR(err);
}

/**
 * daxfs_node_get - the node of inode @ino, made from the base if needed
 * @sb: the superblock (index_lock held)
 * @ino: the inode number
 *
 * Return: the node, ERR_PTR(-ENOENT) for a number that names nothing, or
 * another ERR_PTR.
 */
struct daxfs_node *daxfs_node_get(struct super_block *sb, u64 ino)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node = daxfs_node_find(sbi, ino);

	if (node)
		return node;
	if (ino < 1 || ino > sbi->geo.inode_count)
		return ERR_PTR(-ENOENT);
	return daxfs_node_from_base(sb, ino);
}

/* ------------------------------------------------------------------------
 * Directories
 */

static struct daxfs_entry *daxfs_entry_find(struct daxfs_node *dir,
					    const char *name, u32 len)
{
	struct rb_node *n = dir->names.rb_node;

	while (n) {
		struct daxfs_entry *e = rb_entry(n, struct daxfs_entry, rb);
		int c = daxfs_name_cmp(name, len, e->name, e->len);

		if (!c)
			return e;
		n = c < 0 ? n->rb_left : n->rb_right;
	}
	return NULL;
}

/* Insert entry @e (its name not yet present) with the next cookie. */
static int daxfs_entry_add(struct daxfs_node *dir, struct daxfs_entry *e)
{
	struct rb_node **p = &dir->names.rb_node, *parent = NULL;
	int err;

	e->cookie = dir->next_cookie;
	err = xa_insert(&dir->cookies, e->cookie, e, GFP_KERNEL);
	if (err)
		return err;
	dir->next_cookie++;
	while (*p) {
		struct daxfs_entry *o = rb_entry(*p, struct daxfs_entry, rb);

		parent = *p;
		if (daxfs_name_cmp(e->name, e->len, o->name, o->len) < 0)
			p = &(*p)->rb_left;
		else
			p = &(*p)->rb_right;
	}
	rb_link_node(&e->rb, parent, p);
	rb_insert_color(&e->rb, &dir->names);
	dir->entries++;
	return 0;
}

static void daxfs_entry_del(struct daxfs_node *dir, struct daxfs_entry *e)
{
	rb_erase(&e->rb, &dir->names);
	xa_erase(&dir->cookies, e->cookie);
	dir->entries--;
	kfree(e);
}

static struct daxfs_entry *daxfs_entry_new(const char *name, u32 len, u64 ino,
					   u32 type)
{
	struct daxfs_entry *e = kmalloc(struct_size(e, name, len + 1), GFP_KERNEL);

	if (!e)
		return NULL;
	e->ino = ino;
	e->type = type;
	e->len = len;
	memcpy(e->name, name, len);
	e->name[len] = '\0';
	return e;
}

/* Copy the base entries of directory @dir into its index, in base order. */
static int daxfs_dir_materialize(struct super_block *sb, struct daxfs_node *dir)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	u64 i, count;
	int err;

	if (dir->materialized)
		return 0;
	count = dir->has_base ? daxfs_dir_count(&dir->base) : 0;
	for (i = 0; i < count; i++) {
		struct daxfs_entry *e;
		struct daxfs_dent de;

		err = daxfs_read_dirent(sbi->region, &sbi->geo, &dir->base, i,
					&de, &rep);
		if (err) {
			daxfs_report_corrupt(sb, err, &rep);
			goto out_undo;
		}
		err = -EUCLEAN;
		if (daxfs_entry_find(dir, de.name, de.name_len))
			goto out_undo;
		err = -ENOMEM;
		e = daxfs_entry_new(de.name, de.name_len, de.ino, de.type);
		if (!e)
			goto out_undo;
		err = daxfs_entry_add(dir, e);
		if (err) {
			kfree(e);
			goto out_undo;
		}
		cond_resched();
	}
	dir->materialized = true;
	return 0;

out_undo:
	{
		struct daxfs_entry *e, *n;

		rbtree_postorder_for_each_entry_safe(e, n, &dir->names, rb)
			kfree(e);
		dir->names = RB_ROOT;
		xa_destroy(&dir->cookies);
		dir->entries = 0;
		dir->next_cookie = 0;
	}
	return err;
}

bool daxfs_index_dir_empty(struct super_block *sb, struct daxfs_node *node)
{
	if (node->materialized)
		return node->entries == 0;
	return !node->has_base || daxfs_dir_count(&node->base) == 0;
}

/* The directory inode copy to search when @dir has no materialized index. */
static int daxfs_base_find(struct super_block *sb, const struct daxfs_ino *di,
			   const char *name, u32 len, u64 *ino, u32 *type)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_dent de;
	int err;

	err = daxfs_dir_find(sbi->region, &sbi->geo, di, name, len, &de, &rep);
	if (err && err != -ENOENT)
		daxfs_report_corrupt(sb, err, &rep);
	if (err)
		return err;
	*ino = de.ino;
	*type = de.type;
	return 0;
}

/* Look @name up in directory node @dir (index_lock held). */
static int daxfs_node_lookup(struct super_block *sb, struct daxfs_node *dir,
			     const char *name, u32 len, u64 *ino, u32 *type)
{
	struct daxfs_entry *e;

	if (!dir->materialized) {
		if (!dir->has_base)
			return -ENOENT;
		return daxfs_base_find(sb, &dir->base, name, len, ino, type);
	}
	e = daxfs_entry_find(dir, name, len);
	if (!e)
		return -ENOENT;
	*ino = e->ino;
	*type = e->type;
	return 0;
}

/**
 * daxfs_index_lookup - look a name up in a directory of the view
 * @sb: the superblock
 * @dir: the directory
 * @name: the name
 * @len: its length
 * @ino: the inode it names
 * @type: its DT_* type
 *
 * Return: 0, -ENOENT, or an error for a corrupt directory.
 */
int daxfs_index_lookup(struct super_block *sb, struct inode *dir,
		       const char *name, u32 len, u64 *ino, u32 *type)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node;
	int err;

	if (!sbi->indexed)
		return daxfs_base_find(sb, &DAXFS_I(dir)->di, name, len, ino,
				       type);
	down_read(&sbi->index_lock);
	node = daxfs_node_find(sbi, dir->i_ino);
	if (node)
		err = daxfs_node_lookup(sb, node, name, len, ino, type);
	else
		err = daxfs_base_find(sb, &DAXFS_I(dir)->di, name, len, ino,
				      type);
	up_read(&sbi->index_lock);
	return err;
}

/* Entry @pos of a base directory array, into the caller's buffers. */
static int daxfs_base_entry(struct super_block *sb, const struct daxfs_ino *di,
			    u64 pos, u64 *cookie, u64 *ino, u32 *type,
			    char *name, u32 *len)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_dent de;
	int err;

	if (pos >= daxfs_dir_count(di))
		return -ENOENT;
	err = daxfs_read_dirent(sbi->region, &sbi->geo, di, pos, &de, &rep);
	if (err) {
		daxfs_report_corrupt(sb, err, &rep);
		return err;
	}
	*cookie = pos;
	*ino = de.ino;
	*type = de.type;
	*len = de.name_len;
	memcpy(name, de.name, de.name_len);
	return 0;
}

/**
 * daxfs_index_readdir - the entry of a directory at or after a cookie
 * @sb: the superblock
 * @dir: the directory
 * @pos: the first cookie wanted
 * @cookie: the entry's cookie
 * @ino: the inode it names
 * @type: its DT_* type
 * @name: a buffer of DAXFS_NAME_MAX bytes for the name (not terminated)
 * @len: the name's length
 *
 * A base directory's cookies are its array indices; materializing it keeps
 * them, so a readdir in progress neither skips nor repeats an entry.
 *
 * Return: 0, -ENOENT at the end, or an error for a corrupt directory.
 */
int daxfs_index_readdir(struct super_block *sb, struct inode *dir, u64 pos,
			u64 *cookie, u64 *ino, u32 *type, char *name,
			u32 *len)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node;
	struct daxfs_entry *e;
	unsigned long idx = pos;
	int err = -ENOENT;

	if (!sbi->indexed)
		return daxfs_base_entry(sb, &DAXFS_I(dir)->di, pos, cookie, ino,
					type, name, len);
	down_read(&sbi->index_lock);
	node = daxfs_node_find(sbi, dir->i_ino);
	if (!node || !node->materialized) {
		const struct daxfs_ino *di = node ? &node->base :
						    &DAXFS_I(dir)->di;

		if (!node || node->has_base)
			err = daxfs_base_entry(sb, di, pos, cookie, ino, type,
					       name, len);
		goto out;
	}
	e = xa_find(&node->cookies, &idx, ULONG_MAX, XA_PRESENT);
	if (e) {
		*cookie = e->cookie;
		*ino = e->ino;
		*type = e->type;
		*len = e->len;
		memcpy(name, e->name, e->len);
		err = 0;
	}
out:
	up_read(&sbi->index_lock);
	return err;
}

/* ------------------------------------------------------------------------
 * Regular files
 */

/* Base data of @node (or of @di when there is no node) for page @index. */
static int daxfs_base_page(struct super_block *sb, const struct daxfs_ino *di,
			   u64 limit, u64 index, struct daxfs_fpage *out)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	u64 pos = index << PAGE_SHIFT;
	u64 n;

	out->addr = NULL;
	out->page = 0;
	out->owned = false;
	if (pos >= limit)
		return 0;
	n = min_t(u64, di->size - pos, PAGE_SIZE);
	out->addr = daxfs_data_ptr(sbi->region, &sbi->geo, di->data + pos, n);
	if (!out->addr) {
		snprintf(rep.msg, sizeof(rep.msg),
			 "file %llu: bytes %llu+%llu outside the data area",
			 (unsigned long long)di->ino, pos, n);
		daxfs_report_corrupt(sb, -EUCLEAN, &rep);
		return -EUCLEAN;
	}
	out->pfn = PHYS_PFN(sbi->phys + di->data + pos);
	return 0;
}

/* Resolve page @index of file node @node (index_lock held). */
static int daxfs_node_page(struct super_block *sb, struct daxfs_node *node,
			   u64 index, struct daxfs_fpage *out)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	void *entry = xa_load(&node->pages, index);

	if (!entry) {
		if (!node->has_base)
			goto zero;
		return daxfs_base_page(sb, &node->base,
				       min(node->v.base_limit, node->base.size),
				       index, out);
	}
	out->page = daxfs_pref_page(entry);
	out->owned = daxfs_slot_owned(sbi, daxfs_pref_slot(entry));
	out->addr = daxfs_page_addr(sbi, out->page);
	out->pfn = daxfs_page_pfn(sbi, out->page);
	return 0;
zero:
	out->addr = NULL;
	out->page = 0;
	out->owned = false;
	return 0;
}

/**
 * daxfs_index_file_page - where the bytes of one page of a file are
 * @sb: the superblock
 * @inode: the file
 * @index: the page index in the file
 * @out: the result
 *
 * The caller holds sbi->index_lock (read) when the mount is indexed, and
 * uses @out before dropping it; or, on the write path of a branch, holds
 * something that keeps the page from being freed (write.c).
 *
 * Return: 0 or -EUCLEAN.
 */
int daxfs_index_file_page(struct super_block *sb, struct inode *inode,
			  u64 index, struct daxfs_fpage *out)
{
	const struct daxfs_ino *di = &DAXFS_I(inode)->di;
	struct daxfs_node *node = daxfs_node_find(DAXFS_SB(sb), inode->i_ino);

	if (node)
		return daxfs_node_page(sb, node, index, out);
	return daxfs_base_page(sb, di, di->size, index, out);
}

static void daxfs_drop(struct daxfs_sb_info *sbi, u64 page)
{
	if (sbi->drop_to && page)
		xa_store(sbi->drop_to, page, xa_mk_value(0), GFP_KERNEL);
}

void daxfs_index_drop_pages(struct daxfs_sb_info *sbi, struct daxfs_node *node)
{
	unsigned long idx;
	void *entry;

	xa_for_each(&node->pages, idx, entry) {
		if (daxfs_slot_owned(sbi, daxfs_pref_slot(entry)))
			daxfs_drop(sbi, daxfs_pref_page(entry));
	}
	xa_destroy(&node->pages);
	daxfs_drop(sbi, node->link_page);
	node->link_page = 0;
}

void daxfs_index_free_drops(struct daxfs_sb_info *sbi, struct xarray *drops)
{
	unsigned long page;
	void *entry;

	xa_for_each(drops, page, entry)
		daxfs_page_free(sbi, page);
	xa_destroy(drops);
}

/* ------------------------------------------------------------------------
 * The view operations of the shared record rules (common/daxfs_apply.c)
 */

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
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));
	struct daxfs_node *node = daxfs_node_alloc(ino);
	int err;

	if (!node)
		return -ENOMEM;
	node->v.mode = mode;
	node->materialized = S_ISDIR(mode);
	err = daxfs_node_insert(sbi, node);
	if (err)
		return err;
	*out = &node->v;
	return 0;
}

static void daxfs_vop_forget(struct daxfs_replay *rp, struct daxfs_vnode *v)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(daxfs_rp_sb(rp));

	xa_erase(&sbi->nodes, v->ino);
	daxfs_node_free(daxfs_vnode_node(v));
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
	struct daxfs_entry *e;
	int err;

	err = daxfs_dir_materialize(daxfs_rp_sb(rp), node);
	if (err)
		return err;
	e = daxfs_entry_new(name, len, ino, type);
	if (!e)
		return -ENOMEM;
	err = daxfs_entry_add(node, e);
	if (err)
		kfree(e);
	return err;
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
		daxfs_drop(sbi, daxfs_pref_page(old));
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
			daxfs_drop(sbi, daxfs_pref_page(entry));
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
{
	write_seqlock(&daxfs_vnode_node(v)->lock);
}

static void daxfs_vop_attr_end(struct daxfs_vnode *v)
{
	write_sequnlock(&daxfs_vnode_node(v)->lock);
}

/* The pages of live node @node that records of slot rp->slot named. */
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
	xa_for_each(&node->pages, idx, entry) {
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

		/* an inode with no name left is out of the view */
		if (!node || !node->v.nlink)
			continue;
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

static void daxfs_replay_init(struct super_block *sb, struct daxfs_replay *rp)
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
 * Building, refreshing, tearing down
 */

/* Replay the logs of sbi->chain from index @first on, each one checked. */
static int daxfs_replay_slots(struct super_block *sb, u32 first)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_replay rp;
	struct xarray touched;
	u32 i;
	int err = 0;

	xa_init(&touched);
	sbi->touched = &touched;
	for (i = first; !err && i < sbi->chain_len; i++) {
		daxfs_replay_init(sb, &rp);
		err = daxfs_log_replay(sb, sbi->chain[i], &rp);
		xa_destroy(&touched);
	}
	sbi->touched = NULL;
	return err;
}

/*
 * Unmap the files in @changed from every process, so faults map their new
 * pages; private copies a process made of their pages stay its own.
 */
static void daxfs_unmap_changed(struct super_block *sb, struct xarray *changed)
{
	unsigned long ino;
	void *entry;

	xa_for_each(changed, ino, entry) {
		struct inode *inode = ilookup(sb, ino);

		if (!inode)
			continue;
		if (S_ISREG(inode->i_mode) && mapping_mapped(inode->i_mapping))
			unmap_mapping_range(inode->i_mapping, 0, 0, 0);
		iput(inode);
		cond_resched();
	}
}

/**
 * daxfs_index_build - replay the logs of the mounted chain
 * @sb: the superblock, sbi->chain filled in
 *
 * Return: 0 or a negative errno (the mount fails).
 */
int daxfs_index_build(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	int err;

	init_rwsem(&sbi->index_lock);
	xa_init(&sbi->nodes);
	sbi->index_seq = 1;
	sbi->drop_to = NULL;
	sbi->changed = NULL;
	sbi->indexed = true;
	down_write(&sbi->index_lock);
	err = daxfs_replay_slots(sb, 0);
	up_write(&sbi->index_lock);
	return err;
}

/**
 * daxfs_index_refresh - replay slots appended to sbi->chain
 * @sb: the superblock
 * @first_new: index in sbi->chain of the first slot not yet replayed
 *
 * Cached dentries and inodes are checked against the index again
 * (index_seq), and the mappings of files whose data the new records
 * changed are dropped so faults see the new pages. Other mappings stay,
 * and so do the private copies processes made (MAP_PRIVATE writes, such
 * as a program's relocated data): a commit must not take them away.
 *
 * Return: 0 or a negative errno.
 */
int daxfs_index_refresh(struct super_block *sb, u32 first_new)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct xarray changed;
	int err;

	if (!sbi->indexed)
		return daxfs_index_build(sb);
	xa_init(&changed);
	down_write(&sbi->index_lock);
	sbi->changed = &changed;
	err = daxfs_replay_slots(sb, first_new);
	sbi->changed = NULL;
	WRITE_ONCE(sbi->index_seq, sbi->index_seq + 1);
	up_write(&sbi->index_lock);
	daxfs_unmap_changed(sb, &changed);
	xa_destroy(&changed);
	return err;
}

void daxfs_index_destroy(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node;
	unsigned long ino;

	if (!sbi || !sbi->indexed)
		return;
	xa_for_each(&sbi->nodes, ino, node) {
		daxfs_node_free(node);
		cond_resched();
	}
	xa_destroy(&sbi->nodes);
	sbi->indexed = false;
}

/**
 * daxfs_zap_mappings - unmap every mapping of every file of a mount
 * @sb: the superblock
 * @even_cows: also the private copies processes made (MAP_PRIVATE writes)
 *
 * Walks sb->s_inodes like drop_pagecache_sb(): each inode is pinned before
 * the list lock is dropped, and released after the next one is pinned.
 */
void daxfs_zap_mappings(struct super_block *sb, bool even_cows)
{
	struct inode *inode, *toput = NULL;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		spin_lock(&inode->i_lock);
		if ((inode->i_state & (I_FREEING | I_WILL_FREE | I_NEW)) ||
		    !S_ISREG(inode->i_mode) ||
		    !mapping_mapped(inode->i_mapping)) {
			spin_unlock(&inode->i_lock);
			continue;
		}
		__iget(inode);
		spin_unlock(&inode->i_lock);
		spin_unlock(&sb->s_inode_list_lock);

		unmap_mapping_range(inode->i_mapping, 0, 0, even_cows);
		iput(toput);
		toput = inode;

		cond_resched();
		spin_lock(&sb->s_inode_list_lock);
	}
	spin_unlock(&sb->s_inode_list_lock);
	iput(toput);
}
