/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAXFS kernel module: internal declarations shared by its source files.
 */
#ifndef _DAXFS_H
#define _DAXFS_H

#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "daxfs_check.h"
#include "daxfs_log.h"
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
 */
struct daxfs_sb_info {
	void *region;
	phys_addr_t phys;
	u64 size;
	struct daxfs_geo geo;
	bool validate;
	bool persistent;
	struct ratelimit_state corrupt_rs;

	/* --- branches: shared-region side (branch.c, alloc.c, log.c) --- */
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
	struct mutex log_lock;	/* appends to this branch's log */
	u64 log_seq;		/* seq of the last record appended */
	u64 log_tail;		/* DAXFS_TAIL() after it */
	u64 log_head;		/* first log page of the mounted branch */
	u64 __percpu *alloc_hints;	/* per CPU: where to look for a page */
	struct mutex live_lock;	/* daxfs_check_live() slow path */
	bool counted;		/* the mount is counted in its slot's mounts */
	/* the lease of the counted mount (DAXFS_LEASE_NS), renewed by @lease_work */
	u64 lease;		/* the value this mount last stored */
	struct delayed_work lease_work;
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
};

/**
 * struct daxfs_inode_info - a DAXFS inode in memory
 * @di: checked copy of the on-media inode; the region is never read twice
 *	(all zero for an inode created in a branch)
 * @opens: open files of this inode (an unlinked file keeps its pages
 *	until the last one is closed)
 * @map_written: a shared mapping was written: on persistent memory, fsync
 *	writes the file's pages back from the CPU cache
 * @vfs_inode: the VFS inode
 */
struct daxfs_inode_info {
	struct daxfs_ino di;
	atomic_t opens;
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

/* super.c */
void daxfs_report_corrupt(struct super_block *sb, int err,
			  const struct daxfs_report *rep);

/*
 * alloc.c: delta pages. Owner table entries change with cmpxchg only.
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

int daxfs_page_alloc(struct daxfs_sb_info *sbi, unsigned int flags, u64 *page);
void daxfs_alloc_hints_init(struct daxfs_sb_info *sbi, u64 start);
void daxfs_page_free(struct daxfs_sb_info *sbi, u64 page);
void *daxfs_page_addr(struct daxfs_sb_info *sbi, u64 page);
unsigned long daxfs_page_pfn(struct daxfs_sb_info *sbi, u64 page);
u64 daxfs_free_pages(struct daxfs_sb_info *sbi);
/* Give back every page owned by @slot (a DEAD slot with no mounts). */
void daxfs_free_slot_pages(struct daxfs_sb_info *sbi, u32 slot);

/*
 * log.c: append one record to the mounted branch's log. @rec is @len bytes
 * of private memory (header + body, len a multiple of DAXFS_REC_ALIGN);
 * this fills in len, seq and crc, copies it into the log (taking a log page
 * when needed), and publishes the new tail with a release store. Returns 0,
 * -ENOSPC, -EROFS (not writable) or -ESTALE (branch invalidated).
 */
int daxfs_log_append(struct daxfs_sb_info *sbi, struct daxfs_rec *rec, u32 len);
/* Walk the log of @slot (published part), calling @fn for each record. */
int daxfs_log_replay(struct super_block *sb, u32 slot,
		     int (*fn)(struct super_block *sb,
			       const struct daxfs_lrec *rec, bool owned));
/* Find the end (seq, tail) of the mounted branch's log before appending. */
int daxfs_log_attach(struct super_block *sb);
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

/*
 * branch.c: slots, commit, abort, invalidation.
 * daxfs_branch_mount() resolves sbi->opt_branch/opt_parent (both NULL: main)
 * into sbi->slot, gen, chain, writable; it creates the slot for
 * branch=,parent= and counts the mount in the slot.
 * daxfs_branch_unmount() uncounts it and discards the branch (and any
 * detached ancestors left with no children) if nothing else holds it.
 */
int daxfs_branch_mount(struct super_block *sb);
void daxfs_branch_unmount(struct super_block *sb);
/* The work renewing a counted mount's lease (set up at fill_super). */
void daxfs_lease_work(struct work_struct *work);
/*
 * The mount failed after daxfs_branch_mount() (its view does not replay):
 * uncount it; a branch it created is discarded, an attached one is kept.
 */
void daxfs_branch_mount_failed(struct super_block *sb);
int daxfs_branch_commit(struct super_block *sb);
int daxfs_branch_abort(struct super_block *sb);
/*
 * Called at the start of every file operation, without locks held: one
 * load of live.commit_seq. When it moved, rechecks the chain: a main (or
 * committed) mount gets daxfs_index_refresh(); a branch that is no longer
 * valid becomes dead (daxfs_zap_mappings() once) and -ESTALE is returned.
 */
int daxfs_check_live(struct super_block *sb);

/* ioctl.c */
long daxfs_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/*
 * index.c: the in-memory view of the mounted chain (docs/branches.md).
 * daxfs_index_build() replays every log of sbi->chain at mount;
 * daxfs_index_refresh() replays slots appended to sbi->chain since (a main
 * mount following commits); daxfs_index_apply() applies one decoded record,
 * both at replay and on the write path after daxfs_log_append().
 */
int daxfs_index_build(struct super_block *sb);
int daxfs_index_refresh(struct super_block *sb, u32 first_new);
void daxfs_index_destroy(struct super_block *sb);
int daxfs_index_apply(struct super_block *sb, const struct daxfs_lrec *rec,
		      bool owned);
/*
 * Unmap every mapping of every inode of @sb; @even_cows: private copies of
 * their pages too (a branch invalidated: every access faults, SIGBUS).
 */
void daxfs_zap_mappings(struct super_block *sb, bool even_cows);

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
	struct mutex wlock;	/* records about this inode, in order */
	seqlock_t lock;		/* size and times */
	u64 ino;
	u32 mode, uid, gid, nlink, rdev;
	u64 size;
	struct timespec64 atime, mtime, ctime;
	u64 parent;		/* directories: the directory holding it */
	bool has_base;		/* an inode of the base image: @base */
	struct daxfs_ino base;
	/* regular files: index -> xa_mk_value(delta page << 1 | owned) */
	struct xarray pages;
	u64 base_limit;		/* base data is visible below this only */
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
};

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
int daxfs_index_lookup(struct super_block *sb, struct inode *dir,
		       const char *name, u32 len, u64 *ino, u32 *type);
/* Next entry of @dir at or after cookie @pos; -ENOENT at the end. */
int daxfs_index_readdir(struct super_block *sb, struct inode *dir, u64 pos,
			u64 *cookie, u64 *ino, u32 *type, char *name,
			u32 *len);
int daxfs_index_file_page(struct super_block *sb, struct inode *inode,
			  u64 index, struct daxfs_fpage *out);
/* Allocations a record will need, done before it is appended. */
int daxfs_index_prepare(struct super_block *sb, const struct daxfs_lrec *rec);
/*
 * Before a live WRITE record is appended (node->wlock held): -EAGAIN when a
 * page it maps is already owned (a racing fault or write copied it first)
 * or lies past the size; the caller looks again.
 */
int daxfs_index_write_check(struct super_block *sb, struct daxfs_node *node,
			    const struct daxfs_lrec *rec);
/* Directory @node has no entries. */
bool daxfs_index_dir_empty(struct super_block *sb, struct daxfs_node *node);
/* Move every owned page of @node (file data, symlink) to sbi->drop_to. */
void daxfs_index_drop_pages(struct daxfs_sb_info *sbi, struct daxfs_node *node);
/* live.commit_seq moved since daxfs_check_live() last looked (no locks). */
bool daxfs_live_moved(struct daxfs_sb_info *sbi);
/* Free the pages in @drops (after the record dropping them is public). */
void daxfs_index_free_drops(struct daxfs_sb_info *sbi, struct xarray *drops);

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

/*
 * namei.c: every mutation of a writable branch. daxfs_commit_rec() appends
 * @rec, decodes and applies it under sbi->index_lock; owned pages it drops
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

#endif /* _DAXFS_H */
