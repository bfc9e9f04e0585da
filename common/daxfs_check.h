/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Checking of DAXFS images: the one implementation, built into the kernel
 * module and into the userspace tools and fuzzers alike.
 *
 * Every value read from an image goes through one of these functions before
 * it is used. They read each field of the region once into a decoded copy, so
 * a later change of the shared memory (another kernel, a hostile writer) can
 * never turn a checked value into an unchecked one: callers use the copy.
 *
 * All functions return 0 or a negative errno:
 *   -EINVAL      not a DAXFS image at all (bad magic), or a bad argument
 *   -EOPNOTSUPP  an incompat feature bit this code does not know
 *   -EUCLEAN     corrupt (EFSCORRUPTED)
 *   -ENOMEM      daxfs_validate_image() could not allocate its bitmaps
 * and, on error, write a one-line reason to @rep when it is not NULL.
 */
#ifndef _DAXFS_CHECK_H
#define _DAXFS_CHECK_H

#include "daxfs_env.h"
#include "../include/daxfs_format.h"

#ifdef __cplusplus
extern "C" {
#endif

struct daxfs_report {
	char msg[160];
};

/* The decoded, checked superblock. */
struct daxfs_geo {
	u64 region_size;	/* bytes of memory behind the mount */
	u64 image_size;
	u64 inode_off;
	u64 inode_count;
	u64 data_off;
	u64 data_end;		/* data_off + data_size */
	u32 feature_compat;
	u32 feature_ro_compat;
	u32 feature_incompat;
	u8 uuid[16];
	/* With DAXFS_FEATURE_INCOMPAT_BRANCHES, else all 0: */
	u64 branch_off;		/* DAXFS_BRANCH_COUNT entries */
	u64 delta_off;		/* block aligned */
	u64 delta_pages;	/* 4 KiB pages of the delta region */
	u64 meta_pages;		/* pages 0..meta_pages-1 hold the owner table */
};

/* A decoded, checked inode. */
struct daxfs_ino {
	u64 ino;
	u32 mode;
	u32 nlink;
	u32 uid;
	u32 gid;
	u64 size;
	u64 data;
	s64 mtime;
	s64 ctime;
	u32 mtime_nsec;
	u32 ctime_nsec;
	u32 rdev;
	u64 parent;
};

/* A decoded, checked directory entry; @name points into the region. */
struct daxfs_dent {
	u64 ino;
	u32 name_len;
	u32 type;
	const char *name;
};

/* The checksum a superblock must carry (over its fixed part). */
u32 daxfs_super_csum(const struct daxfs_super *sb);

/* Check the superblock of a region of @region_size bytes and decode it. */
int daxfs_check_super(const void *region, u64 region_size,
		      struct daxfs_geo *geo, struct daxfs_report *rep);

/* Check inode number @ino (1-based) of a checked image and decode it. */
int daxfs_read_inode(const void *region, const struct daxfs_geo *geo,
		     u64 ino, struct daxfs_ino *out, struct daxfs_report *rep);

/* Number of entries of a checked directory inode. */
static inline u64 daxfs_dir_count(const struct daxfs_ino *dir)
{
	return dir->size / sizeof(struct daxfs_dirent);
}

/* Check entry @index of checked directory @dir and decode it. */
int daxfs_read_dirent(const void *region, const struct daxfs_geo *geo,
		      const struct daxfs_ino *dir, u64 index,
		      struct daxfs_dent *out, struct daxfs_report *rep);

/* Order of names within a directory: bytewise, a prefix sorts first. */
int daxfs_name_cmp(const char *a, u32 alen, const char *b, u32 blen);

/*
 * Look @name up in checked directory @dir by binary search. Returns 0 and
 * fills @out, -ENOENT, or an error from daxfs_read_dirent().
 */
int daxfs_dir_find(const void *region, const struct daxfs_geo *geo,
		   const struct daxfs_ino *dir, const char *name, u32 len,
		   struct daxfs_dent *out, struct daxfs_report *rep);

/*
 * Pointer to @len bytes at region offset @off if they lie wholly inside the
 * data area, else NULL.
 */
const void *daxfs_data_ptr(const void *region, const struct daxfs_geo *geo,
			   u64 off, u64 len);

/*
 * Check the whole image once, in time linear in its size: the superblock,
 * every inode, every directory entry (names, ranges, sort order, types), and
 * the directory graph (every inode reachable from the root, no directory
 * named twice, parents and link counts consistent).
 */
int daxfs_validate_image(const void *region, u64 region_size,
			 struct daxfs_report *rep);

#ifdef __cplusplus
}
#endif

#endif /* _DAXFS_CHECK_H */
