/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAXFS kernel module: internal declarations shared by its source files.
 */
#ifndef _DAXFS_H
#define _DAXFS_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pfn_t.h>
#include <linux/ratelimit.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "daxfs_check.h"
#include "daxfs_log.h"
#include "daxfs_apply.h"
#include "compat.h"

/* Hashed locks of file pages for overwrites in place (a power of two). */
#define DAXFS_PAGE_LOCK_BITS	6
#define DAXFS_PAGE_LOCKS	BIT(DAXFS_PAGE_LOCK_BITS)

/**
 * struct daxfs_sb_info - one mounted DAXFS region
 * @region: the region, mapped write-back with memremap()
 * @phys: physical address of the region
 * @size: bytes of the region
 * @geo: the checked, decoded superblock
 * @validate: the whole image was validated at mount (option "validate")
 * @persistent: the region is persistent memory (pmem, or a memmap=SIZE!ADDR
 *	reservation the kernel treats as such): data written to it is written
 *	back from the CPU cache before the records that name it
 * @corrupt_rs: rate limit of this mount's messages about a corrupt image
 * @bdev: the DAX block device the region is on (the mount's source), held
 *	exclusively while mounted; NULL for phys= (backing.c)
 * @bdev_handle: what daxfs_bdev_open() gave for @bdev (compat.h)
 * @dax_dev: @bdev's dax_device
 * @opt_dax: mount option dax=: the device-DAX device phys= lies in
 * @dmabuf: the dma-buf the region is in (dmabuf.c), or NULL: physical memory
 *	at @phys (then 0)
 * @dmabuf_map: its kernel mapping, @region (while @dmabuf_mapped)
 * @pfns: the page frame of each page of a dma-buf region, NULL for
 *	physical memory (daxfs_region_pfn())
 */
struct daxfs_sb_info {
	void *region;
	phys_addr_t phys;
	u64 size;
	struct daxfs_geo geo;
	bool validate;
	bool persistent;
	struct ratelimit_state corrupt_rs;
	struct block_device *bdev;
	void *bdev_handle;
	struct dax_device *dax_dev;
	char *opt_dax;
	struct dma_buf *dmabuf;
	struct iosys_map dmabuf_map;
	bool dmabuf_mapped;
	unsigned long *pfns;

	/* --- branches: shared-region side (branch.c, region.c, log.c) --- */
	bool branching;		/* image has INCOMPAT_BRANCHES */
	char *opt_branch;	/* mount options branch= and parent= */
	char *opt_parent;
	u32 slot;		/* mounted branch; DAXFS_MAIN_SLOT for main */
	u64 gen;		/* its generation */
	bool writable;		/* an ACTIVE branch mounted read-write */
	bool dead;		/* invalidated: operations give -ESTALE */
	u64 id;			/* random id of this mount (owner, locks) */
	u64 seen_seq;		/* live.commit_seq when last checked */
	u64 seen_head;		/* live.main_head when last checked */
	/*
	 * slots whose logs make this view, oldest first (main's chain too;
	 * never slot 0, which has no log)
	 */
	u32 chain[DAXFS_BRANCH_COUNT];
	u32 chain_len;
	/* main's view: the generation of each slot of @chain (branch.c) */
	u64 chain_gen[DAXFS_BRANCH_COUNT];
	struct mutex log_lock;	/* appends to this branch's log */
	u64 log_seq;		/* seq of the last record appended */
	u64 log_tail;		/* DAXFS_TAIL() after it */
	u64 log_head;		/* first log page of the mounted branch */
	u64 __percpu *alloc_hints;	/* per CPU: where to look for a page */
	struct mutex live_lock;	/* daxfs_check_live() slow path */
	bool counted;		/* the mount is counted in its slot's mounts */
	/* the heartbeat of the counted mount (DAXFS_LEASE_NS), moved by @beat_timer */
	u64 beat;		/* the value this mount last stored */
	struct timer_list beat_timer;
	spinlock_t beat_lock;	/* @beat with the slot's heartbeat word */
	/* every DAXFS_WATCH_MS: check the beat, watch the others, follow commits */
	struct delayed_work watch_work;
	/* moves live.table_beat while this mount holds the table lock */
	struct timer_list lock_timer;
	bool lock_held;		/* this mount holds live.table_lock */
	struct mutex watch_lock;	/* @watch */
	/* per slot: the heartbeat last seen, and since when (ktime_get_ns()) */
	struct daxfs_watch {
		u64 beat;
		u64 since;	/* 0: never looked */
	} watch[DAXFS_BRANCH_COUNT];
	struct super_block *sb;
	/*
	 * Overwrites of one owned page run under i_rwsem held shared; the
	 * lock of the page, hashed, keeps each of them atomic (write.c).
	 */
	struct mutex page_locks[DAXFS_PAGE_LOCKS];

	/* --- branches: index side (index.c) --- */
	struct rw_semaphore index_lock;	/* the index below */
	struct xarray nodes;	/* ino -> struct daxfs_node, touched inodes */
	/*
	 * Bumped whenever the index changes behind the VFS's back (replay of
	 * newly committed slots); cached dentries carry the value they were
	 * checked at (d_revalidate).
	 */
	u64 index_seq;
	bool indexed;		/* daxfs_index_build() ran: nodes, lock valid */
	/* live path: owned pages a record dropped, freed after publication */
	struct xarray *drop_to;
	/* refresh: files whose data the replayed records changed */
	struct xarray *changed;
	bool names_changed;	/* refresh: names went (open files may be orphans) */
	/* replay: nodes the slot's records gave pages (checked after it) */
	struct xarray *touched;
	/* --- folding (readers.c, fold.c) --- */
	int reader;		/* entry of live.readers, -1: none */
	u64 reader_beat;	/* the value this mount stored there last */
	struct timer_list reader_timer;	/* moves the entry's beat */
	bool reader_lost;	/* the timer found the entry taken out */
	struct daxfs_watch reader_watch[DAXFS_READER_COUNT];
	spinlock_t pin_lock;	/* @pins, and the pins of its inodes */
	struct list_head pins;	/* daxfs_inode_info.pin: pinned open files */
	u64 pin_floor;		/* the smallest pin_seq of @pins, 0: none */
	bool reaped_once;	/* fold.c: looked for garbage since the mount */
	/* fold.c: main quiet since (jiffies), at commit_seq @quiet_seq */
	u64 quiet_seq;
	unsigned long quiet_since;
	bool quiet_tried;	/* looked for parts to move in this spell */
	/*
	 * A commit this main mount followed could not be replayed: the view
	 * is not whole, every operation fails with this error (-EUCLEAN)
	 */
	int broken;
};

/**
 * struct daxfs_inode_info - a DAXFS inode in memory
 * @di: checked copy of the on-media inode; the region is never read twice
 *	(all zero for an inode created in a branch)
 * @opens: open files of this inode (an unlinked file keeps its pages
 *	until the last one is closed)
 * @pin_seq: a main mount follows commits, and a commit took the last name of
 *	this open file: the commit_seq of the view its pages belong to
 *	(0: not pinned); @pin links it into sbi->pins
 * @map_written: a shared mapping was written: on persistent memory, fsync
 *	writes the file's pages back from the CPU cache
 * @vfs_inode: the VFS inode
 */
struct daxfs_inode_info {
	struct daxfs_ino di;
	atomic_t opens;
	u64 pin_seq;		/* readers.c: pinned at this commit_seq, 0: not */
	struct list_head pin;
	bool map_written;
	struct inode vfs_inode;
};

static inline struct daxfs_sb_info *DAXFS_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

static inline struct daxfs_inode_info *DAXFS_I(const struct inode *inode)
{
	return container_of(inode, struct daxfs_inode_info, vfs_inode);
}

/*
 * The layers of the module, each calling only the ones below it:
 *
 *   VFS operations   super.c inode.c dir.c namei.c file.c write.c ioctl.c
 *   the view         replay.c (build, refresh, following commits)
 *                    fold.c (folding main's history, freeing what it replaced)
 *                    apply.c (records: common/daxfs_apply.c over the index)
 *                    index.c (nodes, directories, file pages)
 *   branches         branch.c (slots, chains, commit, abort, heartbeats)
 *                    readers.c (live.readers: what each mount has seen)
 *   logs             log.c (append, replay of one slot's log)
 *   the region       region.c (corruption reports, write-back, inode
 *                    numbers, delta pages, page frames) and the atomics
 *                    below; dmabuf.c (a region in a dma-buf)
 *   the backing      backing.c (phys= mapped, or a DAX block device held),
 *                    called by super.c only
 */

/* ------------------------------------------------------------------------
 * backing.c: the memory behind a mount (docs/backings.md)
 */

struct fs_context;

/* phys=, size= (and dax=) may be mapped: not System RAM, device-DAX only if named. */
int daxfs_backing_check_range(struct fs_context *fc, u64 phys, u64 size,
			      const char *dax);
/*
 * Set sbi->region, phys, size, persistent: map phys= and size=, or (@bdev)
 * hold the DAX block device fc->source and reach all of it.
 */
int daxfs_backing_open(struct fs_context *fc, struct daxfs_sb_info *sbi,
		       bool bdev);
/* Unmap, or let the block device go. */
void daxfs_backing_close(struct daxfs_sb_info *sbi);

/* ------------------------------------------------------------------------
 * region.c: the shared region
 */

/* A corrupt image, as the other filesystems call it (EUCLEAN). */
#ifndef EFSCORRUPTED
#define EFSCORRUPTED	EUCLEAN
#endif

/* Log a problem found in the image (rate-limited per mount). */
void daxfs_report_corrupt(struct super_block *sb, int err,
			  const struct daxfs_report *rep);
/* The same, printf-style; returns -EFSCORRUPTED. */
__printf(2, 3)
int daxfs_corrupt(struct super_block *sb, const char *fmt, ...);

/*
 * Atomics on little-endian words of the shared region (live words, branch
 * table, owner table). Loads are READ_ONCE, changes cmpxchg.
 */
static inline u64 daxfs_le64_load(const __le64 *p)
{
	return le64_to_cpu(READ_ONCE(*p));
}

static inline u32 daxfs_le32_load(const __le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

/* Replace @old by @new; true if @p held @old. */
static inline bool daxfs_le64_cmpxchg(__le64 *p, u64 old, u64 new)
{
	u64 o = (__force u64)cpu_to_le64(old);

	return cmpxchg((__force u64 *)p, o, (__force u64)cpu_to_le64(new)) == o;
}

static inline bool daxfs_le32_cmpxchg(__le32 *p, u32 old, u32 new)
{
	u32 o = (__force u32)cpu_to_le32(old);

	return cmpxchg((__force u32 *)p, o, (__force u32)cpu_to_le32(new)) == o;
}

/* Atomically add @delta to *@p; returns the new value. */
static inline u64 daxfs_le64_add(__le64 *p, s64 delta)
{
	u64 old;

	do {
		old = daxfs_le64_load(p);
	} while (!daxfs_le64_cmpxchg(p, old, old + delta));
	return old + delta;
}

static inline u32 daxfs_le32_add(__le32 *p, s32 delta)
{
	u32 old;

	do {
		old = daxfs_le32_load(p);
	} while (!daxfs_le32_cmpxchg(p, old, old + delta));
	return old + delta;
}

/*
 * Write @len bytes at @p back from the CPU cache to the region (persistent
 * memory); follow with pmem_wmb() before a store that publishes them.
 */
void daxfs_persist(const void *p, size_t len);
/*
 * File data (or a symlink target) written to @p: on persistent memory,
 * write it back and fence, so a record published after it names bytes that
 * are on the media; nothing on plain RAM.
 */
void daxfs_persist_data(struct daxfs_sb_info *sbi, const void *p, size_t len);
/* A new inode number, shared by every branch; -ENOSPC when none is left. */
int daxfs_new_ino(struct daxfs_sb_info *sbi, u64 *ino);

/*
 * Delta pages. Owner table entries change with cmpxchg only.
 * daxfs_page_alloc() takes a FREE page for the mounted branch; data pages
 * (no DAXFS_ALLOC_LOG) leave DAXFS_LOG_RESERVE pages free so that a full
 * region can still log the unlinks that free space. Returns -ENOSPC when
 * none.
 */
#define DAXFS_LOG_RESERVE	16
#define DAXFS_ALLOC_LOG		0x1	/* a log page: may use the reserve */
#define DAXFS_ALLOC_NOZERO	0x2	/* the caller fills the whole page */
/* live.alloc_hint is stored when a page number is a multiple of this. */
#define DAXFS_HINT_EVERY	64

int daxfs_page_alloc(struct daxfs_sb_info *sbi, unsigned int flags, u64 *page);
int daxfs_page_alloc_for(struct daxfs_sb_info *sbi, u32 slot,
			 unsigned int flags, u64 *page);
bool daxfs_page_give(struct daxfs_sb_info *sbi, u64 page, u32 from, u32 to);
void daxfs_alloc_hints_init(struct daxfs_sb_info *sbi, u64 start);
void daxfs_page_free(struct daxfs_sb_info *sbi, u64 page);
void *daxfs_page_addr(struct daxfs_sb_info *sbi, u64 page);
unsigned long daxfs_page_pfn(struct daxfs_sb_info *sbi, u64 page);
/* The page frame of byte @off of the region: physical memory or a dma-buf. */
unsigned long daxfs_region_pfn(struct daxfs_sb_info *sbi, u64 off);
u64 daxfs_free_pages(struct daxfs_sb_info *sbi);
/* Hand @page to slot @to if a slot of @from (a bitmap of slots) owns it. */
void daxfs_page_give_from(struct daxfs_sb_info *sbi, u64 page,
			  const unsigned long *from, u32 to);
/* Give back every page owned by a slot of @slots (a bitmap); the count. */
u64 daxfs_free_pages_of(struct daxfs_sb_info *sbi, const unsigned long *slots);
bool daxfs_page_free_of(struct daxfs_sb_info *sbi, u64 page, u32 slot);
/* Hand every page of a slot of @slots (a bitmap) to @to; the count. */
u64 daxfs_keep_pages_of(struct daxfs_sb_info *sbi, const unsigned long *slots,
			u32 to);
/* Give back every page owned by @slot (a DEAD slot with no mounts). */
void daxfs_free_slot_pages(struct daxfs_sb_info *sbi, u32 slot);
/* PTRS_PER_PMD free pages, one aligned run of frames, for @slot. */
int daxfs_run_alloc_for(struct daxfs_sb_info *sbi, u32 slot, u64 *page);

/* ------------------------------------------------------------------------
 * dmabuf.c: a region in a dma-buf (option "dmabuf", a file descriptor)
 */

struct fs_parameter;
struct seq_file;

/* Take the buffer of the option into *@out (a remount may only repeat it). */
int daxfs_dmabuf_param(struct fs_context *fc, struct fs_parameter *param,
		       struct dma_buf **out);
/* The options that go with it; names the mount's source after the exporter. */
int daxfs_dmabuf_check(struct fs_context *fc, struct dma_buf *dmabuf,
		       bool phys_or_size);
/* Map it as the region of @sbi, which takes the reference. */
int daxfs_dmabuf_map(struct fs_context *fc, struct daxfs_sb_info *sbi,
		     struct dma_buf **dmabuf);
/* Unmap and drop it (kill_sb); nothing for physical memory. */
void daxfs_dmabuf_release(struct daxfs_sb_info *sbi);
void daxfs_dmabuf_show(struct seq_file *m, struct daxfs_sb_info *sbi);
/* A new close-on-exec descriptor of the buffer; -ENODEV: not a dma-buf mount. */
int daxfs_dmabuf_fd(struct super_block *sb);

/* ------------------------------------------------------------------------
 * log.c: the log of the mounted branch
 */

/*
 * Append one record to the mounted branch's log. @rec is @len bytes of
 * private memory (header + body, len a multiple of DAXFS_REC_ALIGN); this
 * fills in len, seq and crc, copies it into the log (taking a log page when
 * needed), and publishes the new tail with a release store. Returns 0,
 * -ENOSPC, -EROFS (not writable) or -ESTALE (branch invalidated).
 */
int daxfs_log_append(struct daxfs_sb_info *sbi, struct daxfs_rec *rec, u32 len);
/*
 * Replay the published log of @slot into the view of @rp
 * (common/daxfs_apply.c), reporting a damaged or hostile log.
 */
int daxfs_log_replay(struct super_block *sb, u32 slot, struct daxfs_replay *rp);
/* Find the end (seq, tail) of the mounted branch's log before appending. */
int daxfs_log_attach(struct super_block *sb);

/* ------------------------------------------------------------------------
 * fold.c: folding main's history (docs/format.md, Folding)
 */

struct daxfs_ioc_fold;

/* Fold now (the mount's view is main, brought up to date by the caller). */
int daxfs_fold(struct super_block *sb, struct daxfs_ioc_fold *st,
	       unsigned int wait_ms);
/* Free what folds left behind, waiting up to @wait_ms for readers. */
int daxfs_fold_settle(struct super_block *sb, struct daxfs_ioc_fold *st,
		      unsigned int wait_ms);
/* The periodic look (and after a commit): fold when history grows. */
void daxfs_fold_tick(struct super_block *sb);
struct daxfs_compact;
/* A mount adopting fold @fold maps the pages it moved (index_lock held). */
int daxfs_fold_correct(struct super_block *sb, u32 fold,
		       struct daxfs_compact *c);
struct daxfs_lrec;
/* Call @fn for every page a fold's log names (WRITE entries, SYMLINK targets). */
int daxfs_fold_pages(struct daxfs_sb_info *sbi, u32 fold,
		     int (*fn)(struct daxfs_sb_info *sbi,
			       const struct daxfs_lrec *r, u64 index,
			       u64 page, void *ctx),
		     void *ctx);

/* ------------------------------------------------------------------------
 * compact.c: a fold moves scattered file data into 2 MiB runs
 */

/* The parts of files a fold moved, until it is published (or undone). */
struct daxfs_compact {
	struct list_head moves;
	struct xarray changed;	/* inode numbers whose mappings must go */
	u32 runs;
};

void daxfs_compact_init(struct daxfs_compact *c);
/* Move what is worth it into runs of fold slot @fold (all locks held). */
int daxfs_compact(struct super_block *sb, u32 fold, struct daxfs_compact *c);
/* The fold failed: the index maps the old pages again. */
void daxfs_compact_undo(struct daxfs_compact *c);
/* After the locks: unmap what moved (or was corrected), free @c. */
void daxfs_compact_end(struct super_block *sb, struct daxfs_compact *c);
/* No branch is live and a part of a file of the view would move. */
bool daxfs_compact_wanted(struct super_block *sb);

/* ------------------------------------------------------------------------
 * readers.c: live.readers, for folds (INCOMPAT_FOLD)
 */

void daxfs_readers_init(struct daxfs_sb_info *sbi);
int daxfs_reader_register(struct daxfs_sb_info *sbi);
void daxfs_reader_unregister(struct daxfs_sb_info *sbi);
void daxfs_reader_seen(struct daxfs_sb_info *sbi, u64 seen);
bool daxfs_reader_check(struct daxfs_sb_info *sbi);
bool daxfs_readers_seen(struct daxfs_sb_info *sbi, u64 need, bool *pinned);
bool daxfs_readers_pinned(struct daxfs_sb_info *sbi);
void daxfs_pin(struct daxfs_sb_info *sbi, struct daxfs_inode_info *ii, u64 seq);
void daxfs_unpin(struct daxfs_sb_info *sbi, struct daxfs_inode_info *ii);

/* ------------------------------------------------------------------------
 * branch.c: slots, chains, commit, abort, heartbeats (docs/protocol.md)
 */

/*
 * daxfs_branch_mount() resolves sbi->opt_branch/opt_parent (both NULL: main)
 * into sbi->slot, gen, chain, writable; it creates the slot for
 * branch=,parent= and counts the mount in the slot.
 * daxfs_branch_unmount() uncounts it and discards the branch (and any
 * detached ancestors left with no children) if nothing else holds it.
 */
int daxfs_branch_mount(struct super_block *sb);
void daxfs_branch_unmount(struct super_block *sb);
/*
 * The mount failed after daxfs_branch_mount() (its view does not replay):
 * uncount it; a branch it created is discarded, an attached one is kept.
 */
void daxfs_branch_mount_failed(struct super_block *sb);
int daxfs_branch_commit(struct super_block *sb);
int daxfs_branch_abort(struct super_block *sb);
/* live.commit_seq, then live.main_head (the order a commit stores them). */
void daxfs_branch_head(struct daxfs_sb_info *sbi, u64 *seq, u64 *head);
/* live.commit_seq moved since daxfs_check_live() last looked (no locks). */
bool daxfs_live_moved(struct daxfs_sb_info *sbi);
/* What main moving to @head means for the mount (sbi->live_lock held). */
int daxfs_branch_follow(struct super_block *sb, u64 head, u32 *first);
/* 1 when the chain now starts at a newer fold (retag the index), 0, or an error. */
int daxfs_branch_adopt_fold(struct super_block *sb, u64 head);
u64 daxfs_chain_fold(struct super_block *sb);
/*
 * A main (or committed) mount notes the generations of its chain's slots
 * whenever the chain changes; the chain is intact while every one of them
 * is still COMMITTED with that generation (no fold's reap freed it).
 */
void daxfs_chain_note(struct daxfs_sb_info *sbi);
bool daxfs_chain_intact(struct daxfs_sb_info *sbi);
/* live.fold_head, 0 for an image that does not fold. */
u64 daxfs_fold_head(struct daxfs_sb_info *sbi);
u64 daxfs_fold_top(struct daxfs_sb_info *sbi);
/* The slots of active branch @slot's view, oldest first; -ENOENT: not one. */
int daxfs_branch_view_chain(struct super_block *sb, u32 slot, u32 *chain,
			    u32 *len);
/*
 * Every mount of an image with branches looks at the region this often
 * (sbi->watch_work): it beats for its branch (more often than
 * DAXFS_LEASE_RENEW_NS), and a commit or abort that kills or moves its view
 * reaches it within this time even when nobody makes a file operation.
 */
#define DAXFS_WATCH_MS		500
void daxfs_branch_timers_init(struct daxfs_sb_info *sbi);
/* live.table_lock: changes of slots, commits, folds (docs/protocol.md). */
void daxfs_table_lock(struct daxfs_sb_info *sbi);
void daxfs_table_unlock(struct daxfs_sb_info *sbi);
/* Claim a FREE slot (table lock held): CLAIMED, with its next generation. */
int daxfs_slot_claim(struct daxfs_sb_info *sbi, u32 *slot, u64 *gen);
void daxfs_slot_init(struct daxfs_sb_info *sbi, u32 slot, u64 gen, u64 parent,
		     u32 flags, const char *name);
/* Beat, watch the other slots' heartbeats, free what dead kernels left. */
void daxfs_branch_tick(struct super_block *sb);
/* The branch is still this mount's (one load); false: it is dead now. */
bool daxfs_branch_beat_check(struct daxfs_sb_info *sbi);
/*
 * Unmap every mapping of every inode of @sb; @even_cows: private copies of
 * their pages too (a branch invalidated: every access faults, SIGBUS).
 */
void daxfs_zap_mappings(struct super_block *sb, bool even_cows);

/* ------------------------------------------------------------------------
 * The view: index.c, apply.c, replay.c (docs/branches.md)
 */

/*
 * The index (docs/branches.md). A node exists for every inode a record of
 * the chain touched, for the mount's life; inodes without a node are as in
 * the base image. Everything below is used under sbi->index_lock (read to
 * look, write to change).
 */

/* An entry of a materialized directory. */
struct daxfs_entry {
	struct rb_node rb;	/* in daxfs_node.names, by name */
	u64 cookie;		/* readdir position, stable for its life */
	u64 ino;
	u8 type;		/* DT_* */
	u16 len;
	char name[];
};

/*
 * The current state of one inode of the view.
 *
 * WRITE records are applied with sbi->index_lock held for read, so writes
 * to different files go in parallel: @wlock orders the records of one
 * inode (append and apply under it), and @lock guards the size and times
 * those records change against readers of them (which only retry, so the
 * writers of one file do not share a lock word on every write). Every other record is
 * applied with index_lock held for write, which excludes all of that.
 */
struct daxfs_node {
	struct daxfs_vnode v;	/* what records change (common/daxfs_apply.c) */
	struct mutex wlock;	/* records about this inode, in order */
	seqlock_t lock;		/* size and times */
	bool has_base;		/* an inode of the base image: @base */
	struct daxfs_ino base;
	/* regular files: index -> daxfs_pref() of the delta page */
	struct xarray pages;
	/* directories, once changed: every entry, by name and by cookie */
	bool materialized;
	struct rb_root names;
	struct xarray cookies;
	u64 next_cookie;
	u64 entries;
	/* symlinks */
	char *link;
	u64 link_page;		/* delta page of the target, if owned */
	u64 link_src;		/* delta page of a branch symlink's target */
	u32 link_slot;		/* the slot whose record made it */
};

/*
 * A file page of the index: a delta page and the slot whose record mapped
 * it, packed in one xarray value.
 */
#define DAXFS_PREF_SLOT_BITS	8

static inline void *daxfs_pref(u64 page, u32 slot)
{
	return xa_mk_value((unsigned long)page << DAXFS_PREF_SLOT_BITS | slot);
}

static inline u64 daxfs_pref_page(const void *entry)
{
	return xa_to_value(entry) >> DAXFS_PREF_SLOT_BITS;
}

static inline u32 daxfs_pref_slot(const void *entry)
{
	return xa_to_value(entry) & (BIT(DAXFS_PREF_SLOT_BITS) - 1);
}

/* Pages mapped by records of @slot belong to this mount (it may free them). */
static inline bool daxfs_slot_owned(const struct daxfs_sb_info *sbi, u32 slot)
{
	return sbi->writable && slot == sbi->slot;
}

static inline struct daxfs_node *daxfs_vnode_node(struct daxfs_vnode *v)
{
	return container_of(v, struct daxfs_node, v);
}

static inline s64 daxfs_vtime_to_ns(struct daxfs_vtime t)
{
	return t.sec * NSEC_PER_SEC + t.nsec;
}

/* A timestamp of the view as the VFS's. */
static inline struct timespec64 daxfs_vts(struct daxfs_vtime t)
{
	struct timespec64 ts = { .tv_sec = t.sec, .tv_nsec = t.nsec };

	return ts;
}

/* Where the bytes of one file page are (daxfs_index_file_page()). */
struct daxfs_fpage {
	const void *addr;	/* NULL: the page reads as zeros */
	unsigned long pfn;	/* when @addr is set */
	u64 page;		/* delta page, 0 for base data */
	bool owned;		/* a delta page of the mounted branch */
};

struct daxfs_node *daxfs_node_find(struct daxfs_sb_info *sbi, u64 ino);
/* The node of @ino, created from the base inode if needed. */
struct daxfs_node *daxfs_node_get(struct super_block *sb, u64 ino);
/* A node for inode @ino a record creates; taken back by daxfs_node_forget(). */
struct daxfs_node *daxfs_node_new(struct super_block *sb, u64 ino, u32 mode);
void daxfs_node_forget(struct daxfs_sb_info *sbi, struct daxfs_node *node);
/* Copy the base entries of a directory node into its index, once. */
int daxfs_dir_materialize(struct super_block *sb, struct daxfs_node *dir);
struct daxfs_entry *daxfs_entry_find(struct daxfs_node *dir, const char *name,
				     u32 len);
int daxfs_entry_insert(struct daxfs_node *dir, const char *name, u32 len,
		       u64 ino, u32 type);
void daxfs_entry_del(struct daxfs_node *dir, struct daxfs_entry *e);
int daxfs_index_lookup(struct super_block *sb, struct inode *dir,
		       const char *name, u32 len, u64 *ino, u32 *type);
/* Next entry of @dir at or after cookie @pos; -ENOENT at the end. */
int daxfs_index_readdir(struct super_block *sb, struct inode *dir, u64 pos,
			u64 *cookie, u64 *ino, u32 *type, char *name,
			u32 *len);
int daxfs_index_file_page(struct super_block *sb, struct inode *inode,
			  u64 index, struct daxfs_fpage *out);
int daxfs_node_page(struct super_block *sb, struct daxfs_node *node,
		    u64 index, struct daxfs_fpage *out);
/* Directory @node has no entries. */
bool daxfs_index_dir_empty(struct super_block *sb, struct daxfs_node *node);
/* Pages of slots a fold replaced are tagged with the fold @to. */
void daxfs_index_retag(struct daxfs_sb_info *sbi, const u32 *keep, u32 n,
		       u32 to);
/* Unmap the regular files whose numbers are in @changed from every process. */
void daxfs_unmap_changed(struct super_block *sb, struct xarray *changed);
/* An owned page a record dropped: to sbi->drop_to, freed after publication. */
void daxfs_index_drop(struct daxfs_sb_info *sbi, u64 page);
/* Move every owned page of @node (file data, symlink) to sbi->drop_to. */
void daxfs_index_drop_pages(struct daxfs_sb_info *sbi, struct daxfs_node *node);
/* Free the pages in @drops (after the record dropping them is public). */
void daxfs_index_free_drops(struct daxfs_sb_info *sbi, struct xarray *drops);
void daxfs_index_destroy(struct super_block *sb);

/* apply.c: a replay of the mount's view, its operations set up. */
void daxfs_replay_init(struct super_block *sb, struct daxfs_replay *rp);
/* Apply one record of the live path (the rules of common/daxfs_apply.c). */
int daxfs_index_apply(struct super_block *sb, const struct daxfs_lrec *rec);
/* Allocations a record will need, done before it is appended. */
int daxfs_index_prepare(struct super_block *sb, const struct daxfs_lrec *rec);
/*
 * Before a live WRITE record is appended (node->wlock held): -EAGAIN when a
 * page it maps is already owned (a racing fault or write copied it first)
 * or lies past the size; the caller looks again.
 */
int daxfs_index_write_check(struct super_block *sb, struct daxfs_node *node,
			    const struct daxfs_lrec *rec);
/*
 * Every change of a writable branch: daxfs_commit_rec() appends @rec,
 * decoded first, and applies it under sbi->index_lock; owned pages it drops
 * are added to @drops (may be NULL when none can be).
 */
int daxfs_commit_rec(struct super_block *sb, struct daxfs_rec *rec, u32 len,
		     struct xarray *drops);
/*
 * The same for a WRITE record, without excluding writes to other files.
 * @keep_size: the record leaves the size as it is (the current size is put
 * in it). Returns -EAGAIN when daxfs_index_write_check() refuses it.
 */
int daxfs_commit_write(struct super_block *sb, struct daxfs_rec_write *rec,
		       u32 len, bool keep_size);
void daxfs_rec_init(struct daxfs_rec *h, u32 type, u32 len, u64 ino);

/*
 * replay.c: daxfs_index_build() replays every log of sbi->chain at mount;
 * daxfs_index_refresh() replays slots appended to sbi->chain since (a main
 * mount following commits).
 */
int daxfs_index_build(struct super_block *sb);
int daxfs_index_refresh(struct super_block *sb, u32 first_new);
/* Option "validate": every active branch's view replays (as the tools check). */
int daxfs_index_validate_views(struct super_block *sb);
/*
 * Called at the start of every file operation, without locks held: one
 * load of live.commit_seq. When it moved, rechecks the chain: a main (or
 * committed) mount replays what main gained; a branch that is no longer
 * valid becomes dead (mappings zapped once) and -ESTALE is returned; a main
 * mount that could not replay a commit fails with that error from then on,
 * and so does, with -ESTALE, one whose kernel stood still while a fold freed
 * pages of its view.
 */
int daxfs_check_live(struct super_block *sb);
/*
 * The work every mount of an image with branches runs each DAXFS_WATCH_MS,
 * from the end of fill_super to kill_sb: daxfs_branch_tick(), then
 * daxfs_check_live(), so a commit or abort reaches the mount (a dead branch
 * zaps its mappings, a main mount follows) without any file operation.
 */
void daxfs_watch_work(struct work_struct *work);
void daxfs_watch_start(struct super_block *sb);
void daxfs_watch_stop(struct super_block *sb);

/* ------------------------------------------------------------------------
 * VFS operations
 */

/* ioctl.c */
long daxfs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* inode.c */
struct inode *daxfs_iget(struct super_block *sb, u64 ino);
/* Copy the attributes of @inode's node (if any) into the VFS inode. */
void daxfs_inode_refresh(struct inode *inode);
void daxfs_inode_refresh_locked(struct inode *inode);
/* After a WRITE record: the size and times of @inode from its node. */
void daxfs_inode_refresh_write(struct inode *inode);
int daxfs_getattr_common(struct inode *inode);
extern const struct inode_operations daxfs_symlink_inode_operations;
extern const struct inode_operations daxfs_special_inode_operations;
extern const struct dentry_operations daxfs_dentry_operations;

/* namei.c: changes to the namespace and to attributes */
int daxfs_setattr(struct daxfs_idmap *idmap, struct dentry *dentry,
		  struct iattr *attr);
int daxfs_getattr(struct daxfs_idmap *idmap, const struct path *path,
		  struct kstat *stat, u32 request_mask, unsigned int flags);
/* The last link of @inode went or its last opener left: free its pages. */
void daxfs_release_unlinked(struct inode *inode);

/* write.c */
ssize_t daxfs_file_write_iter(struct kiocb *iocb, struct iov_iter *from);
int daxfs_truncate(struct inode *inode, loff_t size);
vm_fault_t daxfs_fault_mkwrite(struct vm_fault *vmf);
vm_fault_t daxfs_fault_write(struct vm_fault *vmf);
long daxfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len);

/* dir.c */
struct dentry *daxfs_lookup(struct inode *dir, struct dentry *dentry,
			    unsigned int flags);
extern const struct inode_operations daxfs_dir_inode_operations;
extern const struct file_operations daxfs_dir_operations;

/* file.c */
extern const struct inode_operations daxfs_file_inode_operations;
extern const struct file_operations daxfs_file_operations;
extern const struct address_space_operations daxfs_file_aops;
/* The zeroed page holes of shared writable mappings map (module load/unload). */
int daxfs_file_init(void);
void daxfs_file_exit(void);

/*
 * Map one 4 KiB page of a DAXFS mapping at @addr: region memory or a zero
 * page, in a special pte either way (no struct page referenced or pinned).
 * daxfs_file_mmap() makes a mapping VM_PFNMAP or VM_MIXEDMAP.
 */
static inline vm_fault_t daxfs_insert_pfn(struct vm_area_struct *vma,
					  unsigned long addr, unsigned long pfn)
{
	if (vma->vm_flags & VM_PFNMAP)
		return vmf_insert_pfn(vma, addr, pfn);
	return vmf_insert_mixed(vma, addr, pfn_to_pfn_t(pfn));
}

#endif /* _DAXFS_H */
