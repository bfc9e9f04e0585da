// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: writing file data in a branch.
 *
 * A branch writes only delta pages it owns. A page of the file that is not
 * one of them (base data, an ancestor's page, a hole) is copied into a new
 * page first (copy-on-write at page granularity), and a WRITE record maps
 * the new pages into the file. A page the branch owns is written in place.
 * Pages taken but not logged (a failed append) go straight back; owned
 * pages a record drops are freed once it is published and the file's
 * mappings of them are gone.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pfn_t.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/xarray.h>

#include "daxfs.h"

/* Pages one WRITE record can map. */
#define DAXFS_WRITE_MAX	((DAXFS_REC_MAX - sizeof(struct daxfs_rec_write)) / \
			 sizeof(struct daxfs_rec_page))

/* A WRITE record being filled. */
struct daxfs_wbatch {
	struct daxfs_rec_write *rec;
	u32 count;
	u32 max;		/* entries @rec has room for */
	u64 size;		/* file size the record sets */
	pgoff_t first, last;	/* pages touched, for unmapping */
	bool any;
};

/* Node of a regular file of a writable branch (index_lock held). */
static struct daxfs_node *daxfs_wnode(struct inode *inode)
{
	return daxfs_node_find(DAXFS_SB(inode->i_sb), inode->i_ino);
}

static u64 daxfs_cur_size(struct inode *inode)
{
	struct daxfs_node *node = daxfs_wnode(inode);

	return node ? node->size : DAXFS_I(inode)->di.size;
}

/*
 * Where page @index of @inode is now, and the file size (index_lock taken
 * here for read).
 */
static int daxfs_wresolve(struct inode *inode, pgoff_t index,
			  struct daxfs_fpage *fp, u64 *size)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	int err;

	down_read(&sbi->index_lock);
	err = daxfs_index_file_page(inode->i_sb, inode, index, fp);
	if (size)
		*size = daxfs_cur_size(inode);
	up_read(&sbi->index_lock);
	return err;
}

/* Copy bytes [@start, PAGE_SIZE) of page @index of @inode to @dst. */
static int daxfs_fill_from(struct inode *inode, pgoff_t index, void *dst,
			   size_t start)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_fpage fp;
	int err;

	down_read(&sbi->index_lock);
	err = daxfs_index_file_page(inode->i_sb, inode, index, &fp);
	if (!err) {
		if (fp.addr)
			memcpy(dst + start, fp.addr + start, PAGE_SIZE - start);
		else
			memset(dst + start, 0, PAGE_SIZE - start);
	}
	up_read(&sbi->index_lock);
	return err;
}

/*
 * Take a new page for @index of @inode and, with @fill, fill it with the
 * page's current bytes (all of them: the caller overwrites what it writes).
 */
static int daxfs_cow_page(struct inode *inode, pgoff_t index, u64 *page,
			  bool fill)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	int err;

	err = daxfs_page_alloc(sbi, false, page);
	if (err || !fill)
		return err;
	err = daxfs_fill_from(inode, index, daxfs_page_addr(sbi, *page), 0);
	if (err)
		daxfs_page_free(sbi, *page);
	return err;
}

/* Unmap pages [@first, @last] of @inode from every process. */
static void daxfs_unmap_pages(struct inode *inode, pgoff_t first, pgoff_t last)
{
	if (mapping_mapped(inode->i_mapping))
		unmap_mapping_range(inode->i_mapping, (loff_t)first << PAGE_SHIFT,
				    (loff_t)(last - first + 1) << PAGE_SHIFT, 0);
}

/*
 * A WRITE record that maps no page only moves the size and the times: not
 * needed when neither would change (rewrites in place of owned pages within
 * one tick of the coarse clock the records use, like current_time()).
 */
static bool daxfs_wbatch_idle(struct inode *inode, struct daxfs_wbatch *b)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	s64 now = ktime_get_coarse_real_ns();
	struct daxfs_node *node;
	bool idle;

	if (b->count)
		return false;
	down_read(&sbi->index_lock);
	node = daxfs_wnode(inode);
	idle = node && node->size == b->size &&
	       timespec64_to_ns(&node->mtime) == now &&
	       timespec64_to_ns(&node->ctime) == now;
	up_read(&sbi->index_lock);
	return idle;
}

/*
 * Append and apply the WRITE record of @b. On failure the pages it would
 * have mapped go back to the free pool.
 */
static int daxfs_wbatch_flush(struct inode *inode, struct daxfs_wbatch *b)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u32 len = sizeof(*b->rec) + b->count * sizeof(struct daxfs_rec_page);
	struct xarray drops;
	u32 i;
	int err;

	if (!b->any)
		return 0;
	if (daxfs_wbatch_idle(inode, b)) {
		b->any = false;
		return 0;
	}
	memset(&b->rec->h, 0, sizeof(b->rec->h));
	daxfs_rec_init(&b->rec->h, DAXFS_REC_WRITE, len, inode->i_ino);
	b->rec->size = cpu_to_le64(b->size);
	b->rec->count = cpu_to_le32(b->count);
	b->rec->reserved = 0;
	xa_init(&drops);
	err = daxfs_commit_rec(inode->i_sb, &b->rec->h, len, &drops);
	if (err) {
		for (i = 0; i < b->count; i++)
			daxfs_page_free(sbi, le64_to_cpu(b->rec->map[i].page));
	} else {
		daxfs_unmap_pages(inode, b->first, b->last);
	}
	daxfs_index_free_drops(sbi, &drops);
	b->count = 0;
	b->any = false;
	daxfs_inode_refresh(inode);
	return err;
}

static void daxfs_wbatch_add(struct daxfs_wbatch *b, pgoff_t index, u64 page)
{
	b->rec->map[b->count].index = cpu_to_le64(index);
	b->rec->map[b->count].page = cpu_to_le64(page);
	b->count++;
}

static void daxfs_wbatch_touch(struct daxfs_wbatch *b, pgoff_t index)
{
	if (!b->any) {
		b->first = index;
		b->last = index;
	}
	b->first = min(b->first, index);
	b->last = max(b->last, index);
	b->any = true;
}

/*
 * Bytes of an owned page past the end of the file may hold what a shared
 * mapping wrote there; zero them before the file grows over them.
 */
static int daxfs_zero_tail(struct inode *inode, u64 size)
{
	struct daxfs_fpage fp;
	int err;

	if (!offset_in_page(size))
		return 0;
	err = daxfs_wresolve(inode, size >> PAGE_SHIFT, &fp, NULL);
	if (err)
		return err;
	if (fp.owned)
		memset((void *)fp.addr + offset_in_page(size), 0,
		       PAGE_SIZE - offset_in_page(size));
	return 0;
}

/*
 * Write one page's worth of @from at iocb->ki_pos. Returns bytes copied,
 * or a negative errno when nothing could be.
 */
static ssize_t daxfs_write_page(struct kiocb *iocb, struct iov_iter *from,
				struct daxfs_wbatch *b, u64 *size)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u64 pos = iocb->ki_pos;
	pgoff_t index = pos >> PAGE_SHIFT;
	size_t off = offset_in_page(pos);
	size_t n = min_t(size_t, PAGE_SIZE - off, iov_iter_count(from));
	struct daxfs_fpage fp;
	bool fresh = false;
	size_t copied;
	u64 page = 0;
	void *dst;
	int err;

	err = daxfs_wresolve(inode, index, &fp, NULL);
	if (err)
		return err;
	if (fp.owned) {
		dst = (void *)fp.addr;
	} else {
		err = daxfs_cow_page(inode, index, &page, off || n < PAGE_SIZE);
		if (err)
			return err;
		dst = daxfs_page_addr(sbi, page);
		fresh = true;
	}
	copied = copy_from_iter(dst + off, n, from);
	if (!copied) {
		if (fresh)
			daxfs_page_free(sbi, page);
		return -EFAULT;
	}
	if (fresh) {
		/* A short copy into an unfilled page: the rest is old bytes. */
		if (!(off || n < PAGE_SIZE) && copied < n &&
		    daxfs_fill_from(inode, index, dst, copied)) {
			daxfs_page_free(sbi, page);
			return -EUCLEAN;
		}
		daxfs_wbatch_add(b, index, page);
	}
	daxfs_wbatch_touch(b, index);
	iocb->ki_pos += copied;
	*size = max_t(u64, *size, iocb->ki_pos);
	b->size = *size;
	return copied;
}

static ssize_t daxfs_write(struct kiocb *iocb, struct iov_iter *from,
			   struct daxfs_wbatch *b)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t start = iocb->ki_pos, batch_start = start;
	/* refreshed from the node under i_rwsem, which every size change holds */
	u64 size = i_size_read(inode);
	ssize_t done = 0, n = 0;
	int err = 0;

	if ((u64)start > size)
		err = daxfs_zero_tail(inode, size);
	if (err)
		return err;
	b->size = size;
	while (iov_iter_count(from)) {
		n = daxfs_write_page(iocb, from, b, &size);
		if (n < 0)
			break;
		done += n;
		if (b->count == b->max || fatal_signal_pending(current)) {
			err = daxfs_wbatch_flush(inode, b);
			if (err)
				goto out_failed;
			batch_start = iocb->ki_pos;
			if (fatal_signal_pending(current))
				break;
		}
		cond_resched();
	}
	err = daxfs_wbatch_flush(inode, b);
	if (err)
		goto out_failed;
	return done ? done : n;

out_failed:
	/* The record of [batch_start, ki_pos) did not make it. */
	done -= iocb->ki_pos - batch_start;
	iocb->ki_pos = batch_start;
	return done ? done : err;
}

/**
 * daxfs_file_write_iter - write() and friends on a file of a branch
 * @iocb: the I/O control block
 * @from: the bytes
 *
 * Return: bytes written (short when the delta region fills up), or
 * -ENOSPC, -EFAULT, -EROFS, -ESTALE.
 */
ssize_t daxfs_file_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct file *file = iocb->ki_filp;
	struct inode *inode = file_inode(file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_wbatch b = { };
	ssize_t ret;

	ret = daxfs_check_live(inode->i_sb);
	if (ret)
		return ret;
	if (!sbi->writable || !sbi->indexed)
		return -EROFS;
	/* Room for the pages this write can touch, up to a full record. */
	b.max = min_t(size_t, DAXFS_WRITE_MAX,
		      DIV_ROUND_UP(iov_iter_count(from), PAGE_SIZE) + 1);
	b.rec = kzalloc(struct_size(b.rec, map, b.max), GFP_KERNEL);
	if (!b.rec)
		return -ENOMEM;
	inode_lock(inode);
	daxfs_inode_refresh(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	ret = daxfs_write(iocb, from, &b);
out:
	inode_unlock(inode);
	kfree(b.rec);
	return ret;
}

/*
 * Before a truncate to @size (not page aligned) below the current size:
 * the bytes of the last page past @size must read as zeros. An owned page
 * is zeroed in place; any other page with data is copied first (a WRITE
 * record that leaves the size as it is).
 */
static int daxfs_truncate_tail(struct inode *inode, u64 size, u64 old)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	pgoff_t index = size >> PAGE_SHIFT;
	size_t off = offset_in_page(size);
	struct daxfs_wbatch b = { };
	struct daxfs_fpage fp;
	u64 page;
	int err;

	if (!off)
		return 0;
	err = daxfs_wresolve(inode, index, &fp, NULL);
	if (err || !fp.addr)
		return err;
	if (fp.owned) {
		memset((void *)fp.addr + off, 0, PAGE_SIZE - off);
		return 0;
	}
	b.rec = kzalloc(sizeof(*b.rec) + sizeof(struct daxfs_rec_page),
			GFP_KERNEL);
	if (!b.rec)
		return -ENOMEM;
	err = daxfs_cow_page(inode, index, &page, true);
	if (!err) {
		memset(daxfs_page_addr(sbi, page) + off, 0, PAGE_SIZE - off);
		daxfs_wbatch_add(&b, index, page);
		daxfs_wbatch_touch(&b, index);
		b.size = old;
		err = daxfs_wbatch_flush(inode, &b);
	}
	kfree(b.rec);
	return err;
}

/**
 * daxfs_truncate - set the size of a file of a branch
 * @inode: the file (i_rwsem held)
 * @size: the new size
 *
 * Return: 0 or a negative errno; the file is unchanged on failure but for
 * a copied or zeroed tail past @size.
 */
int daxfs_truncate(struct inode *inode, loff_t size)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_rec_truncate rec = { };
	struct daxfs_fpage fp;
	struct xarray drops;
	u64 old;
	int err;

	if (!sbi->indexed)
		return -EROFS;
	err = daxfs_wresolve(inode, 0, &fp, &old);
	if (err)
		return err;
	if ((u64)size < old)
		err = daxfs_truncate_tail(inode, size, old);
	else if ((u64)size > old)
		err = daxfs_zero_tail(inode, old);
	if (err)
		return err;
	daxfs_rec_init(&rec.h, DAXFS_REC_TRUNCATE, sizeof(rec), inode->i_ino);
	rec.size = cpu_to_le64(size);
	xa_init(&drops);
	err = daxfs_commit_rec(inode->i_sb, &rec.h, sizeof(rec), &drops);
	if (!err) {
		daxfs_inode_refresh(inode);
		truncate_pagecache(inode, size);
	}
	daxfs_index_free_drops(sbi, &drops);
	return err;
}

/*
 * Make page @index of @inode a page the branch owns, copying it if needed
 * (a WRITE record that keeps the size; the old page is unmapped from every
 * process). @fp is the owned page.
 */
static vm_fault_t daxfs_own_page(struct inode *inode, pgoff_t index,
				 struct daxfs_fpage *fp)
{
	struct daxfs_wbatch b = { };
	u64 size, page;
	int err;

	err = daxfs_wresolve(inode, index, fp, &size);
	if (err || index >= DIV_ROUND_UP(size, PAGE_SIZE))
		return VM_FAULT_SIGBUS;
	if (fp->owned)
		return 0;
	b.rec = kzalloc(sizeof(*b.rec) + sizeof(struct daxfs_rec_page),
			GFP_KERNEL);
	if (!b.rec)
		return VM_FAULT_OOM;
	err = daxfs_cow_page(inode, index, &page, true);
	if (!err) {
		daxfs_wbatch_add(&b, index, page);
		daxfs_wbatch_touch(&b, index);
		b.size = size;
		err = daxfs_wbatch_flush(inode, &b);
	}
	kfree(b.rec);
	if (err)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	err = daxfs_wresolve(inode, index, fp, &size);
	if (err || !fp->owned)
		return VM_FAULT_SIGBUS;
	return 0;
}

/**
 * daxfs_fault_mkwrite - a write to a shared mapping of a branch file
 * @vmf: the fault
 *
 * A page the branch does not own is first copied into a new owned page;
 * every mapping of the old page is dropped. Ptes are always inserted
 * read-only (the mapping wants write notification), so a write becomes
 * writable only here, as .pfn_mkwrite, once the pte maps the owned page:
 * a fault that had to copy returns VM_FAULT_NOPAGE and the access faults
 * again on the new page.
 *
 * Return: 0 (make the pte writable), VM_FAULT_NOPAGE, or VM_FAULT_SIGBUS
 * (past EOF, dead or read-only branch, no space).
 */
vm_fault_t daxfs_fault_mkwrite(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_fpage fp;
	vm_fault_t ret;

	if (daxfs_check_live(inode->i_sb) || !sbi->writable || !sbi->indexed)
		return VM_FAULT_SIGBUS;
	ret = daxfs_own_page(inode, vmf->pgoff, &fp);
	if (ret)
		return ret;
	if (pte_present(vmf->orig_pte) && pte_pfn(vmf->orig_pte) == fp.pfn)
		return 0;
	/* The pte maps an older page: drop it and fault again. */
	unmap_mapping_range(inode->i_mapping, (loff_t)vmf->pgoff << PAGE_SHIFT,
			    PAGE_SIZE, 0);
	return VM_FAULT_NOPAGE;
}

/**
 * daxfs_fault_write - a write fault on an unmapped page of a shared mapping
 * @vmf: the fault
 * @pfn: the owned page to map (read-only; daxfs_fault_mkwrite() follows)
 *
 * Return: 0 with @pfn set, or VM_FAULT_SIGBUS, VM_FAULT_OOM.
 */
vm_fault_t daxfs_fault_write(struct vm_fault *vmf, unsigned long *pfn)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_fpage fp;
	vm_fault_t ret;

	if (!sbi->writable || !sbi->indexed)
		return VM_FAULT_SIGBUS;
	ret = daxfs_own_page(inode, vmf->pgoff, &fp);
	if (!ret)
		*pfn = fp.pfn;
	return ret;
}
