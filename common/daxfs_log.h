/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Checking and decoding of the branch table and delta logs: the one
 * implementation, built into the kernel module, the tools and the fuzzers.
 *
 * As in daxfs_check.h, every value is read from the region once into a
 * private copy, checked there and used from there. Errors are negative
 * errnos (-EUCLEAN for corruption) with a one-line reason in @rep.
 */
#ifndef _DAXFS_LOG_H
#define _DAXFS_LOG_H

#include "daxfs_check.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A decoded, checked branch table entry. */
struct daxfs_br {
	u32 slot;
	u32 state;		/* DAXFS_BRANCH_* */
	u32 parent;
	u32 mounts;
	u32 flags;		/* DAXFS_BRANCH_F_* */
	u64 generation;
	u64 parent_gen;
	u64 log_head;		/* delta page, 0: none */
	u64 log_tail;		/* DAXFS_TAIL(), 0: empty log */
	u64 pages;
	u64 created;
	u64 owner;
	u64 beat;		/* heartbeat, see DAXFS_LEASE_NS */
	char name[DAXFS_BRANCH_NAME_MAX + 1];	/* NUL-terminated */
};

/* Decoded live words (not checksummed; checked for range only). */
struct daxfs_live_words {
	u64 main_head;
	u64 commit_seq;
	u64 next_ino;
	u64 free_pages;
	u64 fold_head;		/* INCOMPAT_FOLD, else 0 */
	u64 fold_need;
};

/*
 * Pointers to the shared structures of a checked image with branches, or
 * NULL when it has none. Callers use them only for atomics and the decode
 * functions below.
 */
struct daxfs_live *daxfs_live_ptr(void *region, const struct daxfs_geo *geo);
struct daxfs_branch *daxfs_branch_ptr(void *region, const struct daxfs_geo *geo,
				      u32 slot);
__le32 *daxfs_owner_ptr(void *region, const struct daxfs_geo *geo, u64 page);
void *daxfs_delta_page(void *region, const struct daxfs_geo *geo, u64 page);

/* Read and check live words (main_head slot in range, next_ino sane). */
int daxfs_read_live(const void *region, const struct daxfs_geo *geo,
		    struct daxfs_live_words *out, struct daxfs_report *rep);

/*
 * Read and check entry @slot of the branch table: known state, parent in
 * range and not itself (but slot 0), name of 1..DAXFS_BRANCH_NAME_MAX bytes
 * of [A-Za-z0-9._-] for a used slot, log pointers inside the delta region.
 */
int daxfs_read_branch(const void *region, const struct daxfs_geo *geo,
		      u32 slot, struct daxfs_br *out, struct daxfs_report *rep);

/*
 * The fold slot live.fold_head @fold names, and its top (the head it stands
 * for); -EUCLEAN (reported) if the slot is not that fold.
 */
int daxfs_read_fold(const void *region, const struct daxfs_geo *geo,
		    u64 fold, u32 *slot, u64 *top, struct daxfs_report *rep);

/*
 * Main's chain at @head (live.main_head) and @fold (live.fold_head, loaded
 * before @head), oldest first and without slot 0, into @chain (room for
 * DAXFS_BRANCH_COUNT slots): committed slots (ACTIVE ones too, when a
 * commit stopped before marking them) by parent links from the head, down
 * to main or, with a fold, down to the fold's top, whose place the fold
 * slot takes (docs/format.md, Folding). A walk that reaches main without
 * meeting the top is the chain of a head older than the fold, whole. @top,
 * when not NULL, receives the fold's top when the chain starts with the
 * fold, else 0.
 * Return: 0, or -EUCLEAN with the reason (also when the fold slot is not
 * the one @fold names: a caller that may race with folds reloads @fold and
 * tries again).
 */
int daxfs_main_chain_walk(const void *region, const struct daxfs_geo *geo,
			  u64 head, u64 fold, u32 *chain, u32 *len, u64 *top,
			  struct daxfs_report *rep);

/* A valid branch name (1..DAXFS_BRANCH_NAME_MAX bytes of [A-Za-z0-9._-]). */
bool daxfs_branch_name_ok(const char *name, u32 len);

/*
 * A decoded, checked log record. Pointers point into the cursor's private
 * copy of the record, valid until the next daxfs_log_next().
 */
struct daxfs_lrec {
	u32 type;		/* DAXFS_REC_* */
	u32 len;
	u64 seq;
	u64 ino;
	s64 time;		/* ns since the epoch */
	/* WRITE, TRUNCATE: new size; SYMLINK: target length */
	u64 size;
	/* WRITE: @count pages, decoded from @map with daxfs_lrec_page() */
	u32 count;
	const struct daxfs_rec_page *map;
	/* CREATE..MKNOD, LINK, UNLINK: @parent; RENAME: old and new parent */
	u64 parent;
	u64 new_parent;
	u64 page;		/* SYMLINK: delta page holding the target */
	u32 mode, uid, gid, rdev;	/* CREATE..MKNOD; SETATTR */
	u32 valid;		/* SETATTR: DAXFS_ATTR_* */
	u32 flags;		/* RENAME */
	s64 mtime, atime;	/* SETATTR */
	const char *name;	/* CREATE..UNLINK; RENAME: old name */
	u32 name_len;
	const char *new_name;	/* RENAME */
	u32 new_name_len;
};

/* Entry @i of a WRITE record (checked: page in range, not META). */
static inline void daxfs_lrec_page(const struct daxfs_lrec *r, u32 i,
				   u64 *index, u64 *page)
{
	*index = le64_to_cpu(r->map[i].index);
	*page = le64_to_cpu(r->map[i].page);
}

/*
 * Walks the log of one branch, from its head to the tail given at
 * daxfs_log_start() (the caller loads log_tail once, with acquire
 * semantics, before starting). It never walks more pages than the delta
 * region has, so a looped chain ends with -EUCLEAN.
 */
struct daxfs_log_cursor {
	u64 page;		/* current log page, 0 when done */
	u32 off;		/* offset of the next record in it */
	u64 tail;		/* DAXFS_TAIL() where the log ends */
	u64 seq;		/* seq of the last record returned */
	u64 pages_walked;
	u32 owner;		/* DAXFS_OWNER() of the branch */
	union {
		struct daxfs_rec h;
		u64 align;
		u8 bytes[DAXFS_REC_MAX];
	} copy;			/* private copy of the current record */
};

/* Start walking the log of @br up to @tail. */
int daxfs_log_start(const void *region, const struct daxfs_geo *geo,
		    const struct daxfs_br *br, u64 tail,
		    struct daxfs_log_cursor *cur, struct daxfs_report *rep);

/*
 * Copy, check and decode the next record. Returns 1 with @out filled, 0 at
 * the end of the log, or a negative errno (-EUCLEAN: bad crc, length, type,
 * seq not previous + 1, name, page number, or a broken page chain).
 */
int daxfs_log_next(const void *region, const struct daxfs_geo *geo,
		   struct daxfs_log_cursor *cur, struct daxfs_lrec *out,
		   struct daxfs_report *rep);

/*
 * Check and decode a record already in private memory (the write path
 * decodes what it is about to append, so it obeys the same rules as replay).
 * Checks everything daxfs_log_next() does but the crc and seq.
 */
int daxfs_rec_decode(const void *rec, u32 len, const struct daxfs_geo *geo,
		     struct daxfs_lrec *out, struct daxfs_report *rep);

/* Checksum a record of @len bytes must carry (its crc field taken as 0). */
u32 daxfs_rec_csum(const void *rec, u32 len);

/*
 * Check the branch table, the owner table and every log of the image:
 * slots, parents (no cycles; an ACTIVE or COMMITTED branch's parent is in
 * use and of the right generation), main_head's chain made of COMMITTED
 * slots, every log readable to its tail, and every page named by a log or
 * chain owned by that branch in the owner table. Pages owned by a branch
 * but named by nothing are leaks: counted in @leaked, not an error.
 */
int daxfs_validate_branches(const void *region, const struct daxfs_geo *geo,
			    u64 *leaked, struct daxfs_report *rep);

#ifdef __cplusplus
}
#endif

#endif /* _DAXFS_LOG_H */
