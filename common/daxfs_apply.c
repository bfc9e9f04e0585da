// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What a log record does to a view, shared by the kernel module and the
 * tools. See daxfs_apply.h for the contract and docs/branches.md for the
 * rules in words.
 */
#include "daxfs_apply.h"

#define LLU(x) ((unsigned long long)(x))

/* Upper bound of the parent walk of the rename cycle check. */
#define APPLY_MAX_DEPTH		0x100000u
#define LINK_MAX_COUNT		(0xffffffffu - 1)

struct daxfs_vtime daxfs_vtime_ns(s64 ns)
{
	struct daxfs_vtime t;
	s64 rem = ns % 1000000000;

	t.sec = ns / 1000000000;
	if (rem < 0) {
		t.sec--;
		rem += 1000000000;
	}
	t.nsec = (u32)rem;
	return t;
}

static int bad(struct daxfs_replay *rp, const struct daxfs_lrec *r,
	       const char *why)
{
	if (rp->rep)
		snprintf(rp->rep->msg, sizeof(rp->rep->msg),
			 "log record %llu (type %u, inode %llu): %s",
			 LLU(r->seq), r->type, LLU(r->ino), why);
	return -EUCLEAN;
}

static u64 pages_of(u64 size)
{
	return (size >> DAXFS_BLOCK_SHIFT) +
	       ((size & (DAXFS_BLOCK_SIZE - 1)) != 0);
}

static u32 dt_of(u32 mode)
{
	return DAXFS_MODE_TO_DT(mode);
}

/* The node of @ino; @what names it in the report when there is none. */
static int node_of(struct daxfs_replay *rp, const struct daxfs_lrec *r,
		   u64 ino, const char *what, struct daxfs_vnode **out)
{
	int err = rp->ops->get(rp, ino, out);

	return err == -ENOENT ? bad(rp, r, what) : err;
}

/* The directory a naming record changes: it exists and is not removed. */
static int dir_of(struct daxfs_replay *rp, const struct daxfs_lrec *r,
		  u64 ino, struct daxfs_vnode **out)
{
	int err = node_of(rp, r, ino, "unknown parent directory", out);

	if (err)
		return err;
	if (!S_ISDIR((*out)->mode) || !(*out)->nlink)
		return bad(rp, r, "parent is not a live directory");
	return 0;
}

/* 0: @name is in @dir (its inode in *@ino); 1: it is not. */
static int find(struct daxfs_replay *rp, struct daxfs_vnode *dir,
		const char *name, u32 len, u64 *ino)
{
	int err = rp->ops->lookup(rp, dir, name, len, ino);

	if (err == -ENOENT) {
		*ino = 0;
		return 1;
	}
	return err;
}

static void touch(struct daxfs_vnode *n, s64 time)
{
	n->mtime = daxfs_vtime_ns(time);
	n->ctime = n->mtime;
}

static void set_size(struct daxfs_replay *rp, struct daxfs_vnode *n,
		     u64 size, s64 time)
{
	if (rp->ops->attr_begin)
		rp->ops->attr_begin(n);
	n->size = size;
	if (n->base_limit > size)
		n->base_limit = size;
	touch(n, time);
	if (rp->ops->attr_end)
		rp->ops->attr_end(n);
}

static int apply_write(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *n;
	u64 index, page;
	u32 i;
	int err;

	err = node_of(rp, r, r->ino, "unknown inode", &n);
	if (err)
		return err;
	if (!S_ISREG(n->mode))
		return bad(rp, r, "WRITE to a non-regular file");
	for (i = 0; i < r->count; i++) {
		daxfs_lrec_page(r, i, &index, &page);
		if (index >= pages_of(r->size))
			return bad(rp, r, "WRITE maps a page past the size");
	}
	for (i = 0; i < r->count; i++) {
		daxfs_lrec_page(r, i, &index, &page);
		err = rp->ops->map(rp, n, index, page);
		if (err)
			return err;
	}
	set_size(rp, n, r->size, r->time);
	return 0;
}

static int apply_truncate(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *n;
	int err;

	err = node_of(rp, r, r->ino, "unknown inode", &n);
	if (err)
		return err;
	if (!S_ISREG(n->mode))
		return bad(rp, r, "TRUNCATE of a non-regular file");
	rp->ops->trim(rp, n, pages_of(r->size));
	set_size(rp, n, r->size, r->time);
	return 0;
}

/* The new inode number of a creating record is free. */
static int ino_free(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *n;
	int err;

	if (r->ino <= rp->geo->inode_count)
		return bad(rp, r, "inode number in use");
	err = rp->ops->get(rp, r->ino, &n);
	if (err == -ENOENT)
		return 0;
	return err ? err : bad(rp, r, "inode number in use");
}

static void init_created(struct daxfs_vnode *n, const struct daxfs_lrec *r)
{
	n->uid = r->uid;
	n->gid = r->gid;
	n->rdev = (S_ISCHR(r->mode) || S_ISBLK(r->mode)) ? r->rdev : 0;
	n->nlink = S_ISDIR(r->mode) ? 2 : 1;
	n->atime = daxfs_vtime_ns(r->time);
	n->mtime = n->atime;
	n->ctime = n->atime;
	n->parent = S_ISDIR(r->mode) ? r->parent : 0;
	n->size = S_ISLNK(r->mode) ? r->size : 0;
}

/* CREATE, MKDIR, SYMLINK, MKNOD (the decoder checked mode against type). */
static int apply_create(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *dir, *n;
	u64 ino;
	int err;

	err = ino_free(rp, r);
	if (!err)
		err = dir_of(rp, r, r->parent, &dir);
	if (!err)
		err = find(rp, dir, r->name, r->name_len, &ino);
	if (err <= 0)
		return err ? err : bad(rp, r, "name exists");
	if (S_ISDIR(r->mode) && dir->nlink >= LINK_MAX_COUNT)
		return bad(rp, r, "too many links");
	err = rp->ops->create(rp, r->ino, r->mode, &n);
	if (err)
		return err;
	init_created(n, r);
	if (S_ISLNK(r->mode))
		err = rp->ops->set_link(rp, n, r->page);
	if (!err)
		err = rp->ops->add(rp, dir, r->name, r->name_len, r->ino,
				   dt_of(r->mode));
	if (err) {
		rp->ops->forget(rp, n);
		return err;
	}
	if (S_ISDIR(r->mode))
		dir->nlink++;
	touch(dir, r->time);
	return 0;
}

static int apply_link(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *dir, *n;
	u64 ino;
	int err;

	err = node_of(rp, r, r->ino, "LINK of an unknown inode", &n);
	if (err)
		return err;
	if (S_ISDIR(n->mode) || !n->nlink || n->nlink >= LINK_MAX_COUNT)
		return bad(rp, r, "LINK of a directory or an unlinked inode");
	err = dir_of(rp, r, r->parent, &dir);
	if (!err)
		err = find(rp, dir, r->name, r->name_len, &ino);
	if (err <= 0)
		return err ? err : bad(rp, r, "name exists");
	err = rp->ops->add(rp, dir, r->name, r->name_len, r->ino,
			   dt_of(n->mode));
	if (err)
		return err;
	n->nlink++;
	n->ctime = daxfs_vtime_ns(r->time);
	touch(dir, r->time);
	return 0;
}

/*
 * Drop one link of @n, whose entry in @dir just went: a directory (empty,
 * checked by the caller) loses both its links and its parent's "..". An
 * inode whose last name goes stays, with nlink 0: an open file can still be
 * written, and later records refer to it.
 */
static void drop_link(struct daxfs_vnode *dir, struct daxfs_vnode *n, s64 time)
{
	if (S_ISDIR(n->mode)) {
		n->nlink = 0;
		if (dir->nlink > 2)
			dir->nlink--;
	} else if (n->nlink) {
		n->nlink--;
	}
	n->ctime = daxfs_vtime_ns(time);
}

/* The inode @ino an entry names, checked for removal. */
static int victim(struct daxfs_replay *rp, const struct daxfs_lrec *r, u64 ino,
		  struct daxfs_vnode **out)
{
	int err = node_of(rp, r, ino, "entry names an unknown inode", out);

	if (err)
		return err;
	if (!(*out)->nlink)
		return bad(rp, r, "entry names an unlinked inode");
	if (!S_ISDIR((*out)->mode))
		return 0;
	err = rp->ops->empty(rp, *out);
	if (err < 0)
		return err;
	return err ? 0 : bad(rp, r, "directory removed is not empty");
}

static int apply_unlink(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *dir, *n;
	u64 ino;
	int err;

	err = dir_of(rp, r, r->parent, &dir);
	if (!err)
		err = find(rp, dir, r->name, r->name_len, &ino);
	if (err)
		return err < 0 ? err : bad(rp, r, "UNLINK of a missing name");
	if (ino != r->ino)
		return bad(rp, r, "UNLINK names another inode");
	err = victim(rp, r, ino, &n);
	if (err)
		return err;
	rp->ops->remove(rp, dir, r->name, r->name_len);
	drop_link(dir, n, r->time);
	touch(dir, r->time);
	return 0;
}

/* Directory @ino is @anc or below it: 1, 0, or an error. */
static int is_below(struct daxfs_replay *rp, const struct daxfs_lrec *r,
		    u64 ino, u64 anc)
{
	struct daxfs_vnode *n;
	u32 steps;
	int err;

	for (steps = 0; steps < APPLY_MAX_DEPTH; steps++) {
		if (ino == anc)
			return 1;
		if (ino == DAXFS_ROOT_INO)
			return 0;
		err = node_of(rp, r, ino, "unknown parent directory", &n);
		if (err)
			return err;
		ino = n->parent;
	}
	return bad(rp, r, "directory tree too deep");
}

/* Re-parent directory @n from @from to @to (different directories). */
static void move_dir(struct daxfs_vnode *n, struct daxfs_vnode *from,
		     struct daxfs_vnode *to)
{
	if (!S_ISDIR(n->mode) || from == to)
		return;
	if (from->nlink > 2)
		from->nlink--;
	to->nlink++;
	n->parent = to->ino;
}

struct rename_ctx {
	struct daxfs_vnode *odir, *ndir, *src, *dst;
};

/* A directory moved under itself would cut a subtree off the root. */
static int rename_cycle(struct daxfs_replay *rp, const struct daxfs_lrec *r,
			struct daxfs_vnode *moved, struct daxfs_vnode *into)
{
	int below;

	if (!S_ISDIR(moved->mode))
		return 0;
	below = is_below(rp, r, into->ino, moved->ino);
	if (below < 0)
		return below;
	return below ? bad(rp, r, "RENAME makes a cycle") : 0;
}

static int rename_check(struct daxfs_replay *rp, const struct daxfs_lrec *r,
			struct rename_ctx *c)
{
	int err;

	if (c->odir == c->ndir)
		return 0;
	err = rename_cycle(rp, r, c->src, c->ndir);
	if (err)
		return err;
	if (S_ISDIR(c->src->mode) && c->ndir->nlink >= LINK_MAX_COUNT)
		return bad(rp, r, "too many links");
	if (c->dst && (r->flags & DAXFS_RENAME_EXCHANGE)) {
		err = rename_cycle(rp, r, c->dst, c->odir);
		if (!err && S_ISDIR(c->dst->mode) &&
		    c->odir->nlink >= LINK_MAX_COUNT)
			err = bad(rp, r, "too many links");
	}
	return err;
}

static int rename_exchange(struct daxfs_replay *rp, const struct daxfs_lrec *r,
			   struct rename_ctx *c)
{
	if (!c->dst)
		return bad(rp, r, "RENAME_EXCHANGE with a missing target");
	rp->ops->retarget(rp, c->odir, r->name, r->name_len, c->dst->ino,
			  dt_of(c->dst->mode));
	rp->ops->retarget(rp, c->ndir, r->new_name, r->new_name_len,
			  c->src->ino, dt_of(c->src->mode));
	move_dir(c->src, c->odir, c->ndir);
	move_dir(c->dst, c->ndir, c->odir);
	c->dst->ctime = daxfs_vtime_ns(r->time);
	return 0;
}

static int rename_move(struct daxfs_replay *rp, const struct daxfs_lrec *r,
		       struct rename_ctx *c)
{
	int err;

	if (c->dst) {
		if (r->flags & DAXFS_RENAME_NOREPLACE)
			return bad(rp, r, "RENAME_NOREPLACE over a name");
		if (S_ISDIR(c->src->mode) != S_ISDIR(c->dst->mode))
			return bad(rp, r, "RENAME between a directory and a file");
		if (c->dst == c->src)
			return bad(rp, r, "RENAME over another link of itself");
		/* The target name keeps its place (readdir position). */
		drop_link(c->ndir, c->dst, r->time);
		rp->ops->retarget(rp, c->ndir, r->new_name, r->new_name_len,
				  c->src->ino, dt_of(c->src->mode));
	} else {
		err = rp->ops->add(rp, c->ndir, r->new_name, r->new_name_len,
				   c->src->ino, dt_of(c->src->mode));
		if (err)
			return err;
	}
	rp->ops->remove(rp, c->odir, r->name, r->name_len);
	move_dir(c->src, c->odir, c->ndir);
	return 0;
}

/* The inodes a RENAME names, looked up and checked. 1: nothing to do. */
static int rename_lookup(struct daxfs_replay *rp, const struct daxfs_lrec *r,
			 struct rename_ctx *c)
{
	u64 ino = 0;
	int err;

	err = dir_of(rp, r, r->parent, &c->odir);
	if (!err)
		err = dir_of(rp, r, r->new_parent, &c->ndir);
	if (!err)
		err = find(rp, c->odir, r->name, r->name_len, &ino);
	if (err || ino != r->ino)
		return err < 0 ? err : bad(rp, r, "RENAME of a missing name");
	if (c->odir == c->ndir &&
	    !daxfs_name_cmp(r->name, r->name_len, r->new_name, r->new_name_len))
		return 1;	/* the same entry */
	err = node_of(rp, r, r->ino, "RENAME of an unknown inode", &c->src);
	if (!err)
		err = find(rp, c->ndir, r->new_name, r->new_name_len, &ino);
	if (err)
		return err < 0 ? err : 0;
	if (r->flags & DAXFS_RENAME_EXCHANGE)
		return node_of(rp, r, ino, "entry names an unknown inode",
			       &c->dst);
	return victim(rp, r, ino, &c->dst);
}

static int apply_rename(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct rename_ctx c = { NULL, NULL, NULL, NULL };
	int err;

	err = rename_lookup(rp, r, &c);
	if (err)
		return err < 0 ? err : 0;
	err = rename_check(rp, r, &c);
	if (err)
		return err;
	if (r->flags & DAXFS_RENAME_EXCHANGE)
		err = rename_exchange(rp, r, &c);
	else
		err = rename_move(rp, r, &c);
	if (err)
		return err;
	c.src->ctime = daxfs_vtime_ns(r->time);
	touch(c.odir, r->time);
	touch(c.ndir, r->time);
	return 0;
}

static int apply_setattr(struct daxfs_replay *rp, const struct daxfs_lrec *r)
{
	struct daxfs_vnode *n;
	int err;

	err = node_of(rp, r, r->ino, "unknown inode", &n);
	if (err)
		return err;
	if (r->valid & DAXFS_ATTR_MODE)
		n->mode = (n->mode & S_IFMT) | r->mode;
	if (r->valid & DAXFS_ATTR_UID)
		n->uid = r->uid;
	if (r->valid & DAXFS_ATTR_GID)
		n->gid = r->gid;
	if (rp->ops->attr_begin)
		rp->ops->attr_begin(n);
	if (r->valid & DAXFS_ATTR_MTIME)
		n->mtime = daxfs_vtime_ns(r->mtime);
	if (r->valid & DAXFS_ATTR_ATIME)
		n->atime = daxfs_vtime_ns(r->atime);
	n->ctime = daxfs_vtime_ns(r->time);
	if (rp->ops->attr_end)
		rp->ops->attr_end(n);
	return 0;
}

int daxfs_apply(struct daxfs_replay *rp, const struct daxfs_lrec *rec)
{
	switch (rec->type) {
	case DAXFS_REC_WRITE:
		return apply_write(rp, rec);
	case DAXFS_REC_TRUNCATE:
		return apply_truncate(rp, rec);
	case DAXFS_REC_CREATE:
	case DAXFS_REC_MKDIR:
	case DAXFS_REC_SYMLINK:
	case DAXFS_REC_MKNOD:
		return apply_create(rp, rec);
	case DAXFS_REC_LINK:
		return apply_link(rp, rec);
	case DAXFS_REC_UNLINK:
		return apply_unlink(rp, rec);
	case DAXFS_REC_RENAME:
		return apply_rename(rp, rec);
	case DAXFS_REC_SETATTR:
		return apply_setattr(rp, rec);
	default:
		return bad(rp, rec, "unknown record type");
	}
}

/* ------------------------------------------------------------------------
 * Replay of one slot's log, and the check of the pages it left named.
 */

static bool seen_test_set(u8 *seen, u64 page)
{
	u8 bit = (u8)(1u << (page & 7));
	bool was = seen[page >> 3] & bit;

	seen[page >> 3] |= bit;
	return was;
}

static u32 owner_at(const void *region, const struct daxfs_geo *geo, u64 page)
{
	__le32 v;

	memcpy(&v, (const u8 *)region + geo->delta_off + page * sizeof(v),
	       sizeof(v));
	return le32_to_cpu(v);
}

static u32 owner_of(const struct daxfs_replay *rp, u64 page)
{
	return owner_at(rp->region, rp->geo, page);
}

static int page_fault(struct daxfs_replay *rp, const struct daxfs_vpage *vp,
		      const char *why)
{
	if (rp->rep)
		snprintf(rp->rep->msg, sizeof(rp->rep->msg),
			 "branch slot %u: inode %llu, delta page %llu: %s",
			 rp->slot, LLU(vp->ino), LLU(vp->page), why);
	return -EUCLEAN;
}

/* The state of the slot owning a page (as owner_at() returns it). */
static u32 owner_state(const void *region, const struct daxfs_geo *geo,
		       u32 owner)
{
	__le32 v;

	if (owner == DAXFS_OWNER_FREE || owner > DAXFS_BRANCH_COUNT)
		return DAXFS_BRANCH_FREE;
	memcpy(&v, (const u8 *)region + geo->branch_off +
	       (owner - 1) * sizeof(struct daxfs_branch) +
	       offsetof(struct daxfs_branch, state), sizeof(v));
	return le32_to_cpu(v);
}

bool daxfs_page_named_ok(const void *region, const struct daxfs_geo *geo,
			 u32 slot, bool fold, u64 page)
{
	u32 owner;

	if (page < geo->meta_pages || page >= geo->delta_pages)
		return false;
	owner = owner_at(region, geo, page);
	if (owner == DAXFS_OWNER(slot))
		return true;
	if (!fold)
		return false;
	if (owner_state(region, geo, owner) == DAXFS_BRANCH_COMMITTED)
		return true;
	/*
	 * A reap (of a mounted region, by any kernel) hands the pages the fold
	 * names from the folded slots to the fold, and only then frees those
	 * slots: a slot no longer COMMITTED means the page is the fold's by
	 * now, which a second load of its owner sees.
	 */
	daxfs_load_fence();
	return owner_at(region, geo, page) == DAXFS_OWNER(slot);
}

static bool page_owned(const struct daxfs_replay *rp, u64 page)
{
	return daxfs_page_named_ok(rp->region, rp->geo, rp->slot, rp->fold,
				   page);
}

static int check_page(struct daxfs_replay *rp, const struct daxfs_vpage *vp)
{
	const char *target;
	char why[48];

	if (vp->page < rp->geo->meta_pages || vp->page >= rp->geo->delta_pages)
		return page_fault(rp, vp, "not owned by the slot (outside the region)");
	if (!page_owned(rp, vp->page)) {
		snprintf(why, sizeof(why), "not owned by the slot (owner %u)",
			 owner_of(rp, vp->page));
		return page_fault(rp, vp, why);
	}
	if (seen_test_set(rp->seen, vp->page))
		return page_fault(rp, vp, "named twice (or a log page)");
	if (!vp->link_len)
		return 0;
	target = (const char *)rp->region + rp->geo->delta_off +
		 vp->page * DAXFS_BLOCK_SIZE;
	if (vp->link_len > DAXFS_SYMLINK_MAX ||
	    memchr(target, '\0', vp->link_len))
		return page_fault(rp, vp, "symlink target holds a NUL");
	return 0;
}

/* Mark the log pages the cursor walked: no record may name them. */
static void mark_log(struct daxfs_replay *rp, const struct daxfs_br *br,
		     const struct daxfs_log_cursor *cur)
{
	struct daxfs_log_page hdr;
	u64 page = br->log_head, n;

	for (n = 0; n < cur->pages_walked || (!n && page); n++) {
		if (page < rp->geo->meta_pages || page >= rp->geo->delta_pages)
			return;
		seen_test_set(rp->seen, page);
		memcpy(&hdr, (const u8 *)rp->region + rp->geo->delta_off +
		       page * DAXFS_BLOCK_SIZE, sizeof(hdr));
		page = le64_to_cpu(hdr.next);
	}
}

static int check_slot_pages(struct daxfs_replay *rp)
{
	return rp->ops->each_page(rp, check_page);
}

static int replay_records(struct daxfs_replay *rp, struct daxfs_log_cursor *cur)
{
	struct daxfs_lrec rec;
	int err;

	for (;;) {
		err = daxfs_log_next(rp->region, rp->geo, cur, &rec, rp->rep);
		if (err <= 0)
			return err;
		err = daxfs_apply(rp, &rec);
		if (!err && rp->ops->applied)
			err = rp->ops->applied(rp, &rec);
		if (err)
			return err;
		cond_resched();
	}
}

int daxfs_replay_slot(struct daxfs_replay *rp, const struct daxfs_br *br,
		      u64 tail, u64 *seq)
{
	struct daxfs_log_cursor *cur;
	int err = -ENOMEM;

	rp->slot = br->slot;
	rp->fold = br->flags & DAXFS_BRANCH_F_FOLD;
	cur = kvcalloc(1, sizeof(*cur), GFP_KERNEL);
	rp->seen = kvcalloc(rp->geo->delta_pages / 8 + 1, 1, GFP_KERNEL);
	if (!cur || !rp->seen)
		goto out;
	err = daxfs_log_start(rp->region, rp->geo, br, tail, cur, rp->rep);
	if (!err)
		err = replay_records(rp, cur);
	if (!err) {
		mark_log(rp, br, cur);
		err = check_slot_pages(rp);
	}
	if (!err && seq)
		*seq = cur->seq;
out:
	kvfree(rp->seen);
	rp->seen = NULL;
	kvfree(cur);
	return err;
}
