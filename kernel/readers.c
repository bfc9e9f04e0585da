// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the readers table of an image that folds (INCOMPAT_FOLD).
 *
 * Every mount, in any kernel, holds one entry of live.readers while it is
 * mounted: a heartbeat, moved on by a timer of its kernel, and the oldest
 * commit_seq whose view it may still read pages of. A fold frees the pages
 * it left behind only when every live entry has seen the commit_seq the
 * fold published (live.fold_need); an entry whose heartbeat stood still for
 * a lease belongs to a kernel that stopped, and is taken out.
 */
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timer.h>

#include "daxfs.h"

static struct daxfs_reader *daxfs_reader_ent(struct daxfs_sb_info *sbi, u32 i)
{
	return &daxfs_live_ptr(sbi->region, &sbi->geo)->readers[i];
}

static bool daxfs_folds(struct daxfs_sb_info *sbi)
{
	return sbi->branching &&
	       (sbi->geo.feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD);
}

static u64 daxfs_reader_first_beat(void)
{
	return (get_random_u64() >> 2) | DAXFS_BEAT_MARK;
}

/*
 * From registration to unmount, a timer of the mount's kernel moves the
 * entry's beat every DAXFS_WATCH_MS. Timers run while the mount sleeps or
 * works (replaying a long chain at mount, waiting for the table lock,
 * folding), and stop only with the kernel: a lease of stillness means a
 * stopped kernel, never a slow mount. An entry found taken out is left to
 * daxfs_reader_check().
 */
static void daxfs_reader_tick(struct timer_list *t)
{
	struct daxfs_sb_info *sbi = from_timer(sbi, t, reader_timer);
	struct daxfs_reader *r = daxfs_reader_ent(sbi, sbi->reader);
	u64 next = sbi->reader_beat + 1;

	if (!(next & ~DAXFS_BEAT_MARK))
		next = DAXFS_BEAT_MARK | 1;
	if (!daxfs_le64_cmpxchg(&r->beat, sbi->reader_beat, next)) {
		WRITE_ONCE(sbi->reader_lost, true);
		return;
	}
	sbi->reader_beat = next;
	mod_timer(&sbi->reader_timer,
		  jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
}

/* At the start of fill_super: no entry yet. */
void daxfs_readers_init(struct daxfs_sb_info *sbi)
{
	sbi->reader = -1;
	timer_setup(&sbi->reader_timer, daxfs_reader_tick, 0);
}

/*
 * Take a free entry of live.readers, saying @seen (0: live.commit_seq
 * before this mount first reads the head). -EUSERS when every entry is
 * taken.
 */
static int daxfs_reader_take(struct daxfs_sb_info *sbi, u64 seen)
{
	struct daxfs_live *live = daxfs_live_ptr(sbi->region, &sbi->geo);
	u64 beat = daxfs_reader_first_beat();
	u32 i;

	for (i = 0; i < DAXFS_READER_COUNT; i++) {
		struct daxfs_reader *r = daxfs_reader_ent(sbi, i);

		if (daxfs_le64_load(&r->beat) ||
		    !daxfs_le64_cmpxchg(&r->beat, 0, beat))
			continue;
		if (!seen)
			seen = daxfs_le64_load(&live->commit_seq);
		WRITE_ONCE(r->pin, cpu_to_le64(READ_ONCE(sbi->pin_floor)));
		WRITE_ONCE(r->seen, cpu_to_le64(seen));
		smp_mb();	/* the entry, before the head is read */
		sbi->reader = i;
		sbi->reader_beat = beat;
		WRITE_ONCE(sbi->reader_lost, false);
		mod_timer(&sbi->reader_timer,
			  jiffies + msecs_to_jiffies(DAXFS_WATCH_MS));
		return 0;
	}
	pr_err("daxfs (phys=0x%llx): all %u reader entries of the image are taken (too many mounts)\n",
	       (unsigned long long)sbi->phys, DAXFS_READER_COUNT);
	return -EUSERS;
}

/**
 * daxfs_reader_register - take an entry of live.readers
 * @sbi: the mount, before it first reads main_head
 *
 * Return: 0 (also for images that do not fold), or -EUSERS when every
 * entry is taken.
 */
int daxfs_reader_register(struct daxfs_sb_info *sbi)
{
	sbi->reader = -1;
	if (!daxfs_folds(sbi))
		return 0;
	return daxfs_reader_take(sbi, 0);
}

/* Give the entry back (unmount). */
void daxfs_reader_unregister(struct daxfs_sb_info *sbi)
{
	if (sbi->reader < 0)
		return;
	del_timer_sync(&sbi->reader_timer);
	daxfs_le64_cmpxchg(&daxfs_reader_ent(sbi, sbi->reader)->beat,
			   sbi->reader_beat, 0);
	sbi->reader = -1;
}

/**
 * daxfs_reader_seen - publish the view of the mount, and its pins
 * @sbi: the mount
 * @seen: the commit_seq of its view: it replays no slot a fold published
 *	at or before it replaced, and reads no page main dropped at or before
 *	it, except those its pins hold (published with it)
 */
void daxfs_reader_seen(struct daxfs_sb_info *sbi, u64 seen)
{
	struct daxfs_reader *r;

	/* A lost entry may be another mount's by now. */
	if (sbi->reader < 0 || READ_ONCE(sbi->reader_lost))
		return;
	r = daxfs_reader_ent(sbi, sbi->reader);
	WRITE_ONCE(r->pin, cpu_to_le64(READ_ONCE(sbi->pin_floor)));
	/* The pin before the view: pairs with smp_rmb() in daxfs_readers_seen(). */
	smp_wmb();
	WRITE_ONCE(r->seen, cpu_to_le64(seen));
}

/**
 * daxfs_reader_check - take the mount's entry again if it was taken out
 * @sbi: the mount (live_lock held)
 *
 * An entry is taken out when its timer stood still for a lease: its kernel
 * was stopped (a paused VM). The mount registers again, saying the view it
 * still has; whether pages of that view were freed meanwhile is for the
 * caller to find out (daxfs_chain_intact()).
 *
 * Return: true when the entry had been taken out.
 */
bool daxfs_reader_check(struct daxfs_sb_info *sbi)
{
	if (sbi->reader < 0 || !READ_ONCE(sbi->reader_lost))
		return false;
	pr_warn("daxfs (phys=0x%llx): this mount's reader entry was taken out (its kernel stopped for more than %llu s); registering again\n",
		(unsigned long long)sbi->phys, DAXFS_LEASE_NS / NSEC_PER_SEC);
	sbi->reader = -1;
	daxfs_reader_take(sbi, READ_ONCE(sbi->seen_seq) ?: 1);
	return true;
}

/* An entry whose beat stood still for a lease of this kernel's clock. */
static bool daxfs_reader_stopped(struct daxfs_sb_info *sbi, u32 i, u64 beat)
{
	struct daxfs_watch *w = &sbi->reader_watch[i];
	u64 now = ktime_get_ns();

	if (!w->since || w->beat != beat) {
		w->beat = beat;
		w->since = now;
		return false;
	}
	return now - w->since >= DAXFS_LEASE_NS;
}

/**
 * daxfs_readers_seen - has every live reader seen @need?
 * @sbi: the mount asking (its own entry counts too)
 * @need: a commit_seq value
 * @pinned: set when a live reader that has seen it still pins a view
 *	older than @need
 *
 * Entries of kernels that stopped beating for a lease are taken out on the
 * way (cmpxchg to 0: a kernel that comes back registers again).
 *
 * Return: true when no live entry has seen less than @need.
 */
bool daxfs_readers_seen(struct daxfs_sb_info *sbi, u64 need, bool *pinned)
{
	bool all = true;
	u32 i;

	*pinned = false;
	mutex_lock(&sbi->watch_lock);
	for (i = 0; i < DAXFS_READER_COUNT; i++) {
		struct daxfs_reader *r = daxfs_reader_ent(sbi, i);
		u64 beat = daxfs_le64_load(&r->beat), pin;

		if (!beat)
			continue;
		if (daxfs_le64_load(&r->seen) >= need) {
			smp_rmb();	/* the pin stored before the view */
			pin = daxfs_le64_load(&r->pin);
			*pinned |= pin && pin < need;
			continue;
		}
		if ((int)i != sbi->reader && daxfs_reader_stopped(sbi, i, beat) &&
		    daxfs_le64_cmpxchg(&r->beat, beat, 0)) {
			pr_warn("daxfs (phys=0x%llx): reader entry %u stopped beating for a lease; taken out\n",
				(unsigned long long)sbi->phys, i);
			continue;
		}
		all = false;
	}
	mutex_unlock(&sbi->watch_lock);
	return all;
}

static void daxfs_pins_floor(struct daxfs_sb_info *sbi)
{
	struct daxfs_inode_info *ii;
	u64 floor = 0;

	list_for_each_entry(ii, &sbi->pins, pin)
		if (!floor || ii->pin_seq < floor)
			floor = ii->pin_seq;
	WRITE_ONCE(sbi->pin_floor, floor);
}

/**
 * daxfs_pin - keep the pages of an open file main no longer names
 * @sbi: a main (or committed) mount
 * @ii: a regular file open or mapped here, whose last name a commit took
 * @seq: the commit_seq of the view the mount had before that commit
 *
 * Until daxfs_unpin(), the mount's reader entry says @seq at most, so no
 * fold frees what the file still reads.
 */
void daxfs_pin(struct daxfs_sb_info *sbi, struct daxfs_inode_info *ii, u64 seq)
{
	spin_lock(&sbi->pin_lock);
	if (!ii->pin_seq) {
		ii->pin_seq = seq ? seq : 1;
		list_add(&ii->pin, &sbi->pins);
		daxfs_pins_floor(sbi);
	}
	spin_unlock(&sbi->pin_lock);
}

/* The last open file (and so mapping) of a pinned inode went. */
void daxfs_unpin(struct daxfs_sb_info *sbi, struct daxfs_inode_info *ii)
{
	if (!READ_ONCE(ii->pin_seq))
		return;
	spin_lock(&sbi->pin_lock);
	if (ii->pin_seq) {
		list_del_init(&ii->pin);
		ii->pin_seq = 0;
		daxfs_pins_floor(sbi);
	}
	spin_unlock(&sbi->pin_lock);
	daxfs_reader_seen(sbi, READ_ONCE(sbi->seen_seq));
}

/* A live reader pins a view (an open file a commit deleted). */
bool daxfs_readers_pinned(struct daxfs_sb_info *sbi)
{
	u32 i;

	for (i = 0; i < DAXFS_READER_COUNT; i++) {
		struct daxfs_reader *r = daxfs_reader_ent(sbi, i);

		if (daxfs_le64_load(&r->beat) && daxfs_le64_load(&r->pin))
			return true;
	}
	return false;
}
