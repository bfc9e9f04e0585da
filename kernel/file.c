// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: regular files.
 *
 * No page cache: read() copies straight from the region to the user buffer,
 * and mmap() maps the region's own pages into the process. A private
 * writable mapping gets copy-on-write into anonymous memory from the core
 * mm, since every pte this file installs is read-only and special.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include "daxfs.h"
#include "compat.h"

/* Bytes copied per step of read(), between checks for rescheduling. */
#define DAXFS_READ_CHUNK	SZ_1M

/* The region bytes of file @inode at [@pos, @pos + @len), or NULL. */
static const void *daxfs_file_ptr(struct inode *inode, u64 pos, u64 len)
{
	const struct daxfs_ino *di = &DAXFS_I(inode)->di;
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_report rep = { };
	const void *p;

	p = daxfs_data_ptr(sbi->region, &sbi->geo, di->data + pos, len);
	if (!p) {
		snprintf(rep.msg, sizeof(rep.msg),
			 "file %llu: bytes %llu+%llu outside the data area",
			 (unsigned long long)di->ino, pos, len);
		daxfs_report_corrupt(inode->i_sb, -EUCLEAN, &rep);
	}
	return p;
}

static ssize_t daxfs_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	u64 size = DAXFS_I(inode)->di.size;
	ssize_t done = 0;

	if (iocb->ki_pos < 0)
		return -EINVAL;
	while (iov_iter_count(to) && (u64)iocb->ki_pos < size) {
		u64 pos = iocb->ki_pos;
		size_t n = min3(iov_iter_count(to), (size_t)DAXFS_READ_CHUNK,
				(size_t)min_t(u64, size - pos, SIZE_MAX));
		const void *p = daxfs_file_ptr(inode, pos, n);
		size_t copied;

		if (!p)
			return done ? done : -EUCLEAN;
		copied = copy_to_iter(p, n, to);
		iocb->ki_pos += copied;
		done += copied;
		if (copied < n)
			return done ? done : -EFAULT;
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	return done;
}

/*
 * Map the faulting page and, on a read fault, the other pages of its
 * DAXFS_FAULT_AROUND-page aligned window (within the vma and the file), so
 * access in either direction takes one fault per window. Pages already
 * mapped, e.g. private copies, are left alone by vmf_insert_mixed().
 */
#define DAXFS_FAULT_AROUND	16

static vm_fault_t daxfs_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	const struct daxfs_ino *di = &DAXFS_I(inode)->di;
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	const unsigned long window = DAXFS_FAULT_AROUND << PAGE_SHIFT;
	pgoff_t end = DIV_ROUND_UP(di->size, PAGE_SIZE);
	unsigned long addr = vmf->address, start, stop, a;
	unsigned long pfn;
	vm_fault_t ret;
	u64 pos;

	if (vmf->pgoff >= end)
		return VM_FAULT_SIGBUS;
	start = addr;
	stop = addr + PAGE_SIZE;
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		start = max(vma->vm_start, ALIGN_DOWN(addr, window));
		stop = min(vma->vm_end, ALIGN_DOWN(addr, window) + window);
		stop = min(stop, addr + ((end - vmf->pgoff) << PAGE_SHIFT));
	}
	/*
	 * The file's bytes in these pages must lie in the data area; the
	 * rest of the last page is in the region too, as the data and the
	 * region are page aligned.
	 */
	pos = ((u64)vmf->pgoff << PAGE_SHIFT) - (addr - start);
	if (!daxfs_file_ptr(inode, pos, min_t(u64, di->size - pos, stop - start)))
		return VM_FAULT_SIGBUS;
	pfn = PHYS_PFN(sbi->phys + di->data + pos);
	ret = vmf_insert_mixed(vma, addr,
			       pfn_to_pfn_t(pfn + ((addr - start) >> PAGE_SHIFT)));
	if (ret != VM_FAULT_NOPAGE)
		return ret;
	for (a = start; a < stop; a += PAGE_SIZE, pfn++)
		if (a != addr &&
		    vmf_insert_mixed(vma, a, pfn_to_pfn_t(pfn)) != VM_FAULT_NOPAGE)
			break;
	return ret;
}

/*
 * Reads of a mapping by another process (ptrace, /proc/PID/mem) cannot go
 * through get_user_pages() on our pfn ptes: copy from the region instead.
 * Writes never get here for pfn pages (a forced write breaks COW first).
 */
static int daxfs_vma_access(struct vm_area_struct *vma, unsigned long addr,
			    void *buf, int len, int write)
{
	struct inode *inode = file_inode(vma->vm_file);
	u64 size = DAXFS_I(inode)->di.size;
	u64 pos = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	const void *p;
	size_t n;

	if (write || len <= 0 || pos >= size)
		return -EINVAL;
	n = min3((size_t)len, (size_t)(PAGE_SIZE - offset_in_page(addr)),
		 (size_t)min_t(u64, size - pos, PAGE_SIZE));
	p = daxfs_file_ptr(inode, pos, n);
	if (!p)
		return -EUCLEAN;
	memcpy(buf, p, n);
	return n;
}

static const struct vm_operations_struct daxfs_vm_ops = {
	.fault		= daxfs_fault,
	.access		= daxfs_vma_access,
};

/*
 * Map a file straight to the region. The ptes are inserted read-only with
 * the vma's protection; a shared mapping can never become writable (the
 * file cannot be opened for writing, and VM_MAYWRITE is dropped), and a
 * write to a private mapping copies the page into anonymous memory.
 */
static int daxfs_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_SHARED) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		daxfs_vm_flags_mod(vma, 0, VM_MAYWRITE);
	}
	file_accessed(file);
	daxfs_vm_flags_mod(vma, VM_MIXEDMAP, 0);
	vma->vm_ops = &daxfs_vm_ops;
	return 0;
}

const struct inode_operations daxfs_file_inode_operations = {
};

/*
 * No page cache is ever used; direct_IO only lets O_DIRECT opens succeed,
 * since every read already goes straight to the region.
 */
const struct address_space_operations daxfs_file_aops = {
	.direct_IO	= noop_direct_IO,
};

const struct file_operations daxfs_file_operations = {
	.llseek		= generic_file_llseek,
	.read_iter	= daxfs_file_read_iter,
	.mmap		= daxfs_file_mmap,
	.splice_read	= daxfs_splice_read,
	.fsync		= noop_fsync,
};
