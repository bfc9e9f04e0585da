/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What a log record does to a view: the one implementation, built into the
 * kernel module, the tools and the fuzzers.
 *
 * A view is the base image plus the logs of a chain of branch slots,
 * replayed oldest first. The rules here decide whether a decoded record
 * fits the view (a hostile or damaged log is refused with -EUCLEAN and a
 * one-line reason in the report, the same words in every program) and
 * which changes it makes. The caller owns the view's memory and provides
 * the few operations below over it: the kernel over its index, the tools
 * over their in-memory tree.
 *
 * Every check is done before the first change, so a refused record leaves
 * the view as it was; only a failed allocation (-ENOMEM) can stop a record
 * half way, and the caller then drops the whole view.
 */
#ifndef _DAXFS_APPLY_H
#define _DAXFS_APPLY_H

#include "daxfs_log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A timestamp of the view. */
struct daxfs_vtime {
	s64 sec;
	u32 nsec;
};

/* The nanoseconds since the epoch of a record as a timestamp. */
struct daxfs_vtime daxfs_vtime_ns(s64 ns);

/*
 * The attributes of one inode of the view: the part of the caller's node
 * that the rules read and change.
 */
struct daxfs_vnode {
	u64 ino;
	u32 mode, uid, gid, nlink, rdev;
	u64 size;		/* regular files and symlinks */
	u64 parent;		/* directories: the directory holding it */
	u64 base_limit;		/* regular files: base bytes visible below this */
	struct daxfs_vtime atime, mtime, ctime;
};

struct daxfs_replay;

/*
 * A page of the view named by the records of one slot: file data at
 * @index of inode @ino, or (@link_len != 0) the target of symlink @ino.
 */
struct daxfs_vpage {
	u64 ino;
	u64 page;
	u64 index;
	u32 link_len;
};

/*
 * The operations a view provides. Each gets the replay it runs for (its
 * @view is the caller's). Errors are negative errnos; -EUCLEAN ones fill
 * rp->rep with the reason.
 */
struct daxfs_view_ops {
	/* The node of @ino, made from the base image when first used; -ENOENT: none. */
	int (*get)(struct daxfs_replay *rp, u64 ino, struct daxfs_vnode **out);
	/* A new node for @ino (no node yet): an empty directory for S_IFDIR. */
	int (*create)(struct daxfs_replay *rp, u64 ino, u32 mode,
		      struct daxfs_vnode **out);
	/* Take back a node create() just made (the record failed after it). */
	void (*forget)(struct daxfs_replay *rp, struct daxfs_vnode *node);

	/* Directories. lookup: 0 and *@ino, or -ENOENT. */
	int (*lookup)(struct daxfs_replay *rp, struct daxfs_vnode *dir,
		      const char *name, u32 len, u64 *ino);
	/* 1 when @dir has no entries, 0 when it has. */
	int (*empty)(struct daxfs_replay *rp, struct daxfs_vnode *dir);
	/* Add entry @name (not present) for @ino of DT_* @type. */
	int (*add)(struct daxfs_replay *rp, struct daxfs_vnode *dir,
		   const char *name, u32 len, u64 ino, u32 type);
	/* Remove entry @name (present, looked up before). */
	void (*remove)(struct daxfs_replay *rp, struct daxfs_vnode *dir,
		       const char *name, u32 len);
	/* Point entry @name (present) at @ino of @type, keeping its place. */
	void (*retarget)(struct daxfs_replay *rp, struct daxfs_vnode *dir,
			 const char *name, u32 len, u64 ino, u32 type);

	/* Regular files: page @index reads from delta @page from now on. */
	int (*map)(struct daxfs_replay *rp, struct daxfs_vnode *file,
		   u64 index, u64 page);
	/* Regular files: pages at @first and beyond are gone. */
	void (*trim)(struct daxfs_replay *rp, struct daxfs_vnode *file,
		     u64 first);
	/* Symlinks made by a record: the target is in delta @page. */
	int (*set_link)(struct daxfs_replay *rp, struct daxfs_vnode *link,
			u64 page);
	/*
	 * Size and times of a file are about to change (begin) and have
	 * changed (end): for views whose readers do not hold the view's lock.
	 * May be NULL.
	 */
	void (*attr_begin)(struct daxfs_vnode *node);
	void (*attr_end)(struct daxfs_vnode *node);
	/*
	 * Call @fn for every page the records of slot rp->slot mapped (file
	 * data) or made a symlink target, that the view still names, in
	 * ascending inode number and, within a file, page index (so every view
	 * reports the same page). Inodes with nlink 0 are out of the view.
	 * Stops at the first error @fn returns.
	 */
	int (*each_page)(struct daxfs_replay *rp,
			 int (*fn)(struct daxfs_replay *rp,
				   const struct daxfs_vpage *vp));
	/* Called after each record a replay applied; may be NULL. */
	int (*applied)(struct daxfs_replay *rp, const struct daxfs_lrec *rec);
};

/* One replay into a view: of one slot's log, or of live records. */
struct daxfs_replay {
	const struct daxfs_view_ops *ops;
	void *view;
	const void *region;
	const struct daxfs_geo *geo;
	struct daxfs_report *rep;
	u32 slot;		/* the slot whose log the records are */
	bool fold;		/* daxfs_replay_slot(): the slot is a fold */
	u8 *seen;		/* daxfs_replay_slot(): pages named, one bit each */
};

/*
 * Apply one decoded, checked record (from daxfs_log_next() or
 * daxfs_rec_decode()) of slot rp->slot to the view.
 * Return: 0, -EUCLEAN (the record does not fit the view; reported), or an
 * error of the view's operations.
 */
int daxfs_apply(struct daxfs_replay *rp, const struct daxfs_lrec *rec);

/*
 * May a record of slot @slot name delta page @page? It must be in the delta
 * region and the slot's own; a fold's (@fold) may also still be owned by a
 * slot it folded (COMMITTED) until a reap hands it over (a second load of
 * the owner covers a reap running meanwhile).
 */
bool daxfs_page_named_ok(const void *region, const struct daxfs_geo *geo,
			 u32 slot, bool fold, u64 page);

/*
 * Replay the log of @br up to @tail (loaded by the caller with acquire
 * semantics) into the view, then check what it left: every page the
 * slot's records still name is owned by the slot in the owner table (a
 * fold's may be owned by a COMMITTED slot it folded), is
 * not one of its log pages, and is named once; every symlink target it
 * made holds no NUL byte. So a branch can only ever write pages it owns.
 * rp->slot is set to @br->slot. @seq, when not NULL, receives the seq of
 * the last record.
 * Return: 0, -EUCLEAN (reported), or an error of the view's operations.
 */
int daxfs_replay_slot(struct daxfs_replay *rp, const struct daxfs_br *br,
		      u64 tail, u64 *seq);

#ifdef __cplusplus
}
#endif

#endif /* _DAXFS_APPLY_H */
