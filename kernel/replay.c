// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: building and refreshing the index of a view by replaying logs.
 *
 * At mount every log of sbi->chain is replayed, oldest first, each one
 * checked by common/daxfs_apply.c as it is replayed and once it ends; a
 * main mount following commits replays the slots appended to its chain.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "daxfs.h"

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
 * Open files whose last name the replayed commits took keep reading the
 * pages they had: pin them at the view the mount had before (@seq), so no
 * fold frees those pages while they are open (readers.c).
 */
static void daxfs_pin_orphans(struct super_block *sb, u64 seq)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct inode *inode;

	spin_lock(&sb->s_inode_list_lock);
	list_for_each_entry(inode, &sb->s_inodes, i_sb_list) {
		struct daxfs_inode_info *ii = DAXFS_I(inode);
		struct daxfs_node *node;

		if (!S_ISREG(inode->i_mode) || !atomic_read(&ii->opens))
			continue;
		node = daxfs_node_find(sbi, inode->i_ino);
		if (node && !READ_ONCE(node->v.nlink))
			daxfs_pin(sbi, ii, seq);
	}
	spin_unlock(&sb->s_inode_list_lock);
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

	xa_init(&changed);
	down_write(&sbi->index_lock);
	sbi->changed = &changed;
	sbi->names_changed = false;
	err = daxfs_replay_slots(sb, first_new);
	sbi->changed = NULL;
	WRITE_ONCE(sbi->index_seq, sbi->index_seq + 1);
	if (sbi->names_changed && sbi->reader >= 0)
		daxfs_pin_orphans(sb, sbi->seen_seq);
	up_write(&sbi->index_lock);
	daxfs_unmap_changed(sb, &changed);
	xa_destroy(&changed);
	return err;
}

/* ------------------------------------------------------------------------
 * Following the shared region: commits, aborts, heartbeats
 */

/*
 * The view of a main mount took part of a commit it could not replay (a
 * hostile or damaged log, or no memory): it is not whole, so every
 * operation fails from now on, and mappings are gone, until it is
 * unmounted. Nothing of it is served any more.
 */
static void daxfs_set_broken(struct super_block *sb, int err)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	WRITE_ONCE(sbi->broken, err);
	pr_err("daxfs (phys=0x%llx): main moved to a commit this mount could not replay (error %d); it fails every operation until it is unmounted\n",
	       (unsigned long long)sbi->phys, err);
	daxfs_zap_mappings(sb, true);
}

/*
 * The mount's reader entry was taken out while its kernel stood still for
 * a lease (a paused VM), so other mounts may have freed what it reads. It
 * registers again (readers.c). A main mount whose chain lost a slot
 * meanwhile (a fold's reap freed it, and the pages its view reads with
 * it), whose open files pin pages of an older view, or that found every
 * entry taken, is stale: every
 * operation fails with -ESTALE and mappings are gone, until it is
 * unmounted. A branch main moved past meanwhile dies in
 * daxfs_branch_follow() as ever; otherwise a fold freed nothing it reads.
 */
static void daxfs_reader_back(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (!daxfs_reader_check(sbi) || sbi->writable || sbi->broken ||
	    sbi->dead)
		return;
	/* No entry left to take: nothing would hold the view any more. */
	if (sbi->reader >= 0 && daxfs_chain_intact(sbi) &&
	    !READ_ONCE(sbi->pin_floor))
		return;
	WRITE_ONCE(sbi->broken, -ESTALE);
	pr_err("daxfs (phys=0x%llx): pages of this mount's view were freed while its kernel was stopped; it fails every operation (ESTALE) until it is unmounted\n",
	       (unsigned long long)sbi->phys);
	daxfs_zap_mappings(sb, true);
}

/*
 * The mount's chain starts at a newer fold: its pages are tagged with the
 * fold, and those the fold moved (compact.c) are taken, before the mount
 * says it has seen the fold. On failure the view is broken.
 */
static int daxfs_index_adopt(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_compact c;
	int err;

	daxfs_compact_init(&c);
	down_write(&sbi->index_lock);
	daxfs_index_retag(sbi, sbi->chain + 1, sbi->chain_len - 1,
			  sbi->chain[0]);
	err = daxfs_fold_correct(sb, sbi->chain[0], &c);
	up_write(&sbi->index_lock);
	daxfs_compact_end(sb, &c);
	if (err)
		daxfs_set_broken(sb, err);
	return err;
}

static int daxfs_check_live_slow(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 seq, head;
	u32 first;
	int err = 0;

	mutex_lock(&sbi->live_lock);
	daxfs_reader_back(sb);
	if (sbi->broken || sbi->dead) {
		err = sbi->broken ? sbi->broken : -ESTALE;
		/* It reads nothing any more: it holds no fold back. */
		daxfs_branch_head(sbi, &seq, &head);
		daxfs_reader_seen(sbi, seq);
		goto out;
	}
	daxfs_branch_head(sbi, &seq, &head);
	if (seq == sbi->seen_seq)
		goto out;
	err = daxfs_branch_follow(sb, head, &first);
	if (!err && first < sbi->chain_len) {
		err = daxfs_index_refresh(sb, first);
		if (err)
			daxfs_set_broken(sb, err);
	}
	if (!err)
		err = daxfs_branch_adopt_fold(sb, head);
	if (err > 0)
		err = daxfs_index_adopt(sb);
	if (!err) {
		WRITE_ONCE(sbi->seen_seq, seq);
		sbi->seen_head = head;
		daxfs_reader_seen(sbi, seq);
	}
out:
	mutex_unlock(&sbi->live_lock);
	return err;
}

/**
 * daxfs_check_live - start of every file operation: is the view current?
 * @sb: the superblock
 *
 * Without locks, one load of live.commit_seq. When it moved, the chain is
 * checked again: a main (or committed) mount replays what main gained; a
 * branch that is no longer valid becomes dead (mappings zapped). A mount
 * whose reader entry was taken out registers again first, and is stale if
 * pages of its view were freed meanwhile (daxfs_reader_back()).
 *
 * Return: 0, -ESTALE (the branch is gone), or the error that broke a main
 * mount's view (-EUCLEAN).
 */
int daxfs_check_live(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (!sbi->branching)
		return 0;
	if (READ_ONCE(sbi->broken))
		return sbi->broken;
	if (READ_ONCE(sbi->dead) || !daxfs_branch_beat_check(sbi))
		return -ESTALE;
	if (!daxfs_live_moved(sbi) && !READ_ONCE(sbi->reader_lost))
		return 0;
	return daxfs_check_live_slow(sb);
}

static void daxfs_watch_queue(struct daxfs_sb_info *sbi)
{
	queue_delayed_work(system_unbound_wq, &sbi->watch_work,
			   msecs_to_jiffies(DAXFS_WATCH_MS));
}

void daxfs_watch_work(struct work_struct *work)
{
	struct daxfs_sb_info *sbi = container_of(to_delayed_work(work),
						 struct daxfs_sb_info,
						 watch_work);

	daxfs_branch_tick(sbi->sb);
	if (!daxfs_check_live(sbi->sb))
		daxfs_fold_tick(sbi->sb);
	daxfs_watch_queue(sbi);
}

/* From the end of fill_super: the mount is whole, its root set. */
void daxfs_watch_start(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (sbi->branching)
		daxfs_watch_queue(sbi);
}

/* At the start of kill_sb, before the inodes go. */
void daxfs_watch_stop(struct super_block *sb)
{
	cancel_delayed_work_sync(&DAXFS_SB(sb)->watch_work);
}

/**
 * daxfs_index_validate_views - replay the view of every active branch
 * @sb: the superblock, before daxfs_branch_mount()
 *
 * With the "validate" option a mount checks what daxfs-inspect check and
 * fsck.daxfs check: not only main's chain (which every mount replays) but
 * every active branch's view, each one built in the index and dropped.
 *
 * Return: 0, or the error of the first view that does not replay (reported).
 */
int daxfs_index_validate_views(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 slot;
	int err = 0;

	for (slot = 1; !err && slot < DAXFS_BRANCH_COUNT; slot++) {
		err = daxfs_branch_view_chain(sb, slot, sbi->chain,
					      &sbi->chain_len);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		if (!err)
			err = daxfs_index_build(sb);
		daxfs_index_destroy(sb);
		sbi->chain_len = 0;
	}
	return err;
}
