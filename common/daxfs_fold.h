/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Folding: the records that take the base image to a given view, written
 * once here and run by the kernel (folding main online) and by the tools
 * and tests (checking that a fold means what it folds).
 *
 * A fold of main is one log F such that replaying F alone over the base
 * image gives exactly the view of main's committed chain it replaces: the
 * same names, inode numbers, attributes (times included), file sizes and
 * page maps, symlink targets. F names only pages the view already names
 * (file data and symlink targets are not copied), once each, so what F
 * takes is its log pages; every page the folded chain owned that F does not
 * name is garbage once no reader can still use it.
 *
 * The records F holds, in this order (docs/format.md, Folding):
 *  1. MKDIR of a limbo directory in the root;
 *  2. every base entry the view lost or changed is moved into limbo
 *     (RENAME): a directory as "d<ino>", any other inode as
 *     "b<parent>-<position in the base directory>";
 *  3. every inode the base does not have is created in limbo as "n<ino>"
 *     (CREATE, MKDIR, SYMLINK, MKNOD with its mode, owner, device);
 *  4. every entry of the view that is not a kept base entry is made: a
 *     directory by RENAME out of limbo, any other inode by LINK;
 *  5. every name left in limbo is removed (UNLINK), then limbo itself;
 *  6. file contents: TRUNCATE to the size below which base bytes still
 *     show, then WRITE records mapping the view's pages and setting its
 *     size (a WRITE drops no page: pages a smaller WRITE left past the size
 *     are mapped with a size that holds them, then a WRITE of no page sets
 *     the view's);
 *  7. SETATTR of every inode the view changed (and the root): mode, owner,
 *     mtime, atime, and as the record's time the ctime.
 * Step 4 never moves a directory below itself: every edge it adds is one of
 * the view's, and the edges present are the view's or lead into limbo.
 */
#ifndef _DAXFS_FOLD_H
#define _DAXFS_FOLD_H

#include "daxfs_apply.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A directory entry of a view. */
struct daxfs_ventry {
	const char *name;
	u32 len;
	u32 type;	/* DT_* */
	u64 ino;
};

/*
 * What a fold reads of the view it folds. @view is the caller's. Callbacks
 * return 0 to go on; a non-zero return stops the walk and is returned.
 */
struct daxfs_fold_view_ops {
	/*
	 * Call @fn for every inode of the view that records changed or made
	 * (the caller's nodes), those with nlink 0 included, in ascending
	 * inode number. Inodes not passed are as in the base image. An inode
	 * whose names changed is passed even if a SETATTR gave it back its
	 * base attributes: the fold's records touch it, and its SETATTR puts
	 * its times back.
	 */
	int (*each_node)(void *view,
			 int (*fn)(void *ctx, const struct daxfs_vnode *node),
			 void *ctx);
	/* The node of @ino, or NULL when the view has the base inode as it is. */
	const struct daxfs_vnode *(*node)(void *view, u64 ino);
	/*
	 * Directories passed by each_node(): 1 if their entries may differ
	 * from the base directory's (the caller keeps its own list of them),
	 * 0 if they are the base entries.
	 */
	int (*dir_changed)(void *view, const struct daxfs_vnode *dir);
	/* Every entry of a changed directory, in any order. */
	int (*each_entry)(void *view, const struct daxfs_vnode *dir,
			  int (*fn)(void *ctx, const struct daxfs_ventry *e),
			  void *ctx);
	/* Entry @name of a changed directory: 0 and *@ino, or -ENOENT. */
	int (*lookup)(void *view, const struct daxfs_vnode *dir,
		      const char *name, u32 len, u64 *ino);
	/*
	 * Regular files: every page index the view maps to a delta page, in
	 * ascending index (pages not passed read base bytes below
	 * base_limit, zeros above).
	 */
	int (*each_page)(void *view, const struct daxfs_vnode *file,
			 int (*fn)(void *ctx, u64 index, u64 page), void *ctx);
	/* Symlinks a record made: the delta page of the target; 0 for base ones. */
	u64 (*link_page)(void *view, const struct daxfs_vnode *link);
};

/*
 * Where the records go. emit() appends one record of @len bytes whose
 * header has type, len, ino and time set; the sink fills in seq and crc
 * (the record is the sink's to change). A negative errno stops the fold.
 */
struct daxfs_fold_sink {
	int (*emit)(void *ctx, struct daxfs_rec *rec, u32 len);
	void *ctx;
};

/*
 * Write the fold of @view (over the base image of @region, @geo) into
 * @sink. @limbo_ino is a free inode number for the limbo directory (from
 * live.next_ino); @now the time of its records (ns since the epoch).
 * Return: 0; -EEXIST when the root already has the limbo's name; -EUCLEAN
 * (reported in @rep) when the base image is damaged; -ENOMEM; or the sink's
 * error.
 */
int daxfs_fold_write(const void *region, const struct daxfs_geo *geo,
		     const struct daxfs_fold_view_ops *ops, void *view,
		     u64 limbo_ino, s64 now, const struct daxfs_fold_sink *sink,
		     struct daxfs_report *rep);

/* The name of the limbo directory of a fold: ".daxfs-fold-<ino>". */
#define DAXFS_FOLD_LIMBO_PREFIX	".daxfs-fold-"

#ifdef __cplusplus
}
#endif

#endif /* _DAXFS_FOLD_H */
