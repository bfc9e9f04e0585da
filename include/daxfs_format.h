/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * DAXFS in-memory format, version 3.
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
 * Feature masks. A kernel or tool must refuse an image that has an incompat
 * bit it does not know, may mount read-only one with an unknown ro_compat bit,
 * and may ignore unknown compat bits.
 */
#define DAXFS_FEATURE_COMPAT_SUPP	0x0u
#define DAXFS_FEATURE_RO_COMPAT_SUPP	0x0u
/* The image carries a branch table and a delta region (reserved, see issue 3). */
#define DAXFS_FEATURE_INCOMPAT_BRANCHES	0x1u
#define DAXFS_FEATURE_INCOMPAT_SUPP	0x0u

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

/* DT_* value of a mode. */
#define DAXFS_MODE_TO_DT(mode)	(((mode) >> 12) & 15)

#endif /* _DAXFS_FORMAT_H */
