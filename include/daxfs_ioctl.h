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

#endif /* _DAXFS_IOCTL_H */
