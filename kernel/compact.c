// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: compaction, the part of a fold that moves file data together.
 *
 * A file of main rewritten page by page over many commits ends up with its
 * pages scattered in the delta region: mapping it takes a fault per 4 KiB
 * window, where the 2 MiB-aligned run a fresh image holds takes one PMD. A
 * fold copies each 2 MiB part of a file that is worth it into a new run of
 * aligned frames the fold slot owns, and names that run in its log; the
 * pages it copied from are the folded history's, freed once every reader
 * has seen the fold, like every other page the fold does not name.
 *
 * A part is worth it when its 512 pages all hold data (no hole), one at
 * least is a delta page, and they are not one aligned run already. At most
 * DAXFS_COMPACT_RUNS parts move per fold, and a quarter of the delta region
 * stays free (daxfs_run_alloc_for()).
 *
 * Every other mount of main takes the moved pages when it adopts the fold
 * (daxfs_fold_correct()). A writable branch's index is not corrected (its
 * view must not change under it), so nothing moves while a branch is live.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "daxfs.h"

/* Parts of files moved by one fold at most (2 MiB each). */
#define DAXFS_COMPACT_RUNS	16

/* A part of a file the fold moved, and the index entries it had. */
struct daxfs_move {
	struct list_head list;
	struct daxfs_node *node;
	u64 first;			/* its first page index */
	u32 count;			/* entries stored so far */
	void *old[PTRS_PER_PMD];	/* daxfs_pref() or NULL (base data) */
};

void daxfs_compact_init(struct daxfs_compact *c)
{
	INIT_LIST_HEAD(&c->moves);
	xa_init(&c->changed);
	c->runs = 0;
}

/* A slot other than @fold is a live branch, or is becoming one. */
static bool daxfs_branch_live(struct daxfs_sb_info *sbi, u32 fold)
{
	u32 s, state;

	for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
		state = daxfs_le32_load(&daxfs_branch_ptr(sbi->region,
							  &sbi->geo, s)->state);
		if (state == DAXFS_BRANCH_ACTIVE ||
		    (state == DAXFS_BRANCH_CLAIMED && s != fold))
			return true;
	}
	return false;
}

/*
 * Pages [@first, @first + PTRS_PER_PMD) of @node into @fp: 1 when they are
 * worth moving, 0 when not, or -EUCLEAN.
 */
static int daxfs_part_scattered(struct super_block *sb, struct daxfs_node *node,
				u64 first, struct daxfs_fpage *fp)
{
	bool delta = false, run = true;
	u64 i;
	int err;

	for (i = 0; i < PTRS_PER_PMD; i++) {
		err = daxfs_node_page(sb, node, first + i, &fp[i]);
		if (err)
			return err;
		if (!fp[i].addr)
			return 0;
		delta |= fp[i].page != 0;
		run &= fp[i].pfn == fp[0].pfn + i;
	}
	return delta && !(run && IS_ALIGNED(fp[0].pfn, PTRS_PER_PMD));
}

/* Copy page @index of @node (at @fp) to @dst: past the base bytes, zeros. */
static void daxfs_part_copy(struct daxfs_node *node, u64 index,
			    const struct daxfs_fpage *fp, void *dst)
{
	u64 pos = index << PAGE_SHIFT, limit;
	size_t n = PAGE_SIZE;

	if (!fp->page) {
		limit = min(node->v.base_limit, node->base.size);
		n = min_t(u64, PAGE_SIZE, limit - pos);
	}
	memcpy(dst, fp->addr, n);
	memset(dst + n, 0, PAGE_SIZE - n);
}

/* Copy the part of @node at @first (its pages @fp) into a run of @fold. */
static int daxfs_part_move(struct super_block *sb, u32 fold,
			   struct daxfs_node *node, u64 first,
			   const struct daxfs_fpage *fp,
			   struct daxfs_compact *c)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_move *mv;
	u64 run, i;
	void *old;
	int err;

	mv = kzalloc(sizeof(*mv), GFP_KERNEL);
	if (!mv)
		return -ENOMEM;
	err = daxfs_run_alloc_for(sbi, fold, &run);
	if (err) {
		kfree(mv);
		return err;
	}
	for (i = 0; i < PTRS_PER_PMD; i++)
		daxfs_part_copy(node, first + i, &fp[i],
				daxfs_page_addr(sbi, run + i));
	daxfs_persist(daxfs_page_addr(sbi, run), PMD_SIZE);
	mv->node = node;
	mv->first = first;
	for (i = 0; i < PTRS_PER_PMD; i++) {
		old = xa_store(&node->pages, first + i,
			       daxfs_pref(run + i, fold), GFP_KERNEL);
		if (xa_is_err(old)) {
			err = xa_err(old);
			break;
		}
		mv->old[i] = old;
		mv->count++;
	}
	/* The fold's failure path undoes this move too, and frees the run. */
	list_add(&mv->list, &c->moves);
	if (err)
		return err;
	c->runs++;
	return xa_err(xa_store(&c->changed, node->v.ino, xa_mk_value(0),
			       GFP_KERNEL));
}

/* The 2 MiB parts of @node a fold may move (regular files only). */
static u64 daxfs_node_parts(struct daxfs_node *node)
{
	if (!S_ISREG(node->v.mode) || !node->v.nlink)
		return 0;
	return (READ_ONCE(node->v.size) >> PAGE_SHIFT) / PTRS_PER_PMD;
}

/* daxfs_part_scattered() for part @part, quick for base data only. */
static int daxfs_part_worth(struct super_block *sb, struct daxfs_node *node,
			    u64 part, struct daxfs_fpage *fp)
{
	unsigned long first = part * PTRS_PER_PMD;

	/* Base data only (the common case): nothing to look at. */
	if (!xa_find(&node->pages, &first, first + PTRS_PER_PMD - 1,
		     XA_PRESENT))
		return 0;
	return daxfs_part_scattered(sb, node, part * PTRS_PER_PMD, fp);
}

/* Move the scattered parts of regular file @node; -ENOSPC: stop moving. */
static int daxfs_compact_file(struct super_block *sb, u32 fold,
			      struct daxfs_node *node, struct daxfs_fpage *fp,
			      struct daxfs_compact *c)
{
	u64 parts = daxfs_node_parts(node), part;
	int err;

	for (part = 0; part < parts; part++) {
		if (c->runs == DAXFS_COMPACT_RUNS)
			return -ENOSPC;
		err = daxfs_part_worth(sb, node, part, fp);
		if (err > 0)
			err = daxfs_part_move(sb, fold, node,
					      part * PTRS_PER_PMD, fp, c);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/**
 * daxfs_compact - move scattered parts of main's files into aligned runs
 * @sb: the mount writing fold @fold (table lock, live_lock and index_lock
 *	held for write)
 * @fold: the fold's slot, still CLAIMED
 * @c: what moved, for daxfs_compact_undo() or daxfs_compact_end()
 *
 * The mount's index maps the runs from here on, tagged with @fold, so the
 * fold names them. Nothing moves while a branch is live, or where no
 * aligned run is free.
 *
 * Return: 0, -ENOMEM or -EUCLEAN.
 */
int daxfs_compact(struct super_block *sb, u32 fold, struct daxfs_compact *c)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_fpage *fp;
	struct daxfs_node *node;
	unsigned long ino;
	int err = 0;

	if (daxfs_branch_live(sbi, fold))
		return 0;
	fp = kvmalloc_array(PTRS_PER_PMD, sizeof(*fp), GFP_KERNEL);
	if (!fp)
		return -ENOMEM;
	xa_for_each(&sbi->nodes, ino, node) {
		err = daxfs_compact_file(sb, fold, node, fp, c);
		if (err)
			break;
	}
	kvfree(fp);
	return err == -ENOSPC ? 0 : err;
}

/**
 * daxfs_compact_wanted - would a fold now move a part of a file?
 * @sb: a mount whose view is main (no locks held)
 *
 * Return: true when no branch is live and a file of the view has a 2 MiB
 * part daxfs_compact() would move.
 */
bool daxfs_compact_wanted(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_fpage *fp;
	struct daxfs_node *node;
	unsigned long ino;
	bool found = false;
	u64 part;

	if (daxfs_branch_live(sbi, DAXFS_MAIN_SLOT))
		return false;
	fp = kvmalloc_array(PTRS_PER_PMD, sizeof(*fp), GFP_KERNEL);
	if (!fp)
		return false;
	down_read(&sbi->index_lock);
	xa_for_each(&sbi->nodes, ino, node) {
		for (part = 0; !found && part < daxfs_node_parts(node); part++)
			found = daxfs_part_worth(sb, node, part, fp) > 0;
		if (found)
			break;
		cond_resched();
	}
	up_read(&sbi->index_lock);
	kvfree(fp);
	return found;
}

/**
 * daxfs_compact_undo - the fold failed: map the pages the parts had again
 * @c: the moves (index_lock still held for write)
 *
 * The runs are the fold slot's pages, which its failure path frees.
 */
void daxfs_compact_undo(struct daxfs_compact *c)
{
	struct daxfs_move *mv;
	u64 i;

	list_for_each_entry(mv, &c->moves, list) {
		for (i = 0; i < mv->count; i++)
			xa_store(&mv->node->pages, mv->first + i, mv->old[i],
				 GFP_KERNEL);
	}
	xa_destroy(&c->changed);
	xa_init(&c->changed);
	c->runs = 0;
}

/**
 * daxfs_compact_end - drop the mappings of what moved, free the moves
 * @sb: the superblock (no DAXFS lock held)
 * @c: the moves
 *
 * Faults then map the runs; until the fold's readers have all seen it, the
 * old pages stay.
 */
void daxfs_compact_end(struct super_block *sb, struct daxfs_compact *c)
{
	struct daxfs_move *mv, *next;

	daxfs_unmap_changed(sb, &c->changed);
	xa_destroy(&c->changed);
	list_for_each_entry_safe(mv, next, &c->moves, list) {
		list_del(&mv->list);
		kfree(mv);
	}
}
