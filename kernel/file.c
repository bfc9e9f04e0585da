// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: regular files, read side and mappings.
 *
 * No page cache: read() copies straight from the region to the user buffer,
 * page by page from wherever the index says each page is (a delta page, the
 * base data, or zeros), and mmap() maps those pages themselves into the
 * process. A private writable mapping gets copy-on-write into anonymous
 * memory from the core mm, since every pte this file installs is special.
 * A shared writable mapping of a branch copies a page it does not own into
 * a new delta page on the first write fault (write.c).
 *
 * Where the kernel can map memory without struct pages 2 MiB at a time
 * (special PMDs, CONFIG_ARCH_SUPPORTS_PMD_PFNMAP: 6.12 on x86-64), a shared
 * mapping of 2 MiB or more is a VM_PFNMAP one and a read fault maps a whole
 * aligned, physically contiguous 2 MiB run of a file with one PMD (mkdaxfs
 * places large files that way). Writes, holes, runs that are not contiguous
 * and private (copy-on-write) mappings use 4 KiB pages. Older kernels' gup
 * would take a special PMD for a struct page: there every mapping is 4 KiB.
 */
#include <linux/fs.h>
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include "daxfs.h"

/* Bytes copied per step of read(), between checks for rescheduling. */
#define DAXFS_READ_CHUNK	SZ_1M

/*
 * The current size of file @inode (index_lock held; a WRITE
 * record may be moving it, see struct daxfs_node).
 */
static u64 daxfs_size_locked(struct inode *inode)
{
	struct daxfs_node *node;

	node = daxfs_node_find(DAXFS_SB(inode->i_sb), inode->i_ino);
	return node ? READ_ONCE(node->v.size) : DAXFS_I(inode)->di.size;
}

/*
 * Bytes at @pos (below @size, at most @want) that read from one contiguous
 * range of the region starting at *@src (NULL: zeros). Pages whose bytes
 * follow each other in the region (base data, consecutive delta pages) are
 * one run, so a large read is a few large copies.
 */
static int daxfs_read_run(struct inode *inode, u64 pos, u64 size, size_t want,
			  const void **src, size_t *len)
{
	size_t n = min_t(u64, size - pos, PAGE_SIZE - offset_in_page(pos));
	struct daxfs_fpage fp;
	int err;

	err = daxfs_index_file_page(inode->i_sb, inode, pos >> PAGE_SHIFT, &fp);
	if (err)
		return err;
	*src = fp.addr ? fp.addr + offset_in_page(pos) : NULL;
	while (n < want && pos + n < size) {
		err = daxfs_index_file_page(inode->i_sb, inode,
					    (pos + n) >> PAGE_SHIFT, &fp);
		if (err)
			return err;
		if (*src ? fp.addr != *src + n : !!fp.addr)
			break;
		n += min_t(u64, size - pos - n, PAGE_SIZE);
	}
	*len = min(n, want);
	return 0;
}

/*
 * Copy up to @max bytes at iocb->ki_pos to @to, run by run, under the
 * index lock and with page faults off: a fault into a mapping of this very
 * mount must not run under the lock. Returns bytes copied; *@fault is set
 * when a copy stopped at an unmapped user page.
 */
static ssize_t daxfs_read_chunk(struct kiocb *iocb, struct iov_iter *to,
				size_t max, bool *fault)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	ssize_t done = 0;
	u64 size;
	int err = 0;

	down_read(&sbi->index_lock);
	size = daxfs_size_locked(inode);
	while (done < max && iov_iter_count(to) && (u64)iocb->ki_pos < size) {
		size_t want = min_t(size_t, iov_iter_count(to), max - done);
		const void *src;
		size_t n, copied;

		err = daxfs_read_run(inode, iocb->ki_pos, size, want, &src, &n);
		if (err)
			break;
		pagefault_disable();
		if (src)
			copied = copy_to_iter(src, n, to);
		else
			copied = iov_iter_zero(n, to);
		pagefault_enable();
		iocb->ki_pos += copied;
		done += copied;
		if (copied < n) {
			*fault = true;
			break;
		}
	}
	up_read(&sbi->index_lock);
	return done ? done : err;
}

static ssize_t daxfs_file_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t done = 0;
	int err;

	err = daxfs_check_live(inode->i_sb);
	if (err)
		return err;
	if (iocb->ki_pos < 0)
		return -EINVAL;
	while (iov_iter_count(to)) {
		bool fault = false;
		ssize_t n = daxfs_read_chunk(iocb, to, DAXFS_READ_CHUNK, &fault);

		if (n < 0)
			return done ? done : n;
		done += n;
		if (fault) {
			/* Bring the user page in without our lock held. */
			size_t want = min_t(size_t, iov_iter_count(to), PAGE_SIZE);

			if (fault_in_iov_iter_writeable(to, want) == want)
				return done ? done : -EFAULT;
		} else if (!n) {
			break;
		}
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	return done;
}

/*
 * A zeroed page mapped for holes in shared mappings that may be written.
 * Newer kernels (6.12) refuse the shared zero page there: a long-term pin of
 * it by get_user_pages() would outlive .pfn_mkwrite replacing it. Like every
 * page of a DAXFS mapping this one is mapped read-only in special ptes (no
 * reference, no pin), so the first store faults into daxfs_fault_mkwrite(),
 * which puts a page of the branch in its place; nothing ever writes to it.
 */
static struct page *daxfs_hole_page;

/* The pfn that maps page @pgoff of @inode in @vma (index locked). */
static int daxfs_fault_pfn(struct vm_area_struct *vma, struct inode *inode,
			   unsigned long addr, pgoff_t pgoff, unsigned long *pfn)
{
	struct daxfs_fpage fp;
	int err;

	err = daxfs_index_file_page(inode->i_sb, inode, pgoff, &fp);
	if (err)
		return err;
	if (fp.addr)
		*pfn = fp.pfn;
	else if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
		 (VM_SHARED | VM_MAYWRITE))
		*pfn = page_to_pfn(daxfs_hole_page);
	else
		*pfn = my_zero_pfn(addr);
	return 0;
}

/*
 * Map the faulting page and, on a read fault, the other pages of its
 * aligned window (within the vma and the file), so access in either
 * direction takes one fault per window. Pages already mapped, e.g. private
 * copies, are left alone by the insertion. The window is
 * DAXFS_FAULT_AROUND pages, or in a mapping that takes PMDs (VM_PFNMAP,
 * see daxfs_mmap_setup()) the whole 2 MiB part: one that could not be
 * mapped with a PMD (its pages scattered over the delta region by commits,
 * until a fold compacts it) still takes one fault.
 */
#define DAXFS_FAULT_AROUND	16

static unsigned long daxfs_fault_window(struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_PFNMAP)
		return PMD_SIZE;
	return DAXFS_FAULT_AROUND << PAGE_SHIFT;
}

static vm_fault_t daxfs_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	const unsigned long window = daxfs_fault_window(vma);
	unsigned long addr = vmf->address, start, stop, a, pfn;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	pgoff_t end;

	if (daxfs_check_live(inode->i_sb))
		return VM_FAULT_SIGBUS;
	if ((vmf->flags & FAULT_FLAG_WRITE) && (vma->vm_flags & VM_SHARED))
		return daxfs_fault_write(vmf);
	down_read(&sbi->index_lock);
	end = DIV_ROUND_UP(daxfs_size_locked(inode), PAGE_SIZE);
	if (vmf->pgoff >= end)
		goto out;
	start = addr;
	stop = addr + PAGE_SIZE;
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		start = max(vma->vm_start, ALIGN_DOWN(addr, window));
		stop = min(vma->vm_end, ALIGN_DOWN(addr, window) + window);
		stop = min(stop, addr + ((end - vmf->pgoff) << PAGE_SHIFT));
	}
	if (daxfs_fault_pfn(vma, inode, addr, vmf->pgoff, &pfn))
		goto out;
	ret = daxfs_insert_pfn(vma, addr, pfn);
	if (ret != VM_FAULT_NOPAGE)
		goto out;
	for (a = start; a < stop; a += PAGE_SIZE) {
		pgoff_t pg = vmf->pgoff + ((long)(a - addr) >> PAGE_SHIFT);

		if (a == addr)
			continue;
		if (daxfs_fault_pfn(vma, inode, a, pg, &pfn) ||
		    daxfs_insert_pfn(vma, a, pfn) != VM_FAULT_NOPAGE)
			break;
	}
out:
	up_read(&sbi->index_lock);
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
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 pos = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	struct daxfs_fpage fp;
	int ret = -EINVAL;
	u64 size;
	size_t n;

	if (write || len <= 0)
		return -EINVAL;
	down_read(&sbi->index_lock);
	size = daxfs_size_locked(inode);
	if (pos >= size)
		goto out;
	n = min3((size_t)len, (size_t)(PAGE_SIZE - offset_in_page(addr)),
		 (size_t)min_t(u64, size - pos, PAGE_SIZE - offset_in_page(pos)));
	ret = daxfs_index_file_page(inode->i_sb, inode, pos >> PAGE_SHIFT, &fp);
	if (ret)
		goto out;
	if (fp.addr)
		memcpy(buf, fp.addr + offset_in_page(pos), n);
	else
		memset(buf, 0, n);
	ret = n;
out:
	up_read(&sbi->index_lock);
	return ret;
}

static const struct vm_operations_struct daxfs_vm_ops = {
	.fault		= daxfs_fault,
	.pfn_mkwrite	= daxfs_fault_mkwrite,
	.access		= daxfs_vma_access,
};

#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
/*
 * daxfs_pmd_run() for a part all of whose pages are delta pages (a run a
 * fold moved, or written so): one walk of the file's page index.
 */
static unsigned long daxfs_pmd_run_delta(struct daxfs_sb_info *sbi,
					 struct daxfs_node *node, pgoff_t pgoff)
{
	XA_STATE(xas, &node->pages, pgoff);
	unsigned long first = 0, pfn, n = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, pgoff + PTRS_PER_PMD - 1) {
		if (xas_retry(&xas, entry))
			continue;
		/* A gap is base data or a hole: not one run of delta pages. */
		if (xas.xa_index != pgoff + n)
			break;
		pfn = daxfs_page_pfn(sbi, daxfs_pref_page(entry));
		if (!n)
			first = pfn;
		if (pfn != first + n)
			break;
		n++;
	}
	rcu_read_unlock();
	return n == PTRS_PER_PMD && IS_ALIGNED(first, PTRS_PER_PMD) ? first : 0;
}

/*
 * The first pfn of pages [@pgoff, @pgoff + PTRS_PER_PMD) of @inode when
 * they are one PMD-aligned, physically contiguous run of region memory (no
 * hole); 0 otherwise. Index locked.
 */
static unsigned long daxfs_pmd_run(struct inode *inode, pgoff_t pgoff)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_node *node = daxfs_node_find(sbi, inode->i_ino);
	unsigned long idx = pgoff, first = 0;
	struct daxfs_fpage fp;
	pgoff_t i;

	if (node && xa_find(&node->pages, &idx, pgoff + PTRS_PER_PMD - 1,
			    XA_PRESENT))
		return daxfs_pmd_run_delta(sbi, node, pgoff);
	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (daxfs_index_file_page(inode->i_sb, inode, pgoff + i, &fp) ||
		    !fp.addr)
			return 0;
		if (!i)
			first = fp.pfn;
		if (!IS_ALIGNED(first, PTRS_PER_PMD) || fp.pfn != first + i)
			return 0;
	}
	return first;
}

/*
 * A read fault in a 2 MiB-aligned part of a shared mapping whose file pages
 * are one aligned run: map it with one read-only PMD. Anything else falls
 * back to 4 KiB pages; a write fault too, on an empty PMD or on a mapped
 * one (which the core then splits), since a branch copies on write 4 KiB
 * at a time.
 */
static vm_fault_t daxfs_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct vm_area_struct *vma = vmf->vma;
	struct inode *inode = file_inode(vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	unsigned long haddr = vmf->address & PMD_MASK, pfn = 0;
	pgoff_t pgoff = linear_page_index(vma, haddr);
	vm_fault_t ret = VM_FAULT_FALLBACK;

	if (order != PMD_ORDER || (vmf->flags & FAULT_FLAG_WRITE) ||
	    haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    !IS_ALIGNED(pgoff, PTRS_PER_PMD))
		return VM_FAULT_FALLBACK;
	if (daxfs_check_live(inode->i_sb))
		return VM_FAULT_SIGBUS;
	down_read(&sbi->index_lock);
	if (pgoff + PTRS_PER_PMD <=
	    DIV_ROUND_UP(daxfs_size_locked(inode), PAGE_SIZE))
		pfn = daxfs_pmd_run(inode, pgoff);
	if (pfn)
		ret = vmf_insert_pfn_pmd(vmf, pfn_to_pfn_t(pfn), false);
	up_read(&sbi->index_lock);
	return ret;
}

static const struct vm_operations_struct daxfs_vm_huge_ops = {
	.fault		= daxfs_fault,
	.huge_fault	= daxfs_huge_fault,
	.pfn_mkwrite	= daxfs_fault_mkwrite,
	.access		= daxfs_vma_access,
};

/*
 * A mapping that is not copy-on-write and spans a PMD can take huge
 * mappings; it must then be VM_PFNMAP (gup refuses such vmas, and never
 * looks for a struct page behind a special PMD). Such a mapping cannot be
 * grown by mremap(); smaller ones can.
 */
static void daxfs_mmap_setup(struct vm_area_struct *vma)
{
	if (!is_cow_mapping(vma->vm_flags) &&
	    vma->vm_end - vma->vm_start >= PMD_SIZE) {
		daxfs_vm_flags_mod(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP,
				   0);
		vma->vm_ops = &daxfs_vm_huge_ops;
		return;
	}
	daxfs_vm_flags_mod(vma, VM_MIXEDMAP, 0);
	vma->vm_ops = &daxfs_vm_ops;
}
#else
static void daxfs_mmap_setup(struct vm_area_struct *vma)
{
	daxfs_vm_flags_mod(vma, VM_MIXEDMAP, 0);
	vma->vm_ops = &daxfs_vm_ops;
}
#endif

/*
 * Map a file straight to the region. The ptes are inserted read-only with
 * the vma's protection. Outside a writable branch a shared mapping can
 * never become writable (VM_MAYWRITE is dropped) and a write to a private
 * mapping copies the page into anonymous memory. In a writable branch a
 * shared mapping's first write to a page makes it a page of the branch.
 */
static int daxfs_file_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(file_inode(file)->i_sb);
	int err = daxfs_check_live(file_inode(file)->i_sb);

	if (err)
		return err;
	if ((vma->vm_flags & VM_SHARED) && !sbi->writable) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		daxfs_vm_flags_mod(vma, 0, VM_MAYWRITE);
	}
	file_accessed(file);
	daxfs_mmap_setup(vma);
	return 0;
}

static int daxfs_file_open(struct inode *inode, struct file *file)
{
	int err = daxfs_check_live(inode->i_sb);

	if (err)
		return err;
	daxfs_inode_refresh(inode);
	atomic_inc(&DAXFS_I(inode)->opens);
	return 0;
}

static int daxfs_file_release(struct inode *inode, struct file *file)
{
	if (!atomic_dec_and_test(&DAXFS_I(inode)->opens))
		return 0;
	/* The last open file: no mapping is left either (each holds a file). */
	daxfs_unpin(DAXFS_SB(inode->i_sb), DAXFS_I(inode));
	if (!inode->i_nlink)
		daxfs_release_unlinked(inode);
	return 0;
}

/*
 * Write back the owned pages of @inode in [@start, @end] (persistent memory,
 * after stores through a shared mapping) and fence.
 */
static void daxfs_persist_file(struct inode *inode, loff_t start, loff_t end)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_node *node;
	unsigned long idx;
	void *entry;

	down_read(&sbi->index_lock);
	node = daxfs_node_find(sbi, inode->i_ino);
	if (node) {
		xa_for_each_range(&node->pages, idx, entry, start >> PAGE_SHIFT,
				  end >> PAGE_SHIFT) {
			u64 v = xa_to_value(entry);

			if (v & 1)
				daxfs_persist(daxfs_page_addr(sbi, v >> 1),
					      PAGE_SIZE);
			cond_resched();
		}
	}
	up_read(&sbi->index_lock);
	pmem_wmb();
}

/*
 * Every write() is in the region (on persistent memory written back from
 * the CPU cache) and its record published before it returns. Stores through
 * a shared mapping sit in the CPU cache: on persistent memory they are
 * written back here.
 */
static int daxfs_fsync(struct file *file, loff_t start, loff_t end,
		       int datasync)
{
	struct inode *inode = file_inode(file);
	int err = daxfs_check_live(inode->i_sb);

	if (err)
		return err;
	if (DAXFS_SB(inode->i_sb)->persistent &&
	    READ_ONCE(DAXFS_I(inode)->map_written) && start <= end)
		daxfs_persist_file(inode, start, end);
	return 0;
}

static loff_t daxfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	int err = daxfs_check_live(inode->i_sb);

	if (err)
		return err;
	daxfs_inode_refresh(inode);
	return generic_file_llseek(file, offset, whence);
}

int __init daxfs_file_init(void)
{
	daxfs_hole_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return daxfs_hole_page ? 0 : -ENOMEM;
}

void daxfs_file_exit(void)
{
	__free_page(daxfs_hole_page);
}

const struct inode_operations daxfs_file_inode_operations = {
	.getattr	= daxfs_getattr,
	.setattr	= daxfs_setattr,
};

/*
 * No page cache is ever used; direct_IO only lets O_DIRECT opens succeed,
 * since every read already goes straight to the region.
 */
const struct address_space_operations daxfs_file_aops = {
	.direct_IO	= noop_direct_IO,
};

const struct file_operations daxfs_file_operations = {
	.open		= daxfs_file_open,
	.release	= daxfs_file_release,
	.llseek		= daxfs_llseek,
	.read_iter	= daxfs_file_read_iter,
	.write_iter	= daxfs_file_write_iter,
	.mmap		= daxfs_file_mmap,
#ifdef CONFIG_ARCH_SUPPORTS_PMD_PFNMAP
	.get_unmapped_area = thp_get_unmapped_area,
#endif
	.splice_read	= daxfs_splice_read,
	.splice_write	= iter_file_splice_write,
	.fsync		= daxfs_fsync,
	.fallocate	= daxfs_fallocate,
	.unlocked_ioctl	= daxfs_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};
