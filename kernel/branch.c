// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: branch slots, commit, abort and invalidation.
 *
 * Everything mounts agree on lives in the shared region and changes with
 * atomics only: live.main_head (one cmpxchg commits), live.commit_seq
 * (bumped after every commit and abort, so a mount rechecks its view only
 * when it moved), the slot states (cmpxchg), and live.table_lock, which
 * serialises slot claims, commits, aborts and discards between mounts, in
 * any kernel. The mutexes of struct daxfs_sb_info only order the threads of
 * one mount.
 *
 * main's view: the base image and the logs of the committed chain ending at
 * main_head. A branch's view: main's chain at its creation, then its ACTIVE
 * ancestors and itself. A branch is valid while walking up from it through
 * ACTIVE slots of the right generation reaches main_head itself.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "daxfs.h"

/*
 * For tests only: a commit sleeps this long between checking its chain and
 * publishing main_head, so that a test can race an abort into that window
 * (tests/vm/multi-commits.sh) or wait on the lock (branch-slots-and-options).
 */
static unsigned int commit_delay_ms;
module_param(commit_delay_ms, uint, 0644);
MODULE_PARM_DESC(commit_delay_ms,
		 "testing only: sleep between a commit's chain check and its publication (ms, max 8000)");

/*
 * For tests only: a create sleeps this long between claiming its slot and
 * filling it, table lock held, so that a test can kill a kernel that holds
 * the lock and a half-created slot (tests/vm/multi-heartbeats.sh).
 */
static unsigned int create_delay_ms;
module_param(create_delay_ms, uint, 0644);
MODULE_PARM_DESC(create_delay_ms,
		 "testing only: sleep between a create's slot claim and filling the slot (ms, max 8000)");

/*
 * For tests only: a mount sleeps this long between walking its chain and
 * replaying it, so that a test can fold, reap or attach under a mount
 * slower than a lease (tests/vm/branch-slow-mount.sh).
 */
static unsigned int mount_delay_ms;
module_param(mount_delay_ms, uint, 0644);
MODULE_PARM_DESC(mount_delay_ms,
		 "testing only: sleep between a mount's chain walk and its replay (ms, max 12000)");

/*
 * The sleep of one of the parameters above, said in the kernel log first:
 * a test waits for that line rather than guessing how long the steps
 * before the sleep take on a loaded machine.
 */
static void daxfs_test_delay(struct daxfs_sb_info *sbi, const char *param,
			     unsigned int ms, unsigned int max)
{
	if (!ms)
		return;
	ms = min(ms, max);
	pr_info("daxfs (phys=0x%llx): testing: sleeping %u ms (%s)\n",
		(unsigned long long)sbi->phys, ms, param);
	msleep(ms);
}

static void daxfs_mount_delay(struct daxfs_sb_info *sbi)
{
	daxfs_test_delay(sbi, "mount_delay_ms", READ_ONCE(mount_delay_ms),
			 12000);
}

static struct daxfs_live *daxfs_live(struct daxfs_sb_info *sbi)
{
	return daxfs_live_ptr(sbi->region, &sbi->geo);
}

static struct daxfs_branch *daxfs_slot(struct daxfs_sb_info *sbi, u32 slot)
{
	return daxfs_branch_ptr(sbi->region, &sbi->geo, slot);
}

static const char *daxfs_view_name(struct daxfs_sb_info *sbi)
{
	return sbi->opt_branch ? sbi->opt_branch : "main";
}

/* Read and check a slot; a damaged one is reported. */
static int daxfs_slot_read(struct super_block *sb, u32 slot, struct daxfs_br *br)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	int err;

	err = daxfs_read_branch(sbi->region, &sbi->geo, slot, br, &rep);
	if (err)
		daxfs_report_corrupt(sb, err, &rep);
	return err;
}

/* live.fold_head (0 for images that do not fold). */
u64 daxfs_fold_head(struct daxfs_sb_info *sbi)
{
	if (!(sbi->geo.feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD))
		return 0;
	return daxfs_le64_load(&daxfs_live(sbi)->fold_head);
}

/* The head main's fold stands for (its top), 0: no fold (or a damaged one). */
u64 daxfs_fold_top(struct daxfs_sb_info *sbi)
{
	u64 fold = daxfs_fold_head(sbi), top;
	u32 slot;

	if (!fold || daxfs_read_fold(sbi->region, &sbi->geo, fold, &slot,
				     &top, NULL))
		return 0;
	return top;
}

/* Load commit_seq, then main_head (a commit moves the head first). */
void daxfs_branch_head(struct daxfs_sb_info *sbi, u64 *seq, u64 *head)
{
	struct daxfs_live *live = daxfs_live(sbi);

	*seq = daxfs_le64_load(&live->commit_seq);
	/* Pairs with the full barrier of the commit's cmpxchg of main_head. */
	smp_rmb();
	*head = daxfs_le64_load(&live->main_head);
}

/* live.commit_seq moved since daxfs_check_live() last looked (no locks). */
bool daxfs_live_moved(struct daxfs_sb_info *sbi)
{
	if (!sbi->branching)
		return false;
	return daxfs_le64_load(&daxfs_live(sbi)->commit_seq) !=
	       READ_ONCE(sbi->seen_seq);
}

/*
 * While a mount holds the table lock, a timer of its kernel moves
 * live.table_beat every DAXFS_WATCH_MS. Timers run while the holder sleeps
 * or waits, and stop only with the kernel (or its vCPUs).
 */
static void daxfs_table_beat(struct timer_list *t)
{
	struct daxfs_sb_info *sbi = from_timer(sbi, t, lock_timer);

	daxfs_le64_add(&daxfs_live(sbi)->table_beat, 1);
	if (READ_ONCE(sbi->lock_held))
		mod_timer(&sbi->lock_timer,
			  jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
}

static void daxfs_slot_beat(struct timer_list *t);

/* At the start of fill_super: the timers of the table lock and the slot. */
void daxfs_branch_timers_init(struct daxfs_sb_info *sbi)
{
	timer_setup(&sbi->lock_timer, daxfs_table_beat, 0);
	timer_setup(&sbi->beat_timer, daxfs_slot_beat, 0);
	spin_lock_init(&sbi->beat_lock);
}

/*
 * Take live.table_lock. A waiter takes it over only when neither the holder
 * nor table_beat moved for DAXFS_LEASE_NS of its own monotonic clock: the
 * holder's kernel stopped (docs/protocol.md). A live holder, however slow,
 * keeps it.
 */
void daxfs_table_lock(struct daxfs_sb_info *sbi)
{
	struct daxfs_live *live = daxfs_live(sbi);
	u64 holder = 0, beat = 0, since = 0;

	for (;;) {
		u64 cur = daxfs_le64_load(&live->table_lock), b;

		if (!cur) {
			if (daxfs_le64_cmpxchg(&live->table_lock, 0, sbi->id))
				break;
			continue;
		}
		b = daxfs_le64_load(&live->table_beat);
		if (!since || cur != holder || b != beat) {
			holder = cur;
			beat = b;
			since = ktime_get_ns();
		} else if (ktime_get_ns() - since > DAXFS_LEASE_NS &&
			   daxfs_le64_cmpxchg(&live->table_lock, cur, sbi->id)) {
			pr_warn("daxfs (phys=0x%llx): took the branch table lock from mount %llx, whose kernel stopped beating for %llu s\n",
				(unsigned long long)sbi->phys,
				(unsigned long long)cur, DAXFS_LEASE_NS / NSEC_PER_SEC);
			break;
		}
		usleep_range(20, 100);
	}
	WRITE_ONCE(sbi->lock_held, true);
	mod_timer(&sbi->lock_timer, jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
}

void daxfs_table_unlock(struct daxfs_sb_info *sbi)
{
	WRITE_ONCE(sbi->lock_held, false);
	del_timer_sync(&sbi->lock_timer);
	if (!daxfs_le64_cmpxchg(&daxfs_live(sbi)->table_lock, sbi->id, 0))
		pr_warn("daxfs (phys=0x%llx): the branch table lock was taken from this mount\n",
			(unsigned long long)sbi->phys);
}

/*
 * The committed chain ending at @head, oldest first, without slot 0, from
 * main's fold when it is on it (common/daxfs_log.c). Slots of it may still
 * be ACTIVE when a commit stopped between moving the head and marking them;
 * the head is what counts. @top: the fold's top, 0 when the chain does not
 * start with a fold (may be NULL).
 */
static int daxfs_main_chain_from(struct super_block *sb, u64 head, u64 fold,
				 u32 *chain, u32 *len, u64 *top)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	int err;

	err = daxfs_main_chain_walk(sbi->region, &sbi->geo, head, fold, chain,
				    len, top, &rep);
	if (err)
		daxfs_report_corrupt(sb, err, &rep);
	return err;
}

static int daxfs_main_chain(struct super_block *sb, u64 head, u32 *chain,
			    u32 *len, u64 *top)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	u64 fold;
	int err, tries = 0;

	do {
		fold = daxfs_fold_head(sbi);
		err = daxfs_main_chain_walk(sbi->region, &sbi->geo, head, fold,
					    chain, len, top, &rep);
	} while (err && ++tries < 3 && fold != daxfs_fold_head(sbi));
	if (err)
		daxfs_report_corrupt(sb, err, &rep);
	return err;
}

/*
 * The chain of branch @slot of generation @gen under main at @head: main's
 * chain, the ACTIVE ancestors of @slot, @slot. @own is how many slots of it
 * are not main's. -ESTALE when @slot is not an ACTIVE branch of @gen whose
 * ancestors lead to @head.
 */
static int daxfs_branch_chain(struct super_block *sb, u32 slot, u64 gen,
			      u64 head, u32 *chain, u32 *len, u32 *own)
{
	u32 *up, k = 0, m, i;
	struct daxfs_br br;
	int err;

	up = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*up), GFP_KERNEL);
	if (!up)
		return -ENOMEM;
	while (slot != DAXFS_HEAD_SLOT(head) || gen != DAXFS_HEAD_GEN(head)) {
		err = -ESTALE;
		if (k >= DAXFS_BRANCH_COUNT - 1)
			goto out;
		err = daxfs_slot_read(sb, slot, &br);
		if (err)
			goto out;
		err = -ESTALE;
		if (br.state != DAXFS_BRANCH_ACTIVE || br.generation != gen)
			goto out;
		up[k++] = slot;
		gen = br.parent_gen;
		slot = br.parent;
	}
	err = -ESTALE;		/* @slot is main_head: committed, not a branch */
	if (!k)
		goto out;
	err = daxfs_main_chain(sb, head, chain, &m, NULL);
	if (err)
		goto out;
	err = -EUCLEAN;
	if (m + k > DAXFS_BRANCH_COUNT)
		goto out;
	for (i = 0; i < k; i++)
		chain[m + i] = up[k - 1 - i];
	*len = m + k;
	*own = k;
	err = 0;
out:
	kfree(up);
	return err;
}

/*
 * The slots of active branch @slot's view by its parent pointers, oldest
 * first: the view the branch shows, whether or not it still descends from
 * main. -ENOENT when @slot is not an active branch.
 */
int daxfs_branch_view_chain(struct super_block *sb, u32 slot, u32 *chain,
			    u32 *len)
{
	u64 top = daxfs_fold_top(DAXFS_SB(sb)), gen;
	struct daxfs_br br;
	u32 k = 0, i;
	int err;

	err = daxfs_slot_read(sb, slot, &br);
	if (err)
		return err;
	if (br.state != DAXFS_BRANCH_ACTIVE)
		return -ENOENT;
	gen = br.generation;
	while (slot != DAXFS_MAIN_SLOT) {
		if (k >= DAXFS_BRANCH_COUNT - 1)
			return -EUCLEAN;
		if (top && DAXFS_HEAD(slot, gen) == top) {
			chain[k++] = DAXFS_HEAD_SLOT(daxfs_fold_head(DAXFS_SB(sb)));
			break;
		}
		err = daxfs_slot_read(sb, slot, &br);
		if (err)
			return err;
		chain[k++] = slot;
		slot = br.parent;
		gen = br.parent_gen;
	}
	for (i = 0; i < k / 2; i++)
		swap(chain[i], chain[k - 1 - i]);
	*len = k;
	return 0;
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

/* Mark the mount dead (once): -ESTALE from now on, mappings zapped. */
static void daxfs_set_dead_locked(struct super_block *sb, const char *why)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (sbi->dead)
		return;
	WRITE_ONCE(sbi->dead, true);
	WRITE_ONCE(sbi->writable, false);
	daxfs_zap_mappings(sb, true);
	pr_info("daxfs (phys=0x%llx): branch %s (slot %u, mount %llx) is gone (%s): its files give ESTALE and its mappings SIGBUS until unmounted\n",
		(unsigned long long)sbi->phys, daxfs_view_name(sbi), sbi->slot,
		(unsigned long long)sbi->id, why);
}

static void daxfs_set_dead(struct super_block *sb, const char *why)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	mutex_lock(&sbi->live_lock);
	daxfs_set_dead_locked(sb, why);
	mutex_unlock(&sbi->live_lock);
}

/* ------------------------------------------------------------------------
 * Heartbeats: the mount counted in a slot shows it is alive, and others
 * judge it by their own monotonic clock (DAXFS_LEASE_NS)
 */

static u64 daxfs_beat_first(void)
{
	return get_random_u64() | DAXFS_BEAT_MARK;
}

static u64 daxfs_beat_next(u64 beat)
{
	return (beat + 1) | DAXFS_BEAT_MARK;
}

/*
 * Look at the heartbeat of @slot, @beat now: for how long (ns of this
 * kernel's monotonic clock) it has not moved; 0 when it moved since this
 * mount last looked, or the mount never looked at the slot before.
 */
static u64 daxfs_beat_still(struct daxfs_sb_info *sbi, u32 slot, u64 beat)
{
	struct daxfs_watch *w = &sbi->watch[slot];
	u64 now = ktime_get_ns(), still;

	mutex_lock(&sbi->watch_lock);
	if (!w->since || w->beat != beat) {
		w->beat = beat;
		w->since = now;
	}
	still = now - w->since;
	mutex_unlock(&sbi->watch_lock);
	return still;
}

/* The mount counted in @br belongs to a kernel that stopped beating. */
static bool daxfs_holder_stopped(struct daxfs_sb_info *sbi,
				 const struct daxfs_br *br)
{
	if (!br->mounts)
		return false;
	return !br->beat ||
	       daxfs_beat_still(sbi, br->slot, br->beat) >= DAXFS_LEASE_NS;
}

/* Store this mount's first heartbeat in its slot; @mounts is already 1. */
static void daxfs_beat_start(struct daxfs_sb_info *sbi)
{
	struct daxfs_branch *b = daxfs_slot(sbi, sbi->slot);

	WRITE_ONCE(sbi->beat, daxfs_beat_first());
	WRITE_ONCE(b->heartbeat, cpu_to_le64(sbi->beat));
	WRITE_ONCE(b->owner, cpu_to_le64(sbi->id));
	daxfs_persist(b, sizeof(*b));
}

/*
 * While the mount is counted in its slot, a timer of its kernel moves the
 * heartbeat on every DAXFS_WATCH_MS (under sbi->beat_lock, with sbi->beat).
 * Timers run while the mount replays, sleeps or waits for a lock, and stop
 * only with the kernel: a heartbeat still for a lease means a stopped
 * kernel, never a slow mount. When the word is no longer this mount's value
 * (another mount took the branch over, or uncounted this one), the timer
 * stops and the mount's next look makes it dead.
 */
static void daxfs_slot_beat(struct timer_list *t)
{
	struct daxfs_sb_info *sbi = from_timer(sbi, t, beat_timer);
	struct daxfs_branch *b = daxfs_slot(sbi, sbi->slot);
	u64 next = daxfs_beat_next(sbi->beat);
	bool mine;

	spin_lock(&sbi->beat_lock);
	mine = daxfs_le64_cmpxchg(&b->heartbeat, sbi->beat, next);
	if (mine)
		WRITE_ONCE(sbi->beat, next);
	spin_unlock(&sbi->beat_lock);
	if (mine)
		mod_timer(&sbi->beat_timer,
			  jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
}

/* The mount is counted now, with the heartbeat it stored: beat from here. */
static void daxfs_beat_arm(struct daxfs_sb_info *sbi)
{
	sbi->counted = true;
	mod_timer(&sbi->beat_timer, jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
}

/* The heartbeat word still holds this mount's value (stable: lock held). */
static bool daxfs_beat_mine(struct daxfs_sb_info *sbi)
{
	struct daxfs_branch *b = daxfs_slot(sbi, sbi->slot);
	bool mine;

	spin_lock_bh(&sbi->beat_lock);
	mine = daxfs_le64_load(&b->heartbeat) == sbi->beat;
	spin_unlock_bh(&sbi->beat_lock);
	return mine;
}

/* Become dead if the branch was lost; false when dead. */
static bool daxfs_beat_keep(struct daxfs_sb_info *sbi)
{
	bool alive = true;

	mutex_lock(&sbi->live_lock);
	if (sbi->counted && !daxfs_beat_mine(sbi)) {
		daxfs_set_dead_locked(sbi->sb,
				      "another mount took it over: its heartbeat stood still for a lease");
		alive = false;
	}
	mutex_unlock(&sbi->live_lock);
	return alive && !READ_ONCE(sbi->dead);
}

/*
 * Attach to a branch whose mount stopped beating (table lock held): @mounts
 * stays 1 and counts this mount from now on. False if its holder beat
 * meanwhile.
 */
static bool daxfs_beat_take(struct daxfs_sb_info *sbi,
			    const struct daxfs_br *br)
{
	struct daxfs_branch *b = daxfs_slot(sbi, br->slot);
	u64 still = daxfs_beat_still(sbi, br->slot, br->beat);
	u64 beat = daxfs_beat_first();

	if (!daxfs_holder_stopped(sbi, br) ||
	    !daxfs_le64_cmpxchg(&b->heartbeat, br->beat, beat))
		return false;
	WRITE_ONCE(sbi->beat, beat);
	WRITE_ONCE(b->owner, cpu_to_le64(sbi->id));
	daxfs_persist(b, sizeof(*b));
	pr_warn("daxfs (phys=0x%llx): branch %s: the mount holding it (mount %llx) stopped its heartbeat, still for %llu ms here (its kernel stopped?); taken over by mount %llx\n",
		(unsigned long long)sbi->phys, br->name,
		(unsigned long long)br->owner, div_u64(still, NSEC_PER_MSEC),
		(unsigned long long)sbi->id);
	return true;
}

/*
 * The mounts of @br that are alive: a mount that stopped beating is
 * uncounted (table lock held), so the slot can be discarded and its pages
 * freed. A mount this one has watched for less than a lease counts.
 */
static u32 daxfs_live_mounts(struct super_block *sb, struct daxfs_br *br)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_branch *b = daxfs_slot(sbi, br->slot);

	if (!daxfs_holder_stopped(sbi, br) ||
	    !daxfs_le64_cmpxchg(&b->heartbeat, br->beat, 0))
		return br->mounts;
	daxfs_le32_cmpxchg(&b->mounts, br->mounts, 0);
	daxfs_persist(b, sizeof(*b));
	pr_warn("daxfs (phys=0x%llx): branch %s: the mount holding it (mount %llx) stopped its heartbeat for a lease (its kernel stopped?); counted as unmounted by mount %llx\n",
		(unsigned long long)sbi->phys, br->name,
		(unsigned long long)br->owner, (unsigned long long)sbi->id);
	br->mounts = 0;
	return 0;
}

/* Some slot in use other than @slot has @slot of @gen as its parent. */
static bool daxfs_has_child(struct super_block *sb, u32 slot, u64 gen,
			    bool active_only)
{
	struct daxfs_br br;
	u32 t;

	for (t = 1; t < DAXFS_BRANCH_COUNT; t++) {
		if (t == slot)
			continue;
		if (daxfs_slot_read(sb, t, &br))
			return true;	/* damaged: keep what it may use */
		if (br.state == DAXFS_BRANCH_FREE || br.state == DAXFS_BRANCH_CLAIMED)
			continue;
		if (active_only && br.state != DAXFS_BRANCH_ACTIVE)
			continue;
		if (br.parent == slot && br.parent_gen == gen)
			return true;
	}
	return false;
}

/* @slot of @gen is part of main (a commit stopped before marking it). */
static bool daxfs_in_main(struct super_block *sb, u32 slot, u64 gen)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 seq, head, top;
	struct daxfs_br br;
	u32 n;

	daxfs_branch_head(sbi, &seq, &head);
	top = daxfs_fold_top(sbi);
	for (n = 0; n < DAXFS_BRANCH_COUNT; n++) {
		u32 s = DAXFS_HEAD_SLOT(head);

		if (s == DAXFS_MAIN_SLOT || head == top)
			return false;
		if (s == slot && DAXFS_HEAD_GEN(head) == gen)
			return true;
		if (daxfs_slot_read(sb, s, &br))
			return true;
		head = DAXFS_HEAD(br.parent, br.parent_gen);
	}
	return true;
}

/* Free a DEAD slot nobody mounts or descends from (table lock held). */
static bool daxfs_reap(struct super_block *sb, struct daxfs_br *br)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (br->state != DAXFS_BRANCH_DEAD || daxfs_live_mounts(sb, br) ||
	    daxfs_has_child(sb, br->slot, br->generation, false))
		return false;
	daxfs_free_slot_pages(sbi, br->slot);
	return daxfs_le32_cmpxchg(&daxfs_slot(sbi, br->slot)->state,
				  DAXFS_BRANCH_DEAD, DAXFS_BRANCH_FREE);
}

/*
 * Discard @slot if it is ACTIVE, unmounted and has no ACTIVE child, then
 * each ancestor left the same way (table lock held).
 */
static void daxfs_discard_up(struct super_block *sb, u32 slot, u64 gen)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	u32 n;

	for (n = 0; n < DAXFS_BRANCH_COUNT && slot != DAXFS_MAIN_SLOT; n++) {
		if (daxfs_slot_read(sb, slot, &br) || br.generation != gen ||
		    daxfs_live_mounts(sb, &br))
			return;
		if (br.state == DAXFS_BRANCH_ACTIVE) {
			if (daxfs_has_child(sb, slot, gen, true) ||
			    daxfs_in_main(sb, slot, gen) ||
			    !daxfs_le32_cmpxchg(&daxfs_slot(sbi, slot)->state,
						DAXFS_BRANCH_ACTIVE,
						DAXFS_BRANCH_DEAD))
				return;
			br.state = DAXFS_BRANCH_DEAD;
		}
		if (!daxfs_reap(sb, &br))
			return;
		slot = br.parent;
		gen = br.parent_gen;
	}
}

/*
 * A slot is CLAIMED only while its creator holds the table lock, so one seen
 * CLAIMED by the lock's holder was left by a mount that stopped half-way:
 * give back what it took (table lock held).
 */
static void daxfs_reclaim(struct super_block *sb, u32 slot)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	daxfs_free_slot_pages(sbi, slot);
	if (daxfs_le32_cmpxchg(&daxfs_slot(sbi, slot)->state,
			       DAXFS_BRANCH_CLAIMED, DAXFS_BRANCH_FREE))
		pr_warn("daxfs (phys=0x%llx): branch slot %u was left half-created; freed\n",
			(unsigned long long)sbi->phys, slot);
}

/* Free every DEAD slot nothing holds any more (table lock held). */
static void daxfs_sweep(struct super_block *sb)
{
	struct daxfs_br br;
	bool again = true;
	u32 s, pass;

	for (pass = 0; again && pass < 8; pass++) {
		again = false;
		for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
			if (daxfs_slot_read(sb, s, &br))
				continue;
			if (br.state == DAXFS_BRANCH_CLAIMED)
				daxfs_reclaim(sb, s);
			else if (daxfs_reap(sb, &br))
				again = true;
		}
	}
}

/* The slot in use named @name, or -ENOENT. */
static int daxfs_find_name(struct super_block *sb, const char *name,
			   struct daxfs_br *out)
{
	u32 s;

	for (s = 0; s < DAXFS_BRANCH_COUNT; s++) {
		if (daxfs_slot_read(sb, s, out))
			continue;
		if (out->state == DAXFS_BRANCH_FREE ||
		    out->state == DAXFS_BRANCH_CLAIMED)
			continue;
		if (!strcmp(out->name, name))
			return 0;
	}
	return -ENOENT;
}

/* Resolve parent= into the (slot, generation) a new branch hangs from. */
static int daxfs_resolve_parent(struct super_block *sb, u64 head, u32 *pslot,
				u64 *pgen)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	u32 *tmp, len, own;
	int err;

	if (!strcmp(sbi->opt_parent, "main")) {
		*pslot = DAXFS_HEAD_SLOT(head);
		*pgen = DAXFS_HEAD_GEN(head);
		return 0;
	}
	err = daxfs_find_name(sb, sbi->opt_parent, &br);
	if (err) {
		pr_err("daxfs (phys=0x%llx): parent branch %s does not exist\n",
		       (unsigned long long)sbi->phys, sbi->opt_parent);
		return err;
	}
	*pslot = br.slot;
	*pgen = br.generation;
	if (br.state == DAXFS_BRANCH_COMMITTED && head == DAXFS_HEAD(br.slot, br.generation))
		return 0;
	tmp = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	err = daxfs_branch_chain(sb, br.slot, br.generation, head, tmp, &len, &own);
	kfree(tmp);
	if (err == -ESTALE)
		pr_err("daxfs (phys=0x%llx): parent branch %s is stale (aborted, or main moved past it)\n",
		       (unsigned long long)sbi->phys, sbi->opt_parent);
	return err;
}

/* Claim a FREE slot: CLAIMED, with the next generation. */
int daxfs_slot_claim(struct daxfs_sb_info *sbi, u32 *slot, u64 *gen)
{
	u32 s;

	for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
		struct daxfs_branch *b = daxfs_slot(sbi, s);

		/*
		 * FREE -> CLAIMED. Other kernels skip a CLAIMED slot (its
		 * fields are being written, the checker ignores them) and
		 * sweep one whose claimer died only under the table lock,
		 * which this mount holds.
		 */
		if (daxfs_le32_load(&b->state) == DAXFS_BRANCH_FREE &&
		    daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_FREE,
				       DAXFS_BRANCH_CLAIMED)) {
			*gen = daxfs_le64_load(&b->generation) + 1;
			if (!*gen)
				*gen = 1;
			*slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

/**
 * daxfs_slot_init - fill the fields of a CLAIMED slot
 * @sbi: the mount that claimed it
 * @slot: the slot
 * @gen: its new generation
 * @parent: DAXFS_HEAD() of its parent (a fold: of its top)
 * @flags: DAXFS_BRANCH_F_*
 * @name: its name
 */
void daxfs_slot_init(struct daxfs_sb_info *sbi, u32 slot, u64 gen, u64 parent,
		     u32 flags, const char *name)
{
	struct daxfs_branch *b = daxfs_slot(sbi, slot);

	b->parent = cpu_to_le32(DAXFS_HEAD_SLOT(parent));
	b->generation = cpu_to_le64(gen);
	b->parent_gen = cpu_to_le64(DAXFS_HEAD_GEN(parent));
	b->log_head = 0;
	b->log_tail = 0;
	b->pages = 0;
	b->created = cpu_to_le64(ktime_get_real_ns());
	b->owner = cpu_to_le64(sbi->id);
	b->mounts = 0;
	b->flags = cpu_to_le32(flags);
	b->heartbeat = 0;
	memset(b->name, 0, sizeof(b->name));
	strscpy(b->name, name, sizeof(b->name));
}

/* Fill a CLAIMED slot and give it its first log page. */
static int daxfs_fill_slot(struct daxfs_sb_info *sbi, u32 pslot, u64 pgen)
{
	struct daxfs_branch *b = daxfs_slot(sbi, sbi->slot);
	struct daxfs_log_page *hdr;
	u64 page;
	int err;

	daxfs_slot_init(sbi, sbi->slot, sbi->gen, DAXFS_HEAD(pslot, pgen), 0,
			sbi->opt_branch);
	err = daxfs_page_alloc(sbi, DAXFS_ALLOC_LOG, &page);
	if (err)
		return err;
	hdr = daxfs_page_addr(sbi, page);
	hdr->owner = cpu_to_le32(DAXFS_OWNER(sbi->slot));
	b->log_head = cpu_to_le64(page);
	sbi->beat = daxfs_beat_first();
	b->heartbeat = cpu_to_le64(sbi->beat);
	b->mounts = cpu_to_le32(1);
	sbi->log_head = page;
	daxfs_persist(hdr, sizeof(*hdr));
	daxfs_persist(b, sizeof(*b));
	pmem_wmb();
	return 0;
}

/*
 * Create branch sbi->opt_branch under sbi->opt_parent and count this mount
 * in it. @seq, @head: set to commit_seq and main_head as the create saw
 * them under the table lock, which commits take too.
 */
static int daxfs_branch_create(struct super_block *sb, u64 *seq, u64 *head)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_branch *b;
	struct daxfs_br br;
	u32 pslot;
	u64 pgen;
	int err;

	daxfs_table_lock(sbi);
	/*
	 * main as it is now: a commit that ran while this mount waited for
	 * the lock must not leave the new branch born stale.
	 */
	daxfs_branch_head(sbi, seq, head);
	daxfs_sweep(sb);
	err = -EEXIST;
	if (!daxfs_find_name(sb, sbi->opt_branch, &br)) {
		pr_err("daxfs (phys=0x%llx): branch %s already exists\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
		goto out;
	}
	err = daxfs_resolve_parent(sb, *head, &pslot, &pgen);
	if (err)
		goto out;
	err = daxfs_slot_claim(sbi, &sbi->slot, &sbi->gen);
	if (err) {
		pr_err("daxfs (phys=0x%llx): no free branch slot for %s\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
		goto out;
	}
	daxfs_test_delay(sbi, "create_delay_ms", READ_ONCE(create_delay_ms),
			 8000);
	b = daxfs_slot(sbi, sbi->slot);
	err = daxfs_fill_slot(sbi, pslot, pgen);
	if (err) {
		daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_CLAIMED, DAXFS_BRANCH_FREE);
		pr_err("daxfs (phys=0x%llx): no delta page for the log of branch %s\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
		goto out;
	}
	/*
	 * CLAIMED -> ACTIVE, a full barrier: a kernel that sees ACTIVE sees
	 * the fields and the log page (written back above on pmem). Until
	 * then nobody names the branch: lookups by name skip CLAIMED slots.
	 */
	if (!daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_CLAIMED,
				DAXFS_BRANCH_ACTIVE)) {
		err = -EAGAIN;
		pr_err("daxfs (phys=0x%llx): creating branch %s took too long, its slot was taken back\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
		goto out;
	}
	daxfs_beat_arm(sbi);
out:
	daxfs_table_unlock(sbi);
	return err;
}

/*
 * One look at branch sbi->opt_branch for attach (table lock held): 0 when
 * this mount counts in it now (it was unmounted, or its mount stopped
 * beating and was taken over), -EAGAIN while its mount is still to judge.
 * @first: the heartbeat seen at the first look (0 before it).
 */
static int daxfs_attach_try(struct super_block *sb, u64 *first)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	int err;

	err = daxfs_find_name(sb, sbi->opt_branch, &br);
	if (!err && br.state != DAXFS_BRANCH_ACTIVE)
		err = -ENOENT;
	if (err) {
		pr_err("daxfs (phys=0x%llx): no active branch %s\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
		return err;
	}
	sbi->slot = br.slot;
	if (daxfs_le32_cmpxchg(&daxfs_slot(sbi, br.slot)->mounts, 0, 1)) {
		daxfs_beat_start(sbi);
	} else if (!daxfs_beat_take(sbi, &br)) {
		sbi->slot = DAXFS_MAIN_SLOT;
		if (!*first) {
			*first = br.beat;
			return -EAGAIN;
		}
		if (br.beat == *first)
			return -EAGAIN;
		pr_err("daxfs (phys=0x%llx): branch %s is mounted already (its mount %llx has a heartbeat)\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch,
		       (unsigned long long)br.owner);
		return -EBUSY;
	}
	sbi->gen = br.generation;
	sbi->log_head = br.log_head;
	daxfs_beat_arm(sbi);
	return 0;
}

/*
 * Attach: a branch whose mount beats is busy; one whose mount's heartbeat
 * this mount has watched stand still for a lease is taken over. The table
 * lock is let go between looks.
 */
static int daxfs_branch_attach(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 first = 0;
	int err;

	for (;;) {
		daxfs_table_lock(sbi);
		err = daxfs_attach_try(sb, &first);
		daxfs_table_unlock(sbi);
		if (err != -EAGAIN)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		msleep(DAXFS_WATCH_MS / 5);
	}
}

static int daxfs_mount_main(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 seq, head;
	int err;

	daxfs_branch_head(sbi, &seq, &head);
	sbi->seen_seq = seq;
	sbi->seen_head = head;
	err = daxfs_main_chain(sb, head, sbi->chain, &sbi->chain_len, NULL);
	if (err)
		return err;
	daxfs_chain_note(sbi);
	daxfs_mount_delay(sbi);
	return 0;
}

int daxfs_branch_mount(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 seq, head;
	u32 own;
	int err;

	sbi->id = get_random_u64() | 1;
	sbi->slot = DAXFS_MAIN_SLOT;
	sbi->gen = 0;
	sbi->chain_len = 0;
	sbi->writable = false;
	if (!sbi->branching) {
		if (sbi->opt_branch && strcmp(sbi->opt_branch, "main")) {
			pr_err("daxfs (phys=0x%llx): branch=%s: the image has no branches (make it with mkdaxfs -b)\n",
			       (unsigned long long)sbi->phys, sbi->opt_branch);
			return -EOPNOTSUPP;
		}
		return 0;
	}
	daxfs_alloc_hints_init(sbi, daxfs_le64_load(&daxfs_live(sbi)->alloc_hint));
	if (!sbi->opt_branch || !strcmp(sbi->opt_branch, "main"))
		return daxfs_mount_main(sb);

	daxfs_branch_head(sbi, &seq, &head);
	if (sbi->opt_parent)
		err = daxfs_branch_create(sb, &seq, &head);
	else
		err = daxfs_branch_attach(sb);
	if (err)
		return err;
	err = daxfs_branch_chain(sb, sbi->slot, sbi->gen, head, sbi->chain,
				 &sbi->chain_len, &own);
	if (err == -ESTALE)
		pr_err("daxfs (phys=0x%llx): branch %s is stale (main moved past it, or an ancestor is gone)\n",
		       (unsigned long long)sbi->phys, sbi->opt_branch);
	if (err)
		goto fail;
	sbi->seen_seq = seq;
	sbi->seen_head = head;
	err = daxfs_log_attach(sb);
	if (err)
		goto fail;
	sbi->writable = true;
	daxfs_mount_delay(sbi);
	pr_info("daxfs (phys=0x%llx): branch %s (slot %u) mounted read-write, %u log%s in its view%s\n",
		(unsigned long long)sbi->phys, sbi->opt_branch, sbi->slot,
		sbi->chain_len, sbi->chain_len == 1 ? "" : "s",
		sbi->persistent ? "; persistent memory: data written back before its records" : "");
	return 0;

fail:
	/* A stale branch goes at unmount; a damaged one is kept for fsck. */
	if (err != -ESTALE)
		daxfs_branch_mount_failed(sb);
	return err;
}

/* Uncount the mount in its slot; @discard: apply the discard rules. */
static void daxfs_uncount(struct super_block *sb, bool discard)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_branch *b = daxfs_slot(sbi, sbi->slot);

	daxfs_table_lock(sbi);
	sbi->counted = false;
	del_timer_sync(&sbi->beat_timer);
	if (!daxfs_le64_cmpxchg(&b->heartbeat, sbi->beat, 0)) {
		/* another mount took the branch over: it is its to keep */
		pr_warn("daxfs (phys=0x%llx): branch %s was taken over while mounted here; left to its new mount\n",
			(unsigned long long)sbi->phys, daxfs_view_name(sbi));
		goto out;
	}
	if (daxfs_le32_load(&b->mounts))
		daxfs_le32_add(&b->mounts, -1);
	daxfs_persist(b, sizeof(*b));
	if (discard) {
		daxfs_discard_up(sb, sbi->slot, sbi->gen);
		daxfs_sweep(sb);
	}
out:
	daxfs_table_unlock(sbi);
}

void daxfs_branch_unmount(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (sbi->branching && sbi->counted)
		daxfs_uncount(sb, true);
}

void daxfs_branch_mount_failed(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (sbi->branching && sbi->counted)
		daxfs_uncount(sb, !!sbi->opt_parent);
}

/* Mark the branch's own slots COMMITTED; false if one was no longer ACTIVE. */
static bool daxfs_mark_committed(struct daxfs_sb_info *sbi, const u32 *own,
				 u32 k)
{
	u32 i;

	for (i = 0; i < k; i++) {
		struct daxfs_branch *b = daxfs_slot(sbi, own[i]);

		if (!daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_ACTIVE,
					DAXFS_BRANCH_COMMITTED) &&
		    daxfs_le32_load(&b->state) != DAXFS_BRANCH_COMMITTED)
			return false;
	}
	return true;
}

/*
 * Publish the mount's branch as main (table lock held): check its chain
 * against main_head, move main_head to it, mark its own slots COMMITTED and
 * bump commit_seq. Aborts and discards change slots under the table lock
 * only, so no slot of the chain can die between the check and the cmpxchg.
 * Return: 0 with @chain, @len and @seq of the new main, or -ESTALE with
 * *@lost saying why.
 */
static int daxfs_commit_locked(struct super_block *sb, u32 *chain, u32 *len,
			       u64 *seq, const char **lost)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_live *live = daxfs_live(sbi);
	u64 head, new = DAXFS_HEAD(sbi->slot, sbi->gen);
	u32 own;
	int err;

	daxfs_branch_head(sbi, seq, &head);
	err = daxfs_branch_chain(sb, sbi->slot, sbi->gen, head, chain, len, &own);
	if (err == -ESTALE)
		*lost = "main moved past its parent";
	if (err)
		return err;
	daxfs_test_delay(DAXFS_SB(sb), "commit_delay_ms",
			 READ_ONCE(commit_delay_ms), 8000);
	/*
	 * The commit itself: main_head H -> this branch. Of two commits
	 * racing from any kernels exactly one cmpxchg wins (both hold the
	 * table lock, so the second normally fails its chain check already).
	 * Until the slots are marked below, another kernel may see the new
	 * head while they are still ACTIVE: readers of main's chain accept
	 * ACTIVE slots on it.
	 */
	if (!daxfs_le64_cmpxchg(&live->main_head, head, new)) {
		*lost = "main moved";
		return -ESTALE;
	}
	daxfs_persist(&live->main_head, sizeof(live->main_head));
	/*
	 * ACTIVE -> COMMITTED for the branch's own slots. Only a table lock
	 * taken from this mount (its kernel stalled for a lease) lets an abort
	 * in; then the head is put back.
	 */
	if (!daxfs_mark_committed(sbi, chain + *len - own, own)) {
		daxfs_le64_cmpxchg(&live->main_head, new, head);
		*lost = "a branch of its chain was aborted meanwhile (table lock taken)";
		return -ESTALE;
	}
	/*
	 * commit_seq + 1 tells every mount, in every kernel, to look again
	 * (daxfs_check_live()): siblings find they no longer descend from
	 * main and die; mounts of main replay the new slots.
	 */
	*seq = daxfs_le64_add(&live->commit_seq, 1);
	return 0;
}

int daxfs_branch_commit(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	const char *lost = NULL;
	u32 *chain, len;
	u64 seq;
	int err;

	if (!sbi->branching || sbi->slot == DAXFS_MAIN_SLOT)
		return -EROFS;
	chain = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	mutex_lock(&sbi->log_lock);
	err = -ESTALE;
	if (READ_ONCE(sbi->dead))
		goto unlock;
	err = -EROFS;
	if (!sbi->writable)
		goto unlock;
	daxfs_table_lock(sbi);
	err = daxfs_commit_locked(sb, chain, &len, &seq, &lost);
	daxfs_table_unlock(sbi);
	if (err)
		goto unlock;
	WRITE_ONCE(sbi->writable, false);
	sb->s_flags |= SB_RDONLY;
	mutex_lock(&sbi->live_lock);
	memcpy(sbi->chain, chain, len * sizeof(*chain));
	sbi->chain_len = len;
	daxfs_chain_note(sbi);
	sbi->seen_seq = seq;
	sbi->seen_head = DAXFS_HEAD(sbi->slot, sbi->gen);
	mutex_unlock(&sbi->live_lock);
unlock:
	mutex_unlock(&sbi->log_lock);
	kfree(chain);
	if (lost) {
		pr_warn("daxfs (phys=0x%llx): commit of branch %s lost: %s\n",
			(unsigned long long)sbi->phys, daxfs_view_name(sbi), lost);
		daxfs_set_dead(sb, "commit lost");
	} else if (!err) {
		/*
		 * Writable shared mappings of pages that are main's now must
		 * fault again; private copies stay their processes' own.
		 */
		daxfs_zap_mappings(sb, false);
		pr_info("daxfs (phys=0x%llx): branch %s committed: main is now its chain of %u branch%s; the mount is a read-only view of main\n",
			(unsigned long long)sbi->phys, daxfs_view_name(sbi), len,
			len == 1 ? "" : "es");
	}
	return err;
}

/*
 * The ACTIVE ancestors of an aborted branch die with it, up to main, but
 * not one that still has another ACTIVE child: siblings stay untouched.
 */
static void daxfs_abort_up(struct super_block *sb, u32 slot, u64 gen)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	u32 n;

	for (n = 0; n < DAXFS_BRANCH_COUNT && slot != DAXFS_MAIN_SLOT; n++) {
		if (daxfs_slot_read(sb, slot, &br) ||
		    br.state != DAXFS_BRANCH_ACTIVE || br.generation != gen ||
		    daxfs_in_main(sb, slot, gen) ||
		    daxfs_has_child(sb, slot, gen, true) ||
		    !daxfs_le32_cmpxchg(&daxfs_slot(sbi, slot)->state,
					DAXFS_BRANCH_ACTIVE, DAXFS_BRANCH_DEAD))
			return;
		slot = br.parent;
		gen = br.parent_gen;
	}
}

int daxfs_branch_abort(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	int err = 0;

	if (!sbi->branching || sbi->slot == DAXFS_MAIN_SLOT)
		return -EROFS;
	mutex_lock(&sbi->log_lock);
	if (READ_ONCE(sbi->dead))
		err = -ESTALE;
	else if (!sbi->writable)
		err = -EROFS;
	if (err)
		goto unlock;
	daxfs_table_lock(sbi);
	/*
	 * ACTIVE -> DEAD, then the same for ancestors left without an ACTIVE
	 * child. Commits hold the table lock from their chain check to the
	 * marking of their slots: a commit whose chain holds this slot either
	 * finished (the slot is COMMITTED, the cmpxchg below fails: ESTALE)
	 * or checks its chain after this and finds the slot DEAD.
	 * The pages stay owned until the slot is swept with no mount left.
	 */
	if (!daxfs_le32_cmpxchg(&daxfs_slot(sbi, sbi->slot)->state,
				DAXFS_BRANCH_ACTIVE, DAXFS_BRANCH_DEAD))
		err = -ESTALE;
	else if (!daxfs_slot_read(sb, sbi->slot, &br))
		daxfs_abort_up(sb, br.parent, br.parent_gen);
	daxfs_table_unlock(sbi);
	if (!err) {
		WRITE_ONCE(sbi->writable, false);
		/* Mounts of the aborted chain, in any kernel, look again and die. */
		daxfs_le64_add(&daxfs_live(sbi)->commit_seq, 1);
	}
unlock:
	mutex_unlock(&sbi->log_lock);
	if (err)
		return err;
	pr_info("daxfs (phys=0x%llx): branch %s aborted; its space is freed at unmount\n",
		(unsigned long long)sbi->phys, daxfs_view_name(sbi));
	daxfs_set_dead(sb, "aborted");
	return 0;
}

/**
 * daxfs_branch_follow - what the commits and aborts since the mount last
 *	looked mean for it
 * @sb: the superblock (sbi->live_lock held)
 * @head: live.main_head, loaded by daxfs_branch_head()
 * @first: for a main or committed mount, the index in sbi->chain of the
 *	first slot main gained (sbi->chain_len when none): the caller replays
 *	them
 *
 * A main or committed mount's chain is extended to @head's (it must be an
 * extension: main only grows); a branch still descending from main is left
 * as it is, one that no longer does becomes dead.
 *
 * Return: 0, -ESTALE (the mount is dead now), -EUCLEAN (main's chain is not
 * an extension of the mount's, reported) or -ENOMEM.
 */
int daxfs_branch_follow(struct super_block *sb, u64 head, u32 *first)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 *chain, len, own;
	int err;

	*first = sbi->chain_len;
	chain = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	if (sbi->writable) {
		err = daxfs_branch_chain(sb, sbi->slot, sbi->gen, head, chain,
					 &len, &own);
		if (err == -ESTALE)
			daxfs_set_dead_locked(sb, "main moved, or it or an ancestor was aborted");
		goto out;
	}
	/*
	 * Walked from the fold the mount's chain starts with, not a newer
	 * one: the slots a newer fold replaced are kept until this mount
	 * says it has seen it (readers.c), so the commits it missed can
	 * still be replayed; daxfs_branch_adopt_fold() then moves on.
	 */
	err = daxfs_main_chain_from(sb, head, daxfs_chain_fold(sb), chain,
				    &len, NULL);
	if (err)
		goto out;
	if (len < *first || memcmp(chain, sbi->chain, *first * sizeof(*chain))) {
		err = daxfs_corrupt(sb, "main chain changed under the mount (not an extension)");
		goto out;
	}
	memcpy(sbi->chain, chain, len * sizeof(*chain));
	sbi->chain_len = len;
	daxfs_chain_note(sbi);
out:
	kfree(chain);
	return err;
}

/*
 * Index in sbi->chain of @top (slot and generation); -EUCLEAN if it is not
 * there.
 */
static int daxfs_chain_find(struct super_block *sb, u64 top, u32 *at)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;
	u32 p;

	for (p = 0; p < sbi->chain_len; p++) {
		if (sbi->chain[p] != DAXFS_HEAD_SLOT(top) ||
		    daxfs_slot_read(sb, sbi->chain[p], &br) ||
		    br.generation != DAXFS_HEAD_GEN(top))
			continue;
		*at = p;
		return 0;
	}
	return daxfs_corrupt(sb, "main's fold stands for a head the mount does not have");
}

/**
 * daxfs_branch_adopt_fold - start the mount's chain at main's newest fold
 * @sb: a main or committed mount whose view is main at @head (live_lock)
 * @head: the head it replayed up to
 *
 * The fold is the view of the head it stands for (its top), which the
 * mount already has: the slots up to the top are replaced by the fold slot
 * and nothing is replayed.
 *
 * Return: 1 when the chain changed, 0, -EUCLEAN (reported) or -ENOMEM.
 */
int daxfs_branch_adopt_fold(struct super_block *sb, u64 head)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u32 *chain, len, at, keep;
	u64 top;
	int err;

	if (sbi->writable || !daxfs_fold_head(sbi))
		return 0;
	chain = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	err = daxfs_main_chain(sb, head, chain, &len, &top);
	if (err || !top || (sbi->chain_len && chain[0] == sbi->chain[0]))
		goto out;
	err = daxfs_chain_find(sb, top, &at);
	if (err)
		goto out;
	keep = sbi->chain_len - at - 1;
	if (len != 1 + keep ||
	    memcmp(chain + 1, sbi->chain + at + 1, keep * sizeof(*chain))) {
		err = daxfs_corrupt(sb, "main's fold does not lead to the mount's head");
		goto out;
	}
	memcpy(sbi->chain, chain, len * sizeof(*chain));
	sbi->chain_len = len;
	daxfs_chain_note(sbi);
	err = 1;
out:
	kfree(chain);
	return err;
}

/**
 * daxfs_chain_fold - the fold the mount's chain starts with
 * @sb: the superblock
 *
 * Return: DAXFS_HEAD() of the fold slot sbi->chain starts with, or 0.
 */
u64 daxfs_chain_fold(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_br br;

	if (!sbi->chain_len || daxfs_read_branch(sbi->region, &sbi->geo,
						 sbi->chain[0], &br, NULL) ||
	    !(br.flags & DAXFS_BRANCH_F_FOLD))
		return 0;
	return DAXFS_HEAD(br.slot, br.generation);
}

/* The slot entry of sbi->chain[@p]. */
static struct daxfs_branch *daxfs_chain_slot(struct daxfs_sb_info *sbi, u32 p)
{
	return daxfs_branch_ptr(sbi->region, &sbi->geo, sbi->chain[p]);
}

void daxfs_chain_note(struct daxfs_sb_info *sbi)
{
	u32 p;

	for (p = 0; p < sbi->chain_len; p++)
		sbi->chain_gen[p] =
			le64_to_cpu(READ_ONCE(daxfs_chain_slot(sbi, p)->generation));
}

bool daxfs_chain_intact(struct daxfs_sb_info *sbi)
{
	u32 p;

	for (p = 0; p < sbi->chain_len; p++) {
		struct daxfs_branch *b = daxfs_chain_slot(sbi, p);

		if (daxfs_le32_load(&b->state) != DAXFS_BRANCH_COMMITTED)
			return false;
		/* The state before the generation: a reap frees, a claim bumps. */
		smp_rmb();
		if (le64_to_cpu(READ_ONCE(b->generation)) != sbi->chain_gen[p])
			return false;
	}
	return true;
}

/**
 * daxfs_branch_beat_check - is the branch still this mount's?
 * @sbi: the mount
 *
 * One load: a counted mount whose heartbeat word no longer holds the value
 * it stored last was taken over (its kernel was stopped for longer than a
 * lease, whatever its own clock says) and becomes dead before it acts.
 *
 * Return: false when the mount is dead.
 */
bool daxfs_branch_beat_check(struct daxfs_sb_info *sbi)
{
	if (!READ_ONCE(sbi->counted) ||
	    daxfs_le64_load(&daxfs_slot(sbi, sbi->slot)->heartbeat) ==
	    READ_ONCE(sbi->beat))
		return true;
	return daxfs_beat_keep(sbi);
}

/* A DEAD slot whose mount this one has seen stop beating for a lease. */
static bool daxfs_dead_holder_seen(struct daxfs_sb_info *sbi)
{
	u32 s;

	for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
		struct daxfs_branch *b = daxfs_slot(sbi, s);
		u32 state = daxfs_le32_load(&b->state);
		u64 beat;

		if (s == sbi->slot || !daxfs_le32_load(&b->mounts) ||
		    (state != DAXFS_BRANCH_ACTIVE && state != DAXFS_BRANCH_DEAD))
			continue;
		beat = daxfs_le64_load(&b->heartbeat);
		if (daxfs_beat_still(sbi, s, beat) >= DAXFS_LEASE_NS &&
		    state == DAXFS_BRANCH_DEAD)
			return true;
	}
	return false;
}

/**
 * daxfs_branch_tick - the periodic look of a mount at the branch table
 * @sb: the superblock
 *
 * Beats for the branch the mount counts in (a mount that finds it lost
 * becomes dead), watches the heartbeats of the other mounted slots, and
 * frees a DEAD slot whose mount stopped beating a lease ago: what a kernel
 * that died with an aborted branch leaves is cleaned up by whichever mount
 * sees it first, in any kernel.
 */
void daxfs_branch_tick(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (!sbi->branching)
		return;
	if (READ_ONCE(sbi->counted))
		daxfs_beat_keep(sbi);
	if (!daxfs_dead_holder_seen(sbi))
		return;
	daxfs_table_lock(sbi);
	daxfs_sweep(sb);
	daxfs_table_unlock(sbi);
}
