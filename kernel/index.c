// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the in-memory index of a mounted view (docs/branches.md).
 *
 * The view is the base image plus the logs of sbi->chain, oldest first.
 * daxfs_index_apply() is the one place that gives a record its meaning: it
 * runs at replay and on the live path after daxfs_log_append(). A record
 * that does not fit the current state (a hostile or damaged log) is refused
 * with -EUCLEAN, never trusted.
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

/* Upper bound of the parent walk of the rename cycle check. */
#define DAXFS_MAX_DEPTH		BIT(20)

static int daxfs_bad(struct super_block *sb, const struct daxfs_lrec *r,
		     const char *why)
{
	struct daxfs_report rep = { };

	snprintf(rep.msg, sizeof(rep.msg), "log record %llu (type %u, inode %llu): %s",
		 (unsigned long long)r->seq, r->type,
		 (unsigned long long)r->ino, why);
	daxfs_report_corrupt(sb, -EUCLEAN, &rep);
	return -EUCLEAN;
}

static struct timespec64 daxfs_ns_ts(s64 ns)
{
	return ns_to_timespec64(ns);
}

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
	node->ino = ino;
	xa_init(&node->pages);
	xa_init(&node->cookies);
	node->names = RB_ROOT;
	return node;
}

static int daxfs_node_insert(struct daxfs_sb_info *sbi, struct daxfs_node *node)
{
	int err = xa_insert(&sbi->nodes, node->ino, node, GFP_KERNEL);

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

	old = xa_cmpxchg(&sbi->nodes, node->ino, NULL, node, GFP_KERNEL);
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
			 (unsigned long long)node->ino);
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
			 (unsigned long long)node->ino);
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
	node->mode = node->base.mode;
	node->uid = node->base.uid;
	node->gid = node->base.gid;
	node->nlink = node->base.nlink;
	node->rdev = node->base.rdev;
	node->size = node->base.size;
	node->mtime.tv_sec = node->base.mtime;
	node->mtime.tv_nsec = node->base.mtime_nsec;
	node->atime = node->mtime;
	node->ctime.tv_sec = node->base.ctime;
	node->ctime.tv_nsec = node->base.ctime_nsec;
	node->parent = node->base.parent;
	node->base_limit = S_ISREG(node->mode) ? node->base.size : 0;
	if (S_ISLNK(node->mode)) {
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
	u64 v;

	if (!entry) {
		if (!node->has_base)
			goto zero;
		return daxfs_base_page(sb, &node->base,
				       min(node->base_limit, node->base.size),
				       index, out);
	}
	v = xa_to_value(entry);
	out->page = v >> 1;
	out->owned = v & 1;
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
		u64 v = xa_to_value(entry);

		if (v & 1)
			daxfs_drop(sbi, v >> 1);
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
 * Applying records
 */

static int daxfs_apply_write(struct super_block *sb, const struct daxfs_lrec *r,
			     struct daxfs_node *node, bool owned)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 i;

	if (!S_ISREG(node->mode))
		return daxfs_bad(sb, r, "WRITE to a non-regular file");
	if (r->size > MAX_LFS_FILESIZE)
		return daxfs_bad(sb, r, "WRITE size too large");
	for (i = 0; i < r->count; i++) {
		u64 index, page;
		void *old;

		daxfs_lrec_page(r, i, &index, &page);
		if (index >= DIV_ROUND_UP(r->size, PAGE_SIZE))
			return daxfs_bad(sb, r, "WRITE maps a page past the size");
		if (page < sbi->geo.meta_pages || page >= sbi->geo.delta_pages)
			return daxfs_bad(sb, r, "WRITE names a bad page");
		old = xa_store(&node->pages, index,
			       xa_mk_value((page << 1) | owned), GFP_KERNEL);
		if (xa_is_err(old))
			return xa_err(old);
		if (old && (xa_to_value(old) & 1) && owned &&
		    xa_to_value(old) >> 1 != page)
			daxfs_drop(sbi, xa_to_value(old) >> 1);
	}
	write_seqlock(&node->lock);
	WRITE_ONCE(node->size, r->size);
	node->mtime = daxfs_ns_ts(r->time);
	node->ctime = node->mtime;
	write_sequnlock(&node->lock);
	return 0;
}

int daxfs_index_write_check(struct super_block *sb, struct daxfs_node *node,
			    const struct daxfs_lrec *rec)
{
	u32 i;

	for (i = 0; i < rec->count; i++) {
		u64 index, page;
		void *cur;

		daxfs_lrec_page(rec, i, &index, &page);
		if (index >= DIV_ROUND_UP(rec->size, PAGE_SIZE))
			return -EAGAIN;
		cur = xa_load(&node->pages, index);
		if (cur && (xa_to_value(cur) & 1))
			return -EAGAIN;
	}
	return 0;
}

static int daxfs_apply_truncate(struct super_block *sb,
				const struct daxfs_lrec *r,
				struct daxfs_node *node, bool owned)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	unsigned long idx;
	void *entry;

	if (!S_ISREG(node->mode))
		return daxfs_bad(sb, r, "TRUNCATE of a non-regular file");
	if (r->size > MAX_LFS_FILESIZE)
		return daxfs_bad(sb, r, "TRUNCATE size too large");
	idx = DIV_ROUND_UP(r->size, PAGE_SIZE);
	xa_for_each_start(&node->pages, idx, entry, idx) {
		u64 v = xa_to_value(entry);

		xa_erase(&node->pages, idx);
		if ((v & 1) && owned)
			daxfs_drop(sbi, v >> 1);
	}
	node->base_limit = min(node->base_limit, r->size);
	node->size = r->size;
	node->mtime = daxfs_ns_ts(r->time);
	node->ctime = node->mtime;
	return 0;
}

/* Load the parent directory node of a naming record. */
static struct daxfs_node *daxfs_apply_dir(struct super_block *sb,
					  const struct daxfs_lrec *r, u64 ino)
{
	struct daxfs_node *dir = daxfs_node_get(sb, ino);

	if (IS_ERR(dir)) {
		if (PTR_ERR(dir) == -ENOENT)
			daxfs_bad(sb, r, "unknown parent directory");
		return ERR_PTR(PTR_ERR(dir) == -ENOENT ? -EUCLEAN : PTR_ERR(dir));
	}
	if (!S_ISDIR(dir->mode) || !dir->nlink) {
		daxfs_bad(sb, r, "parent is not a live directory");
		return ERR_PTR(-EUCLEAN);
	}
	return dir;
}

static void daxfs_touch_dir(struct daxfs_node *dir, s64 time)
{
	dir->mtime = daxfs_ns_ts(time);
	dir->ctime = dir->mtime;
}

/*
 * A new symlink's target lives in the delta page the record names. It is
 * read when the inode is instantiated, not here: a later record of the same
 * log may unlink the symlink and free the page, which may then hold anything
 * by the time the log is replayed.
 */
static int daxfs_symlink_target(struct super_block *sb,
				const struct daxfs_lrec *r,
				struct daxfs_node *node, bool owned)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (!r->size || r->size > DAXFS_SYMLINK_MAX ||
	    r->page < sbi->geo.meta_pages || r->page >= sbi->geo.delta_pages)
		return daxfs_bad(sb, r, "bad symlink target");
	node->link_src = r->page;
	if (owned)
		node->link_page = r->page;
	return 0;
}

static int daxfs_apply_create(struct super_block *sb, const struct daxfs_lrec *r,
			      bool owned)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *dir, *node;
	struct daxfs_entry *e;
	u64 ino;
	u32 type;
	int err;

	/* The mode fits the record type: the shared decoder checked it. */
	if (r->ino <= sbi->geo.inode_count || daxfs_node_find(sbi, r->ino))
		return daxfs_bad(sb, r, "inode number in use");
	dir = daxfs_apply_dir(sb, r, r->parent);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	if (!daxfs_node_lookup(sb, dir, r->name, r->name_len, &ino, &type))
		return daxfs_bad(sb, r, "name exists");
	if (S_ISDIR(r->mode) && dir->nlink >= U32_MAX - 1)
		return daxfs_bad(sb, r, "too many links");
	err = daxfs_dir_materialize(sb, dir);
	if (err)
		return err;

	node = daxfs_node_alloc(r->ino);
	if (!node)
		return -ENOMEM;
	node->mode = r->mode;
	node->uid = r->uid;
	node->gid = r->gid;
	node->rdev = (S_ISCHR(r->mode) || S_ISBLK(r->mode)) ? r->rdev : 0;
	node->nlink = S_ISDIR(r->mode) ? 2 : 1;
	node->atime = daxfs_ns_ts(r->time);
	node->mtime = node->atime;
	node->ctime = node->atime;
	node->parent = S_ISDIR(r->mode) ? r->parent : 0;
	node->materialized = S_ISDIR(r->mode);
	if (S_ISLNK(r->mode)) {
		err = daxfs_symlink_target(sb, r, node, owned);
		if (err)
			goto out_free;
		node->size = r->size;
	}
	err = -ENOMEM;
	e = daxfs_entry_new(r->name, r->name_len, r->ino,
			    DAXFS_MODE_TO_DT(r->mode));
	if (!e)
		goto out_free;
	err = daxfs_entry_add(dir, e);
	if (err) {
		kfree(e);
		goto out_free;
	}
	err = daxfs_node_insert(sbi, node);
	if (err) {
		daxfs_entry_del(dir, daxfs_entry_find(dir, r->name, r->name_len));
		return err;
	}
	if (S_ISDIR(r->mode))
		dir->nlink++;
	daxfs_touch_dir(dir, r->time);
	return 0;

out_free:
	daxfs_node_free(node);
	return err;
}

static int daxfs_apply_link(struct super_block *sb, const struct daxfs_lrec *r)
{
	struct daxfs_node *dir, *node;
	struct daxfs_entry *e;
	u64 ino;
	u32 type;
	int err;

	node = daxfs_node_get(sb, r->ino);
	if (IS_ERR(node))
		return PTR_ERR(node) == -ENOENT ?
			daxfs_bad(sb, r, "LINK of an unknown inode") :
			PTR_ERR(node);
	if (S_ISDIR(node->mode) || !node->nlink || node->nlink >= U32_MAX - 1)
		return daxfs_bad(sb, r, "LINK of a directory or an unlinked inode");
	dir = daxfs_apply_dir(sb, r, r->parent);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	if (!daxfs_node_lookup(sb, dir, r->name, r->name_len, &ino, &type))
		return daxfs_bad(sb, r, "name exists");
	err = daxfs_dir_materialize(sb, dir);
	if (err)
		return err;
	e = daxfs_entry_new(r->name, r->name_len, r->ino,
			    DAXFS_MODE_TO_DT(node->mode));
	if (!e)
		return -ENOMEM;
	err = daxfs_entry_add(dir, e);
	if (err) {
		kfree(e);
		return err;
	}
	node->nlink++;
	node->ctime = daxfs_ns_ts(r->time);
	daxfs_touch_dir(dir, r->time);
	return 0;
}

/*
 * Drop one link of @node, whose entry in @dir just went: a directory (empty,
 * checked by the caller) loses both its links and its parent's "..".
 */
static void daxfs_unlink_node(struct daxfs_node *dir, struct daxfs_node *node,
			      s64 time)
{
	if (S_ISDIR(node->mode)) {
		node->nlink = 0;
		if (dir->nlink > 2)
			dir->nlink--;
	} else if (node->nlink) {
		node->nlink--;
	}
	node->ctime = daxfs_ns_ts(time);
}

/* The node @ino named by an entry of @dir, checked for removal. */
static struct daxfs_node *daxfs_victim(struct super_block *sb,
				       const struct daxfs_lrec *r, u64 ino)
{
	struct daxfs_node *node = daxfs_node_get(sb, ino);

	if (IS_ERR(node)) {
		if (PTR_ERR(node) != -ENOENT)
			return node;
		daxfs_bad(sb, r, "entry names an unknown inode");
		return ERR_PTR(-EUCLEAN);
	}
	if (!node->nlink) {
		daxfs_bad(sb, r, "entry names an unlinked inode");
		return ERR_PTR(-EUCLEAN);
	}
	if (S_ISDIR(node->mode)) {
		int err = daxfs_dir_materialize(sb, node);

		if (err)
			return ERR_PTR(err);
		if (node->entries) {
			daxfs_bad(sb, r, "directory removed is not empty");
			return ERR_PTR(-EUCLEAN);
		}
	}
	return node;
}

static int daxfs_apply_unlink(struct super_block *sb, const struct daxfs_lrec *r)
{
	struct daxfs_node *dir, *node;
	struct daxfs_entry *e;
	int err;

	dir = daxfs_apply_dir(sb, r, r->parent);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	err = daxfs_dir_materialize(sb, dir);
	if (err)
		return err;
	e = daxfs_entry_find(dir, r->name, r->name_len);
	if (!e)
		return daxfs_bad(sb, r, "UNLINK of a missing name");
	if (e->ino != r->ino)
		return daxfs_bad(sb, r, "UNLINK names another inode");
	node = daxfs_victim(sb, r, e->ino);
	if (IS_ERR(node))
		return PTR_ERR(node);
	daxfs_entry_del(dir, e);
	daxfs_unlink_node(dir, node, r->time);
	daxfs_touch_dir(dir, r->time);
	return 0;
}

/* Parent directory of directory @ino, from its node or its base inode. */
static int daxfs_parent_of(struct super_block *sb, u64 ino, u64 *parent)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_node *node = daxfs_node_find(sbi, ino);
	struct daxfs_report rep = { };
	struct daxfs_ino di;
	int err;

	if (node) {
		*parent = node->parent;
		return 0;
	}
	err = daxfs_read_inode(sbi->region, &sbi->geo, ino, &di, &rep);
	if (err)
		return err;
	*parent = di.parent;
	return 0;
}

/* Directory @ino is @anc or below it. */
static int daxfs_is_below(struct super_block *sb, u64 ino, u64 anc)
{
	u32 steps;

	for (steps = 0; steps < DAXFS_MAX_DEPTH; steps++) {
		u64 parent;
		int err;

		if (ino == anc)
			return 1;
		if (ino == DAXFS_ROOT_INO)
			return 0;
		err = daxfs_parent_of(sb, ino, &parent);
		if (err)
			return err;
		ino = parent;
	}
	return -EUCLEAN;
}

/* Re-parent directory @node from @from to @to (different directories). */
static void daxfs_move_dir(struct daxfs_node *node, struct daxfs_node *from,
			   struct daxfs_node *to)
{
	if (!S_ISDIR(node->mode) || from == to)
		return;
	if (from->nlink > 2)
		from->nlink--;
	to->nlink++;
	node->parent = to->ino;
}

struct daxfs_rename_ctx {
	struct daxfs_node *odir, *ndir, *src, *dst;
	struct daxfs_entry *oe, *ne;
};

/* Checks of a rename that are the same with or without EXCHANGE. */
static int daxfs_rename_check(struct super_block *sb, const struct daxfs_lrec *r,
			      struct daxfs_rename_ctx *c)
{
	int below;

	if (S_ISDIR(c->src->mode) && c->odir != c->ndir) {
		below = daxfs_is_below(sb, c->ndir->ino, c->src->ino);
		if (below < 0)
			return below;
		if (below)
			return daxfs_bad(sb, r, "RENAME makes a cycle");
		if (c->ndir->nlink >= U32_MAX - 1)
			return daxfs_bad(sb, r, "too many links");
	}
	if (c->dst && S_ISDIR(c->dst->mode) && c->odir != c->ndir &&
	    (r->flags & RENAME_EXCHANGE)) {
		below = daxfs_is_below(sb, c->odir->ino, c->dst->ino);
		if (below < 0)
			return below;
		if (below)
			return daxfs_bad(sb, r, "RENAME makes a cycle");
	}
	return 0;
}

static int daxfs_rename_exchange(struct super_block *sb,
				 const struct daxfs_lrec *r,
				 struct daxfs_rename_ctx *c)
{
	u64 ino = c->oe->ino;
	u8 type = c->oe->type;

	if (!c->dst)
		return daxfs_bad(sb, r, "RENAME_EXCHANGE with a missing target");
	c->oe->ino = c->ne->ino;
	c->oe->type = c->ne->type;
	c->ne->ino = ino;
	c->ne->type = type;
	daxfs_move_dir(c->src, c->odir, c->ndir);
	daxfs_move_dir(c->dst, c->ndir, c->odir);
	c->dst->ctime = daxfs_ns_ts(r->time);
	return 0;
}

static int daxfs_rename_move(struct super_block *sb, const struct daxfs_lrec *r,
			     struct daxfs_rename_ctx *c)
{
	struct daxfs_entry *e;
	int err;

	if (c->dst) {
		if (r->flags & RENAME_NOREPLACE)
			return daxfs_bad(sb, r, "RENAME_NOREPLACE over a name");
		if (S_ISDIR(c->src->mode) != S_ISDIR(c->dst->mode))
			return daxfs_bad(sb, r, "RENAME between a directory and a file");
		if (c->dst == c->src)
			return daxfs_bad(sb, r, "RENAME over another link of itself");
	}
	if (c->dst) {
		/* The target name keeps its entry (and cookie). */
		daxfs_unlink_node(c->ndir, c->dst, r->time);
		c->ne->ino = c->src->ino;
		c->ne->type = c->oe->type;
	} else {
		e = daxfs_entry_new(r->new_name, r->new_name_len, c->src->ino,
				    c->oe->type);
		if (!e)
			return -ENOMEM;
		err = daxfs_entry_add(c->ndir, e);
		if (err) {
			kfree(e);
			return err;
		}
	}
	daxfs_entry_del(c->odir, c->oe);
	daxfs_move_dir(c->src, c->odir, c->ndir);
	return 0;
}

static int daxfs_apply_rename(struct super_block *sb, const struct daxfs_lrec *r)
{
	struct daxfs_rename_ctx c = { };
	int err;

	if (r->flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    r->flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
		return daxfs_bad(sb, r, "bad RENAME flags");
	c.odir = daxfs_apply_dir(sb, r, r->parent);
	if (IS_ERR(c.odir))
		return PTR_ERR(c.odir);
	c.ndir = daxfs_apply_dir(sb, r, r->new_parent);
	if (IS_ERR(c.ndir))
		return PTR_ERR(c.ndir);
	err = daxfs_dir_materialize(sb, c.odir);
	if (!err)
		err = daxfs_dir_materialize(sb, c.ndir);
	if (err)
		return err;
	c.oe = daxfs_entry_find(c.odir, r->name, r->name_len);
	if (!c.oe || c.oe->ino != r->ino)
		return daxfs_bad(sb, r, "RENAME of a missing name");
	c.ne = daxfs_entry_find(c.ndir, r->new_name, r->new_name_len);
	if (c.ne == c.oe)
		return 0;
	c.src = daxfs_node_get(sb, r->ino);
	if (IS_ERR(c.src))
		return PTR_ERR(c.src) == -ENOENT ?
			daxfs_bad(sb, r, "RENAME of an unknown inode") :
			PTR_ERR(c.src);
	if (c.ne) {
		if (r->flags & RENAME_EXCHANGE) {
			c.dst = daxfs_node_get(sb, c.ne->ino);
			if (IS_ERR(c.dst)) {
				err = PTR_ERR(c.dst);
				return err == -ENOENT ?
					daxfs_bad(sb, r, "entry names an unknown inode") :
					err;
			}
		} else {
			c.dst = daxfs_victim(sb, r, c.ne->ino);
			if (IS_ERR(c.dst))
				return PTR_ERR(c.dst);
		}
	}
	err = daxfs_rename_check(sb, r, &c);
	if (err)
		return err;
	if (r->flags & RENAME_EXCHANGE)
		err = daxfs_rename_exchange(sb, r, &c);
	else
		err = daxfs_rename_move(sb, r, &c);
	if (err)
		return err;
	c.src->ctime = daxfs_ns_ts(r->time);
	daxfs_touch_dir(c.odir, r->time);
	daxfs_touch_dir(c.ndir, r->time);
	return 0;
}

static int daxfs_apply_setattr(struct super_block *sb,
			       const struct daxfs_lrec *r,
			       struct daxfs_node *node)
{
	if (r->valid & ~DAXFS_ATTR_SUPP)
		return daxfs_bad(sb, r, "unknown SETATTR bits");
	if (r->valid & DAXFS_ATTR_MODE) {
		if (r->mode & ~07777)
			return daxfs_bad(sb, r, "bad SETATTR mode");
		node->mode = (node->mode & S_IFMT) | r->mode;
	}
	if (r->valid & DAXFS_ATTR_UID)
		node->uid = r->uid;
	if (r->valid & DAXFS_ATTR_GID)
		node->gid = r->gid;
	if (r->valid & DAXFS_ATTR_MTIME)
		node->mtime = daxfs_ns_ts(r->mtime);
	if (r->valid & DAXFS_ATTR_ATIME)
		node->atime = daxfs_ns_ts(r->atime);
	node->ctime = daxfs_ns_ts(r->time);
	return 0;
}

/* WRITE, TRUNCATE, SETATTR: records about one existing inode. */
static int daxfs_apply_inode(struct super_block *sb, const struct daxfs_lrec *r,
			     bool owned)
{
	struct daxfs_node *node = daxfs_node_get(sb, r->ino);

	if (IS_ERR(node))
		return PTR_ERR(node) == -ENOENT ?
			daxfs_bad(sb, r, "unknown inode") : PTR_ERR(node);
	switch (r->type) {
	case DAXFS_REC_WRITE:
		return daxfs_apply_write(sb, r, node, owned);
	case DAXFS_REC_TRUNCATE:
		return daxfs_apply_truncate(sb, r, node, owned);
	default:
		return daxfs_apply_setattr(sb, r, node);
	}
}

/**
 * daxfs_index_apply - give one decoded record its meaning
 * @sb: the superblock (sbi->index_lock held for write)
 * @rec: the record, checked by the log decoder
 * @owned: the record is in the mounted branch's own log, so the pages it
 *	names belong to this mount
 *
 * Return: 0, -EUCLEAN (reported) for a record that does not fit the view,
 * or -ENOMEM.
 */
int daxfs_index_apply(struct super_block *sb, const struct daxfs_lrec *rec,
		      bool owned)
{
	switch (rec->type) {
	case DAXFS_REC_WRITE:
	case DAXFS_REC_TRUNCATE:
	case DAXFS_REC_SETATTR:
		return daxfs_apply_inode(sb, rec, owned);
	case DAXFS_REC_CREATE:
	case DAXFS_REC_MKDIR:
	case DAXFS_REC_SYMLINK:
	case DAXFS_REC_MKNOD:
		return daxfs_apply_create(sb, rec, owned);
	case DAXFS_REC_LINK:
		return daxfs_apply_link(sb, rec);
	case DAXFS_REC_UNLINK:
		return daxfs_apply_unlink(sb, rec);
	case DAXFS_REC_RENAME:
		return daxfs_apply_rename(sb, rec);
	default:
		return daxfs_bad(sb, rec, "unknown record type");
	}
}

/* Materialize directory @ino, if it is one (the caller checks the rest). */
static int daxfs_prepare_dir(struct super_block *sb, u64 ino)
{
	struct daxfs_node *dir = daxfs_node_get(sb, ino);

	if (IS_ERR(dir))
		return PTR_ERR(dir) == -ENOENT ? 0 : PTR_ERR(dir);
	return S_ISDIR(dir->mode) ? daxfs_dir_materialize(sb, dir) : 0;
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

/* daxfs_index_apply() at refresh: also note the files whose data changes. */
static int daxfs_refresh_apply(struct super_block *sb,
			       const struct daxfs_lrec *rec, bool owned)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if ((rec->type == DAXFS_REC_WRITE || rec->type == DAXFS_REC_TRUNCATE) &&
	    xa_is_err(xa_store(sbi->changed, rec->ino, xa_mk_value(0),
			       GFP_KERNEL)))
		return -ENOMEM;
	return daxfs_index_apply(sb, rec, owned);
}

static int daxfs_replay_slots(struct super_block *sb, u32 first)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 i;
	int err;

	for (i = first; i < sbi->chain_len; i++) {
		err = daxfs_log_replay(sb, sbi->chain[i], sbi->changed ?
				       daxfs_refresh_apply : daxfs_index_apply);
		if (err)
			return err;
	}
	return 0;
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
