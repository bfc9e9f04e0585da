// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Folding a view into one log: the records that take the base image to the
 * view. See daxfs_fold.h for the steps and why they are valid in order.
 */
#include "daxfs_fold.h"
#include "daxfs_check.h"

#define LLU(x) ((unsigned long long)(x))

/* Page entries of one WRITE record. */
#define FOLD_WRITE_PAGES \
	((DAXFS_REC_MAX - sizeof(struct daxfs_rec_write)) / \
	 sizeof(struct daxfs_rec_page))

/* "b" + 20 digits + "-" + 20 digits, or the limbo's name, and a NUL. */
#define FOLD_NAME_MAX	48

struct fold {
	const void *region;
	const struct daxfs_geo *geo;
	const struct daxfs_fold_view_ops *ops;
	void *view;
	const struct daxfs_fold_sink *sink;
	struct daxfs_report *rep;
	u64 limbo;
	s64 now;
	u8 *rec;			/* DAXFS_REC_MAX bytes */
	struct daxfs_lrec check;	/* what the decoder made of a record */
	/* The directory and base inode a per-entry walk is at. */
	const struct daxfs_vnode *dir;
	struct daxfs_ino base_dir;
	/* Names of the record being built. */
	char name[FOLD_NAME_MAX];
	char name2[FOLD_NAME_MAX];
	/* Data: the WRITE being built. */
	const struct daxfs_vnode *file;
	u64 file_size;			/* the size its WRITEs set */
	u32 count;
};

static bool is_dir_type(u32 type)
{
	return type == DAXFS_MODE_TO_DT(S_IFDIR);
}

static bool is_base(const struct fold *f, u64 ino)
{
	return ino <= f->geo->inode_count;
}

/* A limbo name: @kind ('d' or 'n') and an inode number, into @buf. */
static u32 ino_name(char *buf, char kind, u64 ino)
{
	return (u32)snprintf(buf, FOLD_NAME_MAX, "%c%llu", kind, LLU(ino));
}

/* The header of a record of @len bytes (rounded up into *@len). */
static struct daxfs_rec rec_header(u16 type, u64 ino, s64 time, u32 *len)
{
	struct daxfs_rec h;

	*len = (*len + DAXFS_REC_ALIGN - 1) & ~(u32)(DAXFS_REC_ALIGN - 1);
	memset(&h, 0, sizeof(h));
	h.type = cpu_to_le16(type);
	h.len = cpu_to_le16((u16)*len);
	h.ino = cpu_to_le64(ino);
	h.time = cpu_to_le64((u64)time);
	return h;
}

/* The record being built: zeroed, header as rec_header(). */
static struct daxfs_rec rec_start(struct fold *f, u16 type, u64 ino, s64 time,
				  u32 *len)
{
	struct daxfs_rec h = rec_header(type, ino, time, len);

	memset(f->rec, 0, *len);
	return h;
}

/* Hand the record built to the sink, once the decoder accepts it. */
static int rec_emit(struct fold *f, u32 len)
{
	int err = daxfs_rec_decode(f->rec, len, f->geo, &f->check, f->rep);

	if (err)
		return err;
	return f->sink->emit(f->sink->ctx, (struct daxfs_rec *)f->rec, len);
}

static u16 create_type(u32 mode)
{
	if (S_ISREG(mode))
		return DAXFS_REC_CREATE;
	if (S_ISDIR(mode))
		return DAXFS_REC_MKDIR;
	if (S_ISLNK(mode))
		return DAXFS_REC_SYMLINK;
	return DAXFS_REC_MKNOD;
}

/* CREATE..MKNOD of @n named @name (@nlen bytes) in @parent. */
static int emit_create(struct fold *f, const struct daxfs_vnode *n, u64 parent,
		       const char *name, u32 nlen)
{
	struct daxfs_rec_create c;
	u32 len = sizeof(c) + nlen;

	memset(&c, 0, sizeof(c));
	c.h = rec_start(f, create_type(n->mode), n->ino, f->now, &len);
	c.parent = cpu_to_le64(parent);
	c.mode = cpu_to_le32(n->mode);
	c.uid = cpu_to_le32(n->uid);
	c.gid = cpu_to_le32(n->gid);
	if (S_ISCHR(n->mode) || S_ISBLK(n->mode))
		c.rdev = cpu_to_le32(n->rdev);
	if (S_ISLNK(n->mode)) {
		c.page = cpu_to_le64(f->ops->link_page(f->view, n));
		c.size = cpu_to_le64(n->size);
	}
	c.name_len = cpu_to_le16((u16)nlen);
	memcpy(f->rec, &c, sizeof(c));
	memcpy(f->rec + sizeof(c), name, nlen);
	return rec_emit(f, len);
}

/* LINK or UNLINK of name @name of @parent, for inode @ino. */
static int emit_name(struct fold *f, u16 type, u64 ino, u64 parent,
		     const char *name, u32 nlen)
{
	struct daxfs_rec_name r;
	u32 len = sizeof(r) + nlen;

	memset(&r, 0, sizeof(r));
	r.h = rec_start(f, type, ino, f->now, &len);
	r.parent = cpu_to_le64(parent);
	r.name_len = cpu_to_le16((u16)nlen);
	memcpy(f->rec, &r, sizeof(r));
	memcpy(f->rec + sizeof(r), name, nlen);
	return rec_emit(f, len);
}

/* RENAME (NOREPLACE) of @ino from @op/@old to @np/@new. */
static int emit_rename(struct fold *f, u64 ino, u64 op, const char *old,
		       u32 olen, u64 np, const char *new, u32 nlen)
{
	struct daxfs_rec_rename r;
	u32 len = sizeof(r) + olen + nlen;

	memset(&r, 0, sizeof(r));
	r.h = rec_start(f, DAXFS_REC_RENAME, ino, f->now, &len);
	r.old_parent = cpu_to_le64(op);
	r.new_parent = cpu_to_le64(np);
	r.flags = cpu_to_le32(DAXFS_RENAME_NOREPLACE);
	r.old_len = cpu_to_le16((u16)olen);
	r.new_len = cpu_to_le16((u16)nlen);
	memcpy(f->rec, &r, sizeof(r));
	memcpy(f->rec + sizeof(r), old, olen);
	memcpy(f->rec + sizeof(r) + olen, new, nlen);
	return rec_emit(f, len);
}

static int emit_truncate(struct fold *f, u64 ino, u64 size)
{
	struct daxfs_rec_truncate t;
	u32 len = sizeof(t);

	memset(&t, 0, sizeof(t));
	t.h = rec_start(f, DAXFS_REC_TRUNCATE, ino, f->now, &len);
	t.size = cpu_to_le64(size);
	memcpy(f->rec, &t, sizeof(t));
	return rec_emit(f, len);
}

static s64 vtime_ns(struct daxfs_vtime t)
{
	return t.sec * 1000000000 + (s64)t.nsec;
}

static int emit_setattr(struct fold *f, const struct daxfs_vnode *n)
{
	struct daxfs_rec_setattr s;
	u32 len = sizeof(s);

	memset(&s, 0, sizeof(s));
	s.h = rec_start(f, DAXFS_REC_SETATTR, n->ino, vtime_ns(n->ctime), &len);
	s.valid = cpu_to_le32(DAXFS_ATTR_MODE | DAXFS_ATTR_UID |
			      DAXFS_ATTR_GID | DAXFS_ATTR_MTIME |
			      DAXFS_ATTR_ATIME);
	s.mode = cpu_to_le32(n->mode & 07777);
	s.uid = cpu_to_le32(n->uid);
	s.gid = cpu_to_le32(n->gid);
	s.mtime = cpu_to_le64((u64)vtime_ns(n->mtime));
	s.atime = cpu_to_le64((u64)vtime_ns(n->atime));
	memcpy(f->rec, &s, sizeof(s));
	return rec_emit(f, len);
}

/* ------------------------------------------------------------------------
 * Which base entries the view keeps.
 */

/* A base directory whose entries the fold has to go through. */
static bool dir_moved_from(struct fold *f, const struct daxfs_vnode *n)
{
	if (!is_base(f, n->ino) || !S_ISDIR(n->mode))
		return false;
	return !n->nlink || f->ops->dir_changed(f->view, n) == 1;
}

/* Base entry @de of f->dir stays as it is: 1, 0, or an error. */
static int base_kept(struct fold *f, const struct daxfs_dent *de)
{
	u64 ino;
	int err;

	if (!f->dir->nlink)
		return 0;
	err = f->ops->lookup(f->view, f->dir, de->name, de->name_len, &ino);
	if (err == -ENOENT)
		return 0;
	return err ? err : ino == de->ino;
}

/* The limbo name of base entry @pos (@de) of f->dir, into f->name. */
static u32 detached_name(struct fold *f, u64 pos, const struct daxfs_dent *de)
{
	if (is_dir_type(de->type))
		return ino_name(f->name, 'd', de->ino);
	return (u32)snprintf(f->name, FOLD_NAME_MAX, "b%llu-%llu",
			     LLU(f->dir->ino), LLU(pos));
}

/* Call @fn for every base entry of f->dir the view does not keep. */
static int each_lost_entry(struct fold *f,
			   int (*fn)(struct fold *f, u64 pos,
				     const struct daxfs_dent *de))
{
	struct daxfs_dent de;
	u64 pos;
	int err;

	err = daxfs_read_inode(f->region, f->geo, f->dir->ino, &f->base_dir,
			       f->rep);
	for (pos = 0; !err && pos < daxfs_dir_count(&f->base_dir); pos++) {
		err = daxfs_read_dirent(f->region, f->geo, &f->base_dir, pos,
					&de, f->rep);
		if (!err)
			err = base_kept(f, &de);
		if (!err)
			err = fn(f, pos, &de);
		else if (err == 1)
			err = 0;
		cond_resched();
	}
	return err;
}

/* ------------------------------------------------------------------------
 * Steps 1, 2 and 5: limbo, detaching, cleanup.
 */

static int limbo_free(struct fold *f, u32 nlen)
{
	const struct daxfs_vnode *root = f->ops->node(f->view, DAXFS_ROOT_INO);
	struct daxfs_dent de;
	u64 ino;
	int err;

	err = daxfs_read_inode(f->region, f->geo, DAXFS_ROOT_INO, &f->base_dir,
			       f->rep);
	if (err)
		return err;
	err = daxfs_dir_find(f->region, f->geo, &f->base_dir, f->name2, nlen,
			     &de, f->rep);
	if (!err)
		return -EEXIST;
	if (err != -ENOENT)
		return err;
	if (!root || f->ops->dir_changed(f->view, root) != 1)
		return 0;
	err = f->ops->lookup(f->view, root, f->name2, nlen, &ino);
	if (!err)
		return -EEXIST;
	return err == -ENOENT ? 0 : err;
}

static int detach_one(struct fold *f, u64 pos, const struct daxfs_dent *de)
{
	u32 len = detached_name(f, pos, de);

	return emit_rename(f, de->ino, f->dir->ino, de->name, de->name_len,
			   f->limbo, f->name, len);
}

static int detach_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;

	if (!dir_moved_from(f, n))
		return 0;
	f->dir = n;
	return each_lost_entry(f, detach_one);
}

/* UNLINK of the detached names of non-directories. */
static int drop_detached(struct fold *f, u64 pos, const struct daxfs_dent *de)
{
	u32 len;

	if (is_dir_type(de->type))
		return 0;
	len = detached_name(f, pos, de);
	return emit_name(f, DAXFS_REC_UNLINK, de->ino, f->limbo, f->name, len);
}

static int drop_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;
	u32 len;

	if (dir_moved_from(f, n)) {
		f->dir = n;
		return each_lost_entry(f, drop_detached);
	}
	if (is_base(f, n->ino) || !n->nlink || S_ISDIR(n->mode) ||
	    n->ino == f->limbo)
		return 0;
	len = ino_name(f->name, 'n', n->ino);
	return emit_name(f, DAXFS_REC_UNLINK, n->ino, f->limbo, f->name, len);
}

/* Base directories the view removed: empty in limbo by now. */
static int drop_dead_dir(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;
	u32 len;

	if (!is_base(f, n->ino) || !S_ISDIR(n->mode) || n->nlink ||
	    n->ino == DAXFS_ROOT_INO)
		return 0;
	len = ino_name(f->name, 'd', n->ino);
	return emit_name(f, DAXFS_REC_UNLINK, n->ino, f->limbo, f->name, len);
}

/* ------------------------------------------------------------------------
 * Steps 3 and 4: new inodes, and the view's entries.
 */

static int create_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;
	u32 len;

	if (is_base(f, n->ino) || !n->nlink || n->ino == f->limbo)
		return 0;
	len = ino_name(f->name, 'n', n->ino);
	return emit_create(f, n, f->limbo, f->name, len);
}

/* Entry @e of f->dir is a base entry kept: 1, 0, or an error. */
static int entry_kept(struct fold *f, const struct daxfs_ventry *e)
{
	struct daxfs_dent de;
	int err;

	if (!is_base(f, f->dir->ino))
		return 0;
	err = daxfs_dir_find(f->region, f->geo, &f->base_dir, e->name, e->len,
			     &de, f->rep);
	if (err == -ENOENT)
		return 0;
	return err ? err : de.ino == e->ino;
}

static int attach_entry(void *ctx, const struct daxfs_ventry *e)
{
	struct fold *f = ctx;
	int err = entry_kept(f, e);
	u32 len;

	if (err)
		return err < 0 ? err : 0;
	if (!is_dir_type(e->type))
		return emit_name(f, DAXFS_REC_LINK, e->ino, f->dir->ino,
				 e->name, e->len);
	len = ino_name(f->name, is_base(f, e->ino) ? 'd' : 'n', e->ino);
	return emit_rename(f, e->ino, f->limbo, f->name, len, f->dir->ino,
			   e->name, e->len);
}

static int attach_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;
	int err;

	if (!S_ISDIR(n->mode) || !n->nlink || n->ino == f->limbo)
		return 0;
	if (is_base(f, n->ino)) {
		if (f->ops->dir_changed(f->view, n) != 1)
			return 0;
		err = daxfs_read_inode(f->region, f->geo, n->ino, &f->base_dir,
				       f->rep);
		if (err)
			return err;
	}
	f->dir = n;
	return f->ops->each_entry(f->view, n, attach_entry, f);
}

/* ------------------------------------------------------------------------
 * Steps 6 and 7: contents and attributes.
 */

static int write_flush(struct fold *f)
{
	struct daxfs_rec_write w;
	u32 len = sizeof(w) + f->count * sizeof(struct daxfs_rec_page);

	memset(&w, 0, sizeof(w));
	/* The map is in place after the header (16-byte entries, no pad). */
	w.h = rec_header(DAXFS_REC_WRITE, f->file->ino, f->now, &len);
	w.size = cpu_to_le64(f->file_size);
	w.count = cpu_to_le32(f->count);
	memcpy(f->rec, &w, sizeof(w));
	f->count = 0;
	return rec_emit(f, len);
}

static int write_page(void *ctx, u64 index, u64 page)
{
	struct fold *f = ctx;
	struct daxfs_rec_page m;
	int err = 0;

	if (f->count == FOLD_WRITE_PAGES)
		err = write_flush(f);
	if (err)
		return err;
	m.index = cpu_to_le64(index);
	m.page = cpu_to_le64(page);
	memcpy(f->rec + sizeof(struct daxfs_rec_write) +
	       f->count * sizeof(m), &m, sizeof(m));
	f->count++;
	return 0;
}

/* The size the WRITEs of @n set: its size, or more to hold its last page. */
static int last_page(void *ctx, u64 index, u64 page)
{
	struct fold *f = ctx;
	u64 end = (index << DAXFS_BLOCK_SHIFT) + 1;	/* least size with it */

	(void)page;
	if (end > f->file_size)
		f->file_size = end;
	f->count++;
	return 0;
}

/* Map the pages of @n, with WRITEs of @f->file_size; *@size: the size left. */
static int write_pages(struct fold *f, const struct daxfs_vnode *n, u64 *size)
{
	int err;

	f->file = n;
	f->file_size = n->size;
	f->count = 0;
	err = f->ops->each_page(f->view, n, last_page, f);
	if (err || !f->count)
		return err;
	f->count = 0;
	/* The map goes after the header: the header is written at flush. */
	memset(f->rec, 0, DAXFS_REC_MAX);
	err = f->ops->each_page(f->view, n, write_page, f);
	if (!err && f->count)
		err = write_flush(f);
	if (!err)
		*size = f->file_size;
	return err;
}

static int data_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;
	struct daxfs_ino in;
	u64 size = 0;
	int err;

	if (!S_ISREG(n->mode) || !n->nlink || n->ino == f->limbo)
		return 0;
	if (is_base(f, n->ino)) {
		err = daxfs_read_inode(f->region, f->geo, n->ino, &in, f->rep);
		if (err)
			return err;
		size = in.size;
		if (n->base_limit < size) {
			err = emit_truncate(f, n->ino, n->base_limit);
			if (err)
				return err;
			size = n->base_limit;
		}
	}
	err = write_pages(f, n, &size);
	if (err || size == n->size)
		return err;
	/* A WRITE of no page: the size, keeping pages past it (as the view). */
	f->file = n;
	f->file_size = n->size;
	f->count = 0;
	return write_flush(f);
}

static int attr_node(void *ctx, const struct daxfs_vnode *n)
{
	struct fold *f = ctx;

	if (!n->nlink || n->ino == f->limbo)
		return 0;
	return emit_setattr(f, n);
}

/* The root's attributes when the view has no node for it: the base's. */
static int attr_base_root(struct fold *f)
{
	struct daxfs_vnode n;
	struct daxfs_ino in;
	int err;

	err = daxfs_read_inode(f->region, f->geo, DAXFS_ROOT_INO, &in, f->rep);
	if (err)
		return err;
	memset(&n, 0, sizeof(n));
	n.ino = DAXFS_ROOT_INO;
	n.mode = in.mode;
	n.uid = in.uid;
	n.gid = in.gid;
	n.nlink = in.nlink;
	n.mtime.sec = in.mtime;
	n.mtime.nsec = in.mtime_nsec;
	n.atime = n.mtime;
	n.ctime.sec = in.ctime;
	n.ctime.nsec = in.ctime_nsec;
	return emit_setattr(f, &n);
}

/* ------------------------------------------------------------------------
 * The fold.
 */

static int each(struct fold *f,
		int (*fn)(void *ctx, const struct daxfs_vnode *node))
{
	return f->ops->each_node(f->view, fn, f);
}

static int fold_limbo(struct fold *f)
{
	struct daxfs_vnode l;
	u32 len = (u32)snprintf(f->name2, FOLD_NAME_MAX,
				DAXFS_FOLD_LIMBO_PREFIX "%llu", LLU(f->limbo));
	int err = limbo_free(f, len);

	if (err)
		return err;
	memset(&l, 0, sizeof(l));
	l.ino = f->limbo;
	l.mode = S_IFDIR | 0700;
	return emit_create(f, &l, DAXFS_ROOT_INO, f->name2, len);
}

static int fold_names(struct fold *f)
{
	int err = fold_limbo(f);

	if (!err)
		err = each(f, detach_node);
	if (!err)
		err = each(f, create_node);
	if (!err)
		err = each(f, attach_node);
	if (!err)
		err = each(f, drop_node);
	if (!err)
		err = each(f, drop_dead_dir);
	if (!err)
		err = emit_name(f, DAXFS_REC_UNLINK, f->limbo, DAXFS_ROOT_INO,
				f->name2, (u32)strlen(f->name2));
	return err;
}

static int fold_attrs(struct fold *f)
{
	int err = each(f, attr_node);

	if (!err && !f->ops->node(f->view, DAXFS_ROOT_INO))
		err = attr_base_root(f);
	return err;
}

int daxfs_fold_write(const void *region, const struct daxfs_geo *geo,
		     const struct daxfs_fold_view_ops *ops, void *view,
		     u64 limbo_ino, s64 now, const struct daxfs_fold_sink *sink,
		     struct daxfs_report *rep)
{
	struct fold *f;
	int err = -ENOMEM;

	f = kvcalloc(1, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->rec = kvcalloc(1, DAXFS_REC_MAX, GFP_KERNEL);
	if (!f->rec)
		goto out;
	f->region = region;
	f->geo = geo;
	f->ops = ops;
	f->view = view;
	f->sink = sink;
	f->rep = rep;
	f->limbo = limbo_ino;
	f->now = now;
	err = fold_names(f);
	if (!err)
		err = each(f, data_node);
	if (!err)
		err = fold_attrs(f);
out:
	kvfree(f->rec);
	kvfree(f);
	return err;
}
