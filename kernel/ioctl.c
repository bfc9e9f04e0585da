// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: ioctls on any file or directory of a mount (include/daxfs_ioctl.h).
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "daxfs.h"
#include "daxfs_ioctl.h"

static long daxfs_ioc_info(struct super_block *sb, void __user *arg)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_ioc_info info = { };
	struct daxfs_report rep = { };
	struct daxfs_br br;

	/* Catch up first, so a stale branch shows dead = 1. */
	daxfs_check_live(sb);
	info.slot = sbi->slot;
	info.state = DAXFS_BRANCH_MAIN;
	info.generation = sbi->gen;
	info.dead = READ_ONCE(sbi->dead);
	info.commit_seq = READ_ONCE(sbi->seen_seq);
	info.phys = sbi->phys;
	info.size = sbi->size;
	info.delta_pages = sbi->geo.delta_pages;
	info.free_pages = daxfs_free_pages(sbi);
	strscpy(info.name, "main", sizeof(info.name));
	if (sbi->branching && sbi->slot != DAXFS_MAIN_SLOT) {
		if (!daxfs_read_branch(sbi->region, &sbi->geo, sbi->slot, &br, &rep) &&
		    br.generation == sbi->gen) {
			info.state = br.state;
			info.parent = br.parent;
		} else {
			info.state = DAXFS_BRANCH_DEAD;
		}
		strscpy(info.name, sbi->opt_branch, sizeof(info.name));
	}
	if (copy_to_user(arg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static long daxfs_ioc_fold(struct super_block *sb, void __user *arg)
{
	struct daxfs_ioc_fold st;
	u64 start = ktime_get_ns();
	int err;

	err = daxfs_check_live(sb);
	if (!err)
		err = daxfs_fold(sb, &st, 2000);
	if (err)
		return err;
	st.ns = ktime_get_ns() - start;
	if (copy_to_user(arg, &st, sizeof(st)))
		return -EFAULT;
	return 0;
}

/* A commit, then a fold when history grew long (not its error: it is done). */
static long daxfs_ioc_commit(struct super_block *sb)
{
	int err = daxfs_branch_commit(sb);

	if (!err)
		daxfs_fold_tick(sb);
	return err;
}

long daxfs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct super_block *sb = file_inode(file)->i_sb;

	switch (cmd) {
	case DAXFS_IOC_INFO:
		return daxfs_ioc_info(sb, (void __user *)arg);
	case DAXFS_IOC_COMMIT:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return daxfs_ioc_commit(sb);
	case DAXFS_IOC_ABORT:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return daxfs_branch_abort(sb);
	case DAXFS_IOC_FOLD:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return daxfs_ioc_fold(sb, (void __user *)arg);
	case DAXFS_IOC_DMABUF:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return daxfs_dmabuf_fd(sb);
	default:
		return -ENOTTY;
	}
}
