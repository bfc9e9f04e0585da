/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * DAXFS in-memory format, version 3 (with branches: feature INCOMPAT_BRANCHES).
 *
 * This header is the single definition of the format. It is shared by the
 * kernel module (kernel/) and the userspace tools (tools/, mkdaxfs/, ...),
 * and must stay valid C89-style declarations usable from C and C++.
 *
 * Every multi-byte field is little-endian. Every offset is in bytes from the
 * start of the region (the superblock). docs/format.md explains the layout.
 *
 *   0        4 KiB                                                  image_size
 *   +--------+---------------+-------------------------------------+
 *   | super  | inode table   | data area                           |
 *   +--------+---------------+-------------------------------------+
 *            ^ inode_off     ^ data_off (both block aligned)
 *
 * With DAXFS_FEATURE_INCOMPAT_BRANCHES a branch table follows the superblock
 * and a delta region ends the image:
 *
 *   +-------+--------------+-------------+-----------+----------------------+
 *   | super | branch table | inode table | data area | delta region         |
 *   +-------+--------------+-------------+-----------+----------------------+
 *           ^ branch_off                             ^ delta_off  image_size ^
 */
#ifndef _DAXFS_FORMAT_H
#define _DAXFS_FORMAT_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <linux/build_bug.h>
#else
#include <assert.h>
#endif

#define DAXFS_SUPER_MAGIC	0x53465844	/* "DXFS" read as a __le32 */
#define DAXFS_VERSION		3
#define DAXFS_BLOCK_SIZE	4096
#define DAXFS_BLOCK_SHIFT	12
#define DAXFS_ROOT_INO		1	/* inode numbers start at 1; 0 is never used */
#define DAXFS_NAME_MAX		255	/* NAME_MAX */
#define DAXFS_SYMLINK_MAX	4095	/* PATH_MAX - 1 */
#define DAXFS_DIR_ALIGN		8	/* alignment of a directory's dirent array */

/*
 * Placement of large files (a rule of mkdaxfs, not of validity: readers
 * accept any block-aligned file data). A regular file of DAXFS_HUGE_SIZE bytes
 * or more has its content at a region offset that is a multiple of
 * DAXFS_HUGE_SIZE (2 MiB, the x86-64 PMD size), contiguous as every file's.
 * In a region that starts at a 2 MiB-aligned physical address each whole
 * 2 MiB of such a file can then be mapped with one PMD. A reader checks the
 * alignment of @data and of the region before it maps 2 MiB at once, and
 * falls back to 4 KiB pages where it does not hold.
 */
#define DAXFS_HUGE_SIZE		(2u << 20)

/*
 * Feature masks. A kernel or tool must refuse an image that has an incompat
 * bit it does not know, may mount read-only one with an unknown ro_compat bit,
 * and may ignore unknown compat bits.
 */
#define DAXFS_FEATURE_COMPAT_SUPP	0x0u
#define DAXFS_FEATURE_RO_COMPAT_SUPP	0x0u
/* The image carries a branch table and a delta region (see below). */
#define DAXFS_FEATURE_INCOMPAT_BRANCHES	0x1u
/*
 * Main's history may be folded (see "Folding" below): main's chain may start
 * with a fold slot, and every mount registers in live.readers. Only with
 * INCOMPAT_BRANCHES. An image without it never folds.
 */
#define DAXFS_FEATURE_INCOMPAT_FOLD	0x2u
#define DAXFS_FEATURE_INCOMPAT_SUPP	(DAXFS_FEATURE_INCOMPAT_BRANCHES | \
					 DAXFS_FEATURE_INCOMPAT_FOLD)

/* Bytes of the superblock covered by its checksum; the rest is live state. */
#define DAXFS_SUPER_FIXED_SIZE	2048

/*
 * The superblock: the first 4 KiB of the region.
 *
 * Bytes [0, DAXFS_SUPER_FIXED_SIZE) are written once by mkdaxfs and covered
 * by @checksum. Bytes [DAXFS_SUPER_FIXED_SIZE, 4096) hold words that mounts
 * change at run time with atomics (branch coordination); they are zero in a
 * fresh image and are not covered by the checksum.
 */
struct daxfs_super {
	__le32 magic;		/* DAXFS_SUPER_MAGIC */
	__le32 version;		/* DAXFS_VERSION */
	__le32 checksum;	/* crc32c of the fixed part, this field as 0 */
	__le32 block_size;	/* DAXFS_BLOCK_SIZE */
	__le32 feature_compat;
	__le32 feature_ro_compat;
	__le32 feature_incompat;
	__le32 root_ino;	/* DAXFS_ROOT_INO */
	__le64 image_size;	/* bytes used by the image; region may be larger */
	__le64 inode_off;	/* block-aligned start of the inode table */
	__le64 inode_count;	/* entries in the inode table */
	__le64 data_off;	/* block-aligned start of the data area */
	__le64 data_size;	/* bytes in the data area */
	__le64 branch_off;	/* branch table, 0 without INCOMPAT_BRANCHES */
	__le64 branch_count;	/* branch table entries */
	__le64 delta_off;	/* delta region, 0 without INCOMPAT_BRANCHES */
	__le64 delta_size;	/* bytes in the delta region */
	__u8 uuid[16];		/* identifies the image; derived from content */
	__u8 reserved[DAXFS_SUPER_FIXED_SIZE - 120];	/* zero */
	__u8 live[4096 - DAXFS_SUPER_FIXED_SIZE];	/* run-time words, zero */
};

/* Inode flags (none defined yet; must be zero). */
#define DAXFS_INODE_FLAGS_SUPP	0x0u

/*
 * An inode: one fixed 64-byte entry of the inode table. Inode number N is
 * entry N - 1.
 *
 * @data and @size depend on the file type:
 * - regular file: @size bytes of content at @data; @data is block aligned
 *   whenever @size is non-zero, so every page can be mapped straight into a
 *   process, and the bytes after the content up to the next block boundary
 *   are zero. An empty file has @data 0.
 * - directory: an array of @size / sizeof(struct daxfs_dirent) entries at
 *   @data (DAXFS_DIR_ALIGN aligned), sorted by name (see daxfs_name_cmp()).
 *   @parent is the inode number of the directory holding it (the root
 *   directory is its own parent).
 * - symlink: @size bytes of target (1..DAXFS_SYMLINK_MAX) at @data, followed
 *   by a zero byte.
 * - character/block device: @rdev holds the device number, encoded as
 *   the kernel's new_encode_dev(). @size and @data are 0.
 * - FIFO, socket: @size and @data are 0.
 */
struct daxfs_inode {
	__le16 mode;		/* file type and permission bits (S_IFMT | 07777) */
	__le16 flags;		/* DAXFS_INODE_FLAGS_SUPP */
	__le32 nlink;		/* names of this inode; 2 + subdirs for a dir */
	__le32 uid;
	__le32 gid;
	__le64 size;
	__le64 data;		/* byte offset from the region start */
	__le64 mtime;		/* seconds since the epoch, signed */
	__le64 ctime;		/* seconds since the epoch, signed */
	__le32 mtime_nsec;	/* < 1000000000 */
	__le32 ctime_nsec;	/* < 1000000000 */
	__le32 rdev;		/* devices only, else 0 */
	__le32 parent;		/* directories only, else 0 */
};

/*
 * A directory entry: fixed size, name inline. @type is the DT_* value of the
 * target (the S_IFMT bits of its mode shifted right by 12) and must match it.
 * Names are 1..DAXFS_NAME_MAX bytes, contain neither '/' nor NUL, are never
 * "." or "..", and bytes of @name past @name_len are zero.
 */
struct daxfs_dirent {
	__le32 ino;
	__le16 name_len;
	__u8 type;
	__u8 reserved;		/* zero */
	char name[DAXFS_NAME_MAX + 1];
};

static_assert(sizeof(struct daxfs_super) == 4096, "daxfs_super is 4 KiB");
static_assert(sizeof(struct daxfs_inode) == 64, "daxfs_inode is 64 bytes");
static_assert(sizeof(struct daxfs_dirent) == 264, "daxfs_dirent is 264 bytes");
static_assert(DAXFS_HUGE_SIZE % DAXFS_BLOCK_SIZE == 0, "huge pages are whole blocks");

/* DT_* value of a mode. */
#define DAXFS_MODE_TO_DT(mode)	(((mode) >> 12) & 15)

/* ------------------------------------------------------------------------
 * Branches (DAXFS_FEATURE_INCOMPAT_BRANCHES)
 *
 * The base image above is never written. Changes live in branches: a branch
 * is a log of records over its parent branch; slot 0 of the branch table is
 * "main" at the base image. main is the base image plus the chain of
 * committed branches ending at live.main_head. All words shared between
 * mounts (possibly in different kernels) are changed only with atomic
 * instructions (cmpxchg, atomic add) on naturally aligned little-endian words.
 */

#define DAXFS_BRANCH_COUNT	256	/* entries in the branch table */
#define DAXFS_BRANCH_NAME_MAX	47	/* bytes of a branch name */
#define DAXFS_MAIN_SLOT		0
#define DAXFS_READER_COUNT	64	/* entries of live.readers */

/*
 * An entry of live.readers (INCOMPAT_FOLD): one per mount, in any kernel.
 * A mount takes a free entry (@beat 0) with a cmpxchg to a first heartbeat
 * (DAXFS_BEAT_MARK set) and moves @beat on as a slot's heartbeat (the rules
 * of struct daxfs_branch.heartbeat below). @seen is the commit_seq of the
 * mount's view: the slots a fold published at commit_seq N replaced are
 * freed only when every live entry has @seen >= N. @pin is 0, or the
 * commit_seq of the oldest view whose pages the mount still reads (an open
 * file a later commit deleted): while a live entry has a @pin below N, the
 * pages those slots held are kept (handed to the fold slot) instead of
 * freed.
 */
struct daxfs_reader {
	__le64 beat;
	__le64 seen;
	__le64 pin;
};

/*
 * Live words: the struct at superblock offset DAXFS_SUPER_FIXED_SIZE (the
 * "live" bytes). mkdaxfs writes their first values; mounts change them.
 */
struct daxfs_live {
	/*
	 * The newest committed branch: DAXFS_HEAD(slot, generation). Starts as
	 * DAXFS_HEAD(DAXFS_MAIN_SLOT, 0). A commit is one cmpxchg of this word.
	 */
	__le64 main_head;
	/*
	 * Bumped after every commit and every abort: a mount loads it at the
	 * start of each operation and rechecks its chain only when it moved.
	 */
	__le64 commit_seq;
	__le64 next_ino;	/* next inode number for a new file (atomic add) */
	__le64 table_lock;	/* 0, or the id of the mount changing slots */
	__le64 alloc_hint;	/* delta page where the next allocation looks */
	__le64 free_pages;	/* FREE pages of the owner table (atomic add) */
	/*
	 * Moved (+1) about every 500 ms by the kernel of the mount holding
	 * table_lock, while it holds it: a waiter takes the lock over only
	 * when neither word moved for DAXFS_LEASE_NS of its own clock.
	 */
	__le64 table_beat;
	/*
	 * INCOMPAT_FOLD: DAXFS_HEAD(slot, generation) of the newest fold of
	 * main (0: none); a fold is published with one cmpxchg of this word.
	 */
	__le64 fold_head;
	/*
	 * INCOMPAT_FOLD: 0, or the commit_seq every reader must have seen
	 * before the pages the newest fold left behind are freed.
	 */
	__le64 fold_need;
	struct daxfs_reader readers[DAXFS_READER_COUNT];
	__u8 reserved[4096 - DAXFS_SUPER_FIXED_SIZE - 72 -
		      DAXFS_READER_COUNT * 24];	/* zero at mkfs */
};

#define DAXFS_HEAD(slot, gen)	(((__u64)(gen) << 8) | (slot))
#define DAXFS_HEAD_SLOT(head)	((__u32)((head) & 0xff))
#define DAXFS_HEAD_GEN(head)	((head) >> 8)

/* Branch states (struct daxfs_branch.state). */
#define DAXFS_BRANCH_FREE	0	/* unused slot */
#define DAXFS_BRANCH_MAIN	1	/* slot 0 only: the base image */
#define DAXFS_BRANCH_ACTIVE	2	/* a live branch */
#define DAXFS_BRANCH_COMMITTED	3	/* part of main; never changes again */
#define DAXFS_BRANCH_DEAD	4	/* aborted/discarded; pages being freed */
#define DAXFS_BRANCH_CLAIMED	5	/* taken, being filled in by its creator */

/*
 * An entry of the branch table (DAXFS_BRANCH_COUNT x 128 bytes at
 * branch_off). @state changes only with cmpxchg. A slot's fields other than
 * @state, @log_tail, @pages, @mounts, @heartbeat and @owner are written only
 * while its state is CLAIMED.
 *
 * The log of a branch is a chain of log pages in the delta region, starting
 * at @log_head. @log_tail is DAXFS_TAIL(page, offset): the end of the last
 * complete record. It is published with a release store after the record is
 * written (and flushed, on persistent memory), so a reader that loads it
 * with acquire semantics sees whole records only, and a crash at any instant
 * leaves a clean prefix.
 */
struct daxfs_branch {
	__le32 state;		/* DAXFS_BRANCH_* */
	__le32 parent;		/* slot of the parent (main: itself, 0) */
	__le64 generation;	/* bumped each time the slot is claimed */
	__le64 parent_gen;	/* generation of the parent at creation */
	__le64 log_head;	/* delta page of the first log page, 0: none */
	__le64 log_tail;	/* DAXFS_TAIL() of the log's end, 0: empty */
	__le64 pages;		/* delta pages owned (data and log) */
	__le64 created;		/* creation time, ns since the epoch */
	__le64 owner;		/* id of the mount that created it */
	__le32 mounts;		/* mounts of this branch now (0 or 1) */
	__le32 flags;		/* DAXFS_BRANCH_F_*, written while CLAIMED */
	__le64 heartbeat;	/* while mounted: its mount's heartbeat, else 0 */
	char name[DAXFS_BRANCH_NAME_MAX + 1];	/* NUL-padded */
};

/*
 * Folding (INCOMPAT_FOLD). A fold slot has state COMMITTED and the flag
 * DAXFS_BRANCH_F_FOLD: its log alone, replayed over the base image, gives
 * main as it was at head DAXFS_HEAD(@parent, @parent_gen), its "top" (the
 * records are those of common/daxfs_fold.h; its pages are its own or, until
 * the folder hands them over, still owned by the folded slots, which are
 * COMMITTED; it may also own pages it does not name, kept for a reader's
 * pin). When live.fold_head names it, main's chain is walked from
 * main_head by parent links as before, but stops at the top: the fold slot
 * takes the place of the top and of everything before it. Slots the walk
 * no longer reaches are garbage. Once every reader has seen live.fold_need,
 * the pages the fold names are handed to the fold slot, the other pages of
 * the garbage slots are freed (or, while a reader's pin is below
 * fold_need, handed to the fold slot too), then the slots are freed.
 */
#define DAXFS_BRANCH_F_FOLD	0x1u
#define DAXFS_BRANCH_F_SUPP	DAXFS_BRANCH_F_FOLD

/*
 * Liveness without a shared clock. The mount counted in a slot's @mounts
 * keeps a heartbeat in @heartbeat: it stores a random first value with
 * DAXFS_BEAT_MARK set, and moves it on (+1, the mark kept) with a cmpxchg
 * from the value it stored last at least every DAXFS_LEASE_RENEW_NS. An
 * observer, in any kernel, keeps the last value it saw and when it saw it
 * change by its own monotonic clock; a heartbeat that has not moved for
 * DAXFS_LEASE_NS of that clock (or is 0 with @mounts set) belongs to a kernel
 * that stopped. An observer with no history watches for a whole
 * DAXFS_LEASE_NS before it judges. Another mount may then take the branch
 * over (cmpxchg of @heartbeat to a first value of its own) or uncount the
 * mount (cmpxchg to 0); a holder whose cmpxchg fails lost the branch.
 *
 * Images written before heartbeats hold a wall-clock time (ns since the
 * epoch, below 2^63) here: to a new kernel it is a heartbeat that stopped.
 * An older kernel reads a heartbeat (2^63 and more) as a lease that runs
 * until the year 2262, so it never takes a branch from a newer one.
 */
#define DAXFS_BEAT_MARK		0x8000000000000000ull
#define DAXFS_LEASE_NS		5000000000ull
#define DAXFS_LEASE_RENEW_NS	1000000000ull

/* @off may be 4096: the end of a full page is the start of the next one. */
#define DAXFS_TAIL(page, off)	(((__u64)(page) << 12) + (off))
#define DAXFS_TAIL_PAGE(tail)	((tail) >> 12)
#define DAXFS_TAIL_OFF(tail)	((__u32)((tail) & 0xfff))

/*
 * The delta region: delta_size bytes at delta_off, both block aligned, cut
 * into 4 KiB pages numbered from 0 at delta_off. It starts with the owner
 * table, one __le32 per page of the delta region, which says who owns each
 * page: DAXFS_OWNER_FREE, DAXFS_OWNER_META (the owner table's own pages),
 * or DAXFS_OWNER(slot) for a page of that branch (a log page or a data
 * page). Pages are taken with cmpxchg FREE -> OWNER(slot) and given back
 * with a store of FREE. Page 0 is always META, so page number 0 means "none".
 */
#define DAXFS_OWNER_FREE	0u
#define DAXFS_OWNER_META	0xffffffffu
#define DAXFS_OWNER(slot)	((__u32)(slot) + 1)

/* A log page: this header, then records, 8-byte aligned. */
struct daxfs_log_page {
	__le64 next;		/* delta page of the next log page, 0: last */
	__le32 owner;		/* DAXFS_OWNER() of the branch */
	__le32 reserved;	/* zero */
};

#define DAXFS_LOG_START		sizeof(struct daxfs_log_page)
#define DAXFS_REC_ALIGN		8
#define DAXFS_REC_MAX		(DAXFS_BLOCK_SIZE - DAXFS_LOG_START)

/* Record types. */
enum {
	DAXFS_REC_WRITE = 1,	/* map file pages; set size, mtime */
	DAXFS_REC_TRUNCATE,	/* set size, drop pages past it */
	DAXFS_REC_CREATE,	/* new regular file */
	DAXFS_REC_MKDIR,
	DAXFS_REC_SYMLINK,	/* new symlink; target in a data page */
	DAXFS_REC_MKNOD,	/* new device, FIFO or socket */
	DAXFS_REC_LINK,		/* new name for an existing inode */
	DAXFS_REC_UNLINK,	/* remove a name (file or empty directory) */
	DAXFS_REC_RENAME,
	DAXFS_REC_SETATTR,
	DAXFS_REC_TYPE_MAX = DAXFS_REC_SETATTR,
};

/*
 * Every record starts with this header. @len counts the header and body,
 * is a multiple of DAXFS_REC_ALIGN and at most DAXFS_REC_MAX; a record never
 * crosses a log page. @crc is crc32c of the @len bytes with @crc as 0.
 * @seq is 1 for a branch's first record and grows by one. @time is the
 * operation's time (ns since the epoch, signed): the new ctime of @ino, and
 * the new mtime of what the record modifies (a file's content, a directory's
 * entries).
 */
struct daxfs_rec {
	__le16 type;
	__le16 len;
	__le32 crc;
	__le64 seq;
	__le64 ino;		/* the inode the record is about */
	__le64 time;
};

/* One file page of a WRITE record. */
struct daxfs_rec_page {
	__le64 index;		/* page index in the file */
	__le64 page;		/* delta page holding that page's bytes now */
};

/*
 * WRITE: file @ino now has @size bytes, and page @map[i].index of it is
 * delta page @map[i].page (a page this branch owns, taken for this record).
 * Pages not named keep their old contents. Bytes of a page past @size are 0.
 */
struct daxfs_rec_write {
	struct daxfs_rec h;
	__le64 size;
	__le32 count;		/* entries of @map */
	__le32 reserved;	/* zero */
	struct daxfs_rec_page map[];
};

/*
 * TRUNCATE: file @ino now has @size bytes; pages wholly past @size are
 * dropped, and base data past @size is never seen again. The part of the
 * last page past @size was already zeroed (by a WRITE, if needed).
 */
struct daxfs_rec_truncate {
	struct daxfs_rec h;
	__le64 size;
};

/*
 * CREATE, MKDIR, SYMLINK, MKNOD: new inode @h.ino named @name in directory
 * @parent. A symlink's target is the first @size bytes of delta page @page
 * (1..DAXFS_SYMLINK_MAX bytes, no NUL); other types have @page and @size 0.
 * @name follows the struct, @name_len bytes, no NUL; the record is
 * zero-padded to DAXFS_REC_ALIGN.
 */
struct daxfs_rec_create {
	struct daxfs_rec h;
	__le64 parent;
	__le64 page;
	__le64 size;
	__le32 mode;		/* S_IFMT | 07777, type matching the record */
	__le32 uid;
	__le32 gid;
	__le32 rdev;		/* new_encode_dev(), MKNOD of a device only */
	__le16 name_len;
	__u8 reserved[6];	/* zero */
	char name[];
};

/*
 * LINK: new name @name in @parent for inode @h.ino (not a directory).
 * UNLINK: remove name @name from @parent; it named inode @h.ino (an empty
 * directory, or a file whose link count drops by one).
 */
struct daxfs_rec_name {
	struct daxfs_rec h;
	__le64 parent;
	__le16 name_len;
	__u8 reserved[6];	/* zero */
	char name[];
};

/*
 * RENAME: move name @names[0, old_len) of @old_parent to
 * @names[old_len, old_len + new_len) of @new_parent; @h.ino is the inode
 * moved. @flags is 0, RENAME_NOREPLACE (1) or RENAME_EXCHANGE (2). Without
 * EXCHANGE an existing target is removed as by UNLINK; with EXCHANGE the two
 * names swap inodes.
 */
struct daxfs_rec_rename {
	struct daxfs_rec h;
	__le64 old_parent;
	__le64 new_parent;
	__le32 flags;
	__le16 old_len;
	__le16 new_len;
	char names[];
};

/* RENAME flags (the values of renameat2()'s). */
#define DAXFS_RENAME_NOREPLACE	0x1u
#define DAXFS_RENAME_EXCHANGE	0x2u

/* SETATTR bits. */
#define DAXFS_ATTR_MODE		0x1u	/* permission bits (07777) */
#define DAXFS_ATTR_UID		0x2u
#define DAXFS_ATTR_GID		0x4u
#define DAXFS_ATTR_MTIME	0x8u
#define DAXFS_ATTR_ATIME	0x10u
#define DAXFS_ATTR_SUPP		0x1fu

/* SETATTR: change the attributes named by @valid; ctime becomes @h.time. */
struct daxfs_rec_setattr {
	struct daxfs_rec h;
	__le32 valid;
	__le32 mode;
	__le32 uid;
	__le32 gid;
	__le64 mtime;		/* ns since the epoch */
	__le64 atime;		/* ns since the epoch */
};

static_assert(sizeof(struct daxfs_live) == 4096 - DAXFS_SUPER_FIXED_SIZE,
	      "daxfs_live fills the live half of the superblock");
static_assert(sizeof(struct daxfs_branch) == 128, "daxfs_branch is 128 bytes");
static_assert(sizeof(struct daxfs_rec) == 32, "daxfs_rec is 32 bytes");
static_assert(sizeof(struct daxfs_rec_create) == 80, "rec_create is 80 bytes");
static_assert(sizeof(struct daxfs_rec_name) == 48, "rec_name is 48 bytes");
static_assert(sizeof(struct daxfs_rec_rename) == 56, "rec_rename is 56 bytes");
static_assert(sizeof(struct daxfs_rec_setattr) == 64, "rec_setattr is 64 bytes");

#endif /* _DAXFS_FORMAT_H */
