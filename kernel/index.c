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

struct daxfs_node *daxfs_node_find(struct daxfs_sb_info *sbi, u64 ino)
{
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

/* A node for inode @ino a record creates (none yet): an empty directory for S_IFDIR. */
struct daxfs_node *daxfs_node_new(struct super_block *sb, u64 ino, u32 mode)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node = daxfs_node_alloc(ino);
	int err;

	if (!node)
		return ERR_PTR(-ENOMEM);
	node->v.mode = mode;
	node->materialized = S_ISDIR(mode);
	err = xa_insert(&sbi->nodes, ino, node, GFP_KERNEL);
	if (err) {
		daxfs_node_free(node);
		return ERR_PTR(err);
	}
	return node;
}

/* Take back a node daxfs_node_new() just made. */
void daxfs_node_forget(struct daxfs_sb_info *sbi, struct daxfs_node *node)
{
	xa_erase(&sbi->nodes, node->v.ino);
	daxfs_node_free(node);
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
	const void *src;
	char *link;

	src = daxfs_data_ptr(sbi->region, &sbi->geo, node->base.data,
			     node->base.size);
	if (!src)
		return daxfs_corrupt(sb, "symlink %llu outside the data area",
				     (unsigned long long)node->v.ino);
	link = kmalloc(node->base.size + 1, GFP_KERNEL);
	if (!link)
		return -ENOMEM;
	memcpy(link, src, node->base.size);
	link[node->base.size] = '\0';
	if (strlen(link) != node->base.size) {
		kfree(link);
		return daxfs_corrupt(sb, "symlink %llu target holds a NUL byte",
				     (unsigned long long)node->v.ino);
	}
	node->link = link;
	return 0;
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

struct daxfs_entry *daxfs_entry_find(struct daxfs_node *dir, const char *name,
				     u32 len)
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

void daxfs_entry_del(struct daxfs_node *dir, struct daxfs_entry *e)
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

/* Add entry @name (not present) for @ino of DT_* @type to @dir. */
int daxfs_entry_insert(struct daxfs_node *dir, const char *name, u32 len,
		       u64 ino, u32 type)
{
	struct daxfs_entry *e = daxfs_entry_new(name, len, ino, type);
	int err;

	if (!e)
		return -ENOMEM;
	err = daxfs_entry_add(dir, e);
	if (err)
		kfree(e);
	return err;
}

/* Copy the base entries of directory @dir into its index, in base order. */
int daxfs_dir_materialize(struct super_block *sb, struct daxfs_node *dir)
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
		return daxfs_corrupt(sb, "file %llu: bytes %llu+%llu outside the data area",
				     (unsigned long long)di->ino, pos, n);
	}
	out->pfn = daxfs_region_pfn(sbi, di->data + pos);
	return 0;
}

/**
 * daxfs_node_page - where the bytes of one page of a file node are
 * @sb: the superblock
 * @node: a regular file's node
 * @index: the page index in the file
 * @out: the result (addr NULL: a hole)
 *
 * index_lock held, as for daxfs_index_file_page().
 *
 * Return: 0 or -EUCLEAN.
 */
int daxfs_node_page(struct super_block *sb, struct daxfs_node *node,
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
 * The caller holds sbi->index_lock (read), and
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

/*
 * Unmap the files in @changed from every process, so faults map their new
 * pages; private copies a process made of their pages stay its own.
 */
void daxfs_unmap_changed(struct super_block *sb, struct xarray *changed)
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
 * daxfs_index_retag - the pages of slots a fold replaced are the fold's now
 * @sbi: a main or committed mount (index_lock held for write)
 * @keep: the slots of the chain after the fold, whose tags stay
 * @n: how many
 * @to: the fold slot
 *
 * Pages are tagged with the slot whose record named them; a slot a fold
 * replaced may be given to a new branch, whose checks must not find pages
 * of the old one under its number.
 */
void daxfs_index_retag(struct daxfs_sb_info *sbi, const u32 *keep, u32 n,
		       u32 to)
{
	DECLARE_BITMAP(kept, DAXFS_BRANCH_COUNT);
	struct daxfs_node *node;
	unsigned long ino, idx;
	void *entry;
	u32 i;

	bitmap_zero(kept, DAXFS_BRANCH_COUNT);
	__set_bit(to, kept);
	for (i = 0; i < n; i++)
		__set_bit(keep[i], kept);
	xa_for_each(&sbi->nodes, ino, node) {
		xa_for_each(&node->pages, idx, entry) {
			if (!test_bit(daxfs_pref_slot(entry), kept))
				xa_store(&node->pages, idx,
					 daxfs_pref(daxfs_pref_page(entry), to),
					 GFP_KERNEL);
		}
		if (node->link_src && !test_bit(node->link_slot, kept))
			node->link_slot = to;
		cond_resched();
	}
}

void daxfs_index_drop(struct daxfs_sb_info *sbi, u64 page)
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
			daxfs_index_drop(sbi, daxfs_pref_page(entry));
	}
	xa_destroy(&node->pages);
	daxfs_index_drop(sbi, node->link_page);
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

