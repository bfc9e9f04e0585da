/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * DAXFS ioctls, issued on any file or directory of a DAXFS mount (the tools
 * use the mount point). Shared by the kernel module and daxfs-branch.
 */
#ifndef _DAXFS_IOCTL_H
#define _DAXFS_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DAXFS_IOC_MAGIC	0xdf

/* What a mount shows (DAXFS_IOC_INFO). */
struct daxfs_ioc_info {
	__u32 slot;		/* branch slot of the mount; 0 for main */
	__u32 state;		/* DAXFS_BRANCH_* of that slot */
	__u64 generation;
	__u32 parent;		/* slot of the parent branch */
	__u32 dead;		/* 1 if the branch was invalidated (ESTALE) */
	__u64 commit_seq;	/* live.commit_seq as the mount last saw it */
	__u64 phys;		/* mount options */
	__u64 size;
	__u64 delta_pages;	/* pages of the delta region */
	__u64 free_pages;	/* free delta pages now */
	char name[48];		/* branch name, NUL-terminated */
};

#define DAXFS_IOC_INFO		_IOR(DAXFS_IOC_MAGIC, 1, struct daxfs_ioc_info)
/*
 * Make the mounted branch's chain the new main. Fails with ESTALE if another
 * commit won first (the branch is then invalid), EROFS on main.
 */
#define DAXFS_IOC_COMMIT	_IO(DAXFS_IOC_MAGIC, 2)
/*
 * Discard the mounted branch's chain back to main. The mount stays, but all
 * file operations on it return ESTALE until it is unmounted.
 */
#define DAXFS_IOC_ABORT		_IO(DAXFS_IOC_MAGIC, 3)

/*
 * A new file descriptor (close-on-exec) of the dma-buf the mount's region is
 * in, returned as the ioctl's value: another process, or the user of a
 * device driver, maps the same memory with it, and a second mount of the
 * region (a branch) is made with it (fsconfig FSCONFIG_SET_FD "dmabuf").
 * Needs CAP_SYS_ADMIN; ENODEV on a mount of physical memory.
 */
#define DAXFS_IOC_DMABUF	_IO(DAXFS_IOC_MAGIC, 4)

/* What a fold did (DAXFS_IOC_FOLD). */
struct daxfs_ioc_fold {
	__u32 fold_slot;	/* slot of the new fold; 0: nothing to fold */
	__u32 slots_freed;	/* slots of folded history given back */
	__u64 records;		/* records of the new fold's log */
	__u64 log_pages;	/* its log pages */
	__u64 pages_freed;	/* delta pages given back */
	__u32 pending;		/* 1: what it left behind waits for a reader */
	__u32 runs;		/* 2 MiB parts of files it moved into runs */
	__u64 ns;		/* time the whole call took */
};

/*
 * Fold main's history now (images made with folding, docs/format.md,
 * Folding): on a mount whose view is main (main, or a committed branch),
 * write main as one log, make it where main's chain starts, and free what
 * earlier history no reader needs. EINVAL on a writable branch, EOPNOTSUPP
 * on an image that does not fold. Needs CAP_SYS_ADMIN.
 */
#define DAXFS_IOC_FOLD		_IOR(DAXFS_IOC_MAGIC, 5, struct daxfs_ioc_fold)

#endif /* _DAXFS_IOCTL_H */
