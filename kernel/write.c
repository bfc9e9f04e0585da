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
 *
 * Locking: write() holds i_rwsem, so the file's own page index cannot
 * change under it but for a mapping's write fault making a page owned;
 * pages are looked up without the index lock (nodes stay for the mount's
 * life, and the page xarray is safe to read under RCU). WRITE records of
 * different files go in parallel (daxfs_commit_write()). A write that only
 * overwrites bytes of one owned page inside the file takes i_rwsem shared
 * and that page's hashed lock instead, so writers of one file run in
 * parallel too, each write still atomic against the others.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/hash.h>
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

/* Map entries of a WRITE record kept on the stack (small writes). */
#define DAXFS_WBATCH_STACK	4

/* A WRITE record being filled. */
struct daxfs_wbatch {
	struct daxfs_rec_write *rec;
	u32 count;
	u32 max;		/* entries @rec has room for */
	u64 size;		/* file size the record sets */
	bool keep_size;		/* ...or the size the file has then */
	pgoff_t first, last;	/* pages touched, for unmapping */
	bool any;
};

/* Node of a regular file of a writable branch. */
static struct daxfs_node *daxfs_wnode(struct inode *inode)
{
	return daxfs_node_find(DAXFS_SB(inode->i_sb), inode->i_ino);
}

static u64 daxfs_cur_size(struct inode *inode)
{
	struct daxfs_node *node = daxfs_wnode(inode);

	return node ? READ_ONCE(node->v.size) : DAXFS_I(inode)->di.size;
}

/*
 * Where page @index of @inode is now, and the file size. The caller holds
 * i_rwsem or, in a fault, copes with the page changing (daxfs_own_page()).
 * Pages not owned (base data, an ancestor's) are never freed while the
 * branch is mounted, and owned ones only by truncate and unlink, which
 * i_rwsem and the open file keep away.
 */
static int daxfs_wresolve(struct inode *inode, pgoff_t index,
			  struct daxfs_fpage *fp, u64 *size)
{
	int err;

	err = daxfs_index_file_page(inode->i_sb, inode, index, fp);
	if (size)
		*size = daxfs_cur_size(inode);
	return err;
}

/* Copy bytes [@start, PAGE_SIZE) of the page @fp to @dst (zeros for a hole). */
static void daxfs_fill_from(const struct daxfs_fpage *fp, void *dst,
			    size_t start)
{
	if (fp->addr)
		memcpy(dst + start, fp->addr + start, PAGE_SIZE - start);
	else
		memset(dst + start, 0, PAGE_SIZE - start);
}

/*
 * Take a new page for a file page now at @from and, with @from, fill it
 * with that page's bytes; without, the caller writes all 4 KiB of it.
 */
static int daxfs_cow_page(struct daxfs_sb_info *sbi,
			  const struct daxfs_fpage *from, u64 *page)
{
	int err = daxfs_page_alloc(sbi, DAXFS_ALLOC_NOZERO, page);

	if (!err && from)
		daxfs_fill_from(from, daxfs_page_addr(sbi, *page), 0);
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
	s64 now = ktime_get_coarse_real_ns();
	struct daxfs_node *node;
	unsigned int seq;
	bool idle;

	if (b->count)
		return false;
	node = daxfs_wnode(inode);
	if (!node)
		return false;
	do {
		seq = read_seqbegin(&node->lock);
		idle = (b->keep_size || node->v.size == b->size) &&
		       daxfs_vtime_to_ns(node->v.mtime) == now &&
		       daxfs_vtime_to_ns(node->v.ctime) == now;
	} while (read_seqretry(&node->lock, seq));
	return idle;
}

/*
 * Append and apply the WRITE record of @b. On failure (-EAGAIN too) the
 * pages it would have mapped go back to the free pool.
 */
static int daxfs_wbatch_flush(struct inode *inode, struct daxfs_wbatch *b)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	u32 len = sizeof(*b->rec) + b->count * sizeof(struct daxfs_rec_page);
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
	err = daxfs_commit_write(inode->i_sb, b->rec, len, b->keep_size);
	if (err) {
		for (i = 0; i < b->count; i++)
			daxfs_page_free(sbi, le64_to_cpu(b->rec->map[i].page));
	} else {
		if (b->count)
			daxfs_unmap_pages(inode, b->first, b->last);
		daxfs_inode_refresh_write(inode);
	}
	b->count = 0;
	b->any = false;
	return err;
}

/* Page @index of the file is new @page (mappings of the old one go). */
static void daxfs_wbatch_add(struct daxfs_wbatch *b, pgoff_t index, u64 page)
{
	if (!b->count) {
		b->first = index;
		b->last = index;
	}
	b->first = min(b->first, index);
	b->last = max(b->last, index);
	b->rec->map[b->count].index = cpu_to_le64(index);
	b->rec->map[b->count].page = cpu_to_le64(page);
	b->count++;
	b->any = true;
}

/* Bytes were written in place: the size and times may need a record. */
static void daxfs_wbatch_touch(struct daxfs_wbatch *b)
{
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
	if (fp.owned) {
		memset((void *)fp.addr + offset_in_page(size), 0,
		       PAGE_SIZE - offset_in_page(size));
		daxfs_persist_data(DAXFS_SB(inode->i_sb),
				   fp.addr + offset_in_page(size),
				   PAGE_SIZE - offset_in_page(size));
	}
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
		err = daxfs_cow_page(sbi, off || n < PAGE_SIZE ? &fp : NULL,
				     &page);
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
		if (!(off || n < PAGE_SIZE) && copied < n)
			daxfs_fill_from(&fp, dst, copied);
		daxfs_persist_data(sbi, dst, PAGE_SIZE);
		daxfs_wbatch_add(b, index, page);
	} else {
		daxfs_persist_data(sbi, dst + off, copied);
	}
	daxfs_wbatch_touch(b);
	iocb->ki_pos += copied;
	*size = max_t(u64, *size, iocb->ki_pos);
	b->size = *size;
	return copied;
}

/*
 * The write loop (i_rwsem held): page by page, one WRITE record per
 * b->max new pages. When the record is refused because a mapping's fault
 * copied one of its pages first (-EAGAIN), the batch is done again from
 * its start, in place where the page is owned now.
 */
static ssize_t daxfs_write(struct kiocb *iocb, struct iov_iter *from,
			   struct daxfs_wbatch *b)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	/* refreshed from the node under i_rwsem, which every size change holds */
	u64 size = i_size_read(inode), batch_size;
	loff_t batch_start = iocb->ki_pos;
	ssize_t done = 0, n = 0;
	int err = 0;

	if ((u64)batch_start > size)
		err = daxfs_zero_tail(inode, size);
	if (err)
		return err;
	b->size = size;
	batch_size = size;
	for (;;) {
		bool end = !iov_iter_count(from);

		if (!end) {
			n = daxfs_write_page(iocb, from, b, &size);
			end = n < 0;
			if (n > 0)
				done += n;
		}
		if (!end && b->count < b->max && !fatal_signal_pending(current)) {
			cond_resched();
			continue;
		}
		err = daxfs_wbatch_flush(inode, b);
		if (err == -EAGAIN) {
			iov_iter_revert(from, iocb->ki_pos - batch_start);
			done -= iocb->ki_pos - batch_start;
			iocb->ki_pos = batch_start;
			size = batch_size;
			b->size = size;
			n = 0;
			continue;
		}
		if (err)
			goto out_failed;
		if (end || fatal_signal_pending(current))
			break;
		batch_start = iocb->ki_pos;
		batch_size = size;
	}
	return done ? done : n;

out_failed:
	/* The record of [batch_start, ki_pos) did not make it. */
	done -= iocb->ki_pos - batch_start;
	iocb->ki_pos = batch_start;
	return done ? done : err;
}

static struct mutex *daxfs_page_lock(struct inode *inode, pgoff_t index)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);

	return &sbi->page_locks[hash_64(inode->i_ino * 0x9e3779b97f4a7c15ULL +
					index, DAXFS_PAGE_LOCK_BITS)];
}

/*
 * An overwrite of bytes inside one page the branch owns, inside the file:
 * no new page, no size change, at most a record for the times. It runs
 * under i_rwsem held shared (an exclusive holder would change the size or
 * the pages) and the page's hashed lock (two overwrites of one page stay
 * whole). Returns -EAGAIN when the write is not such a one.
 */
static ssize_t daxfs_overwrite(struct kiocb *iocb, struct iov_iter *from,
			       struct daxfs_wbatch *b)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	size_t count = iov_iter_count(from), copied;
	loff_t pos = iocb->ki_pos;
	struct daxfs_fpage fp;
	struct mutex *lock;	/* of the page */
	ssize_t ret;

	if ((iocb->ki_flags & IOCB_APPEND) || pos < 0 || !count ||
	    count > PAGE_SIZE - offset_in_page(pos) || !IS_NOSEC(inode))
		return -EAGAIN;
	inode_lock_shared(inode);
	ret = -EAGAIN;
	/* S_NOSEC and the size only change under i_rwsem held exclusive */
	if (!IS_NOSEC(inode) || pos + count > i_size_read(inode))
		goto out;
	if (daxfs_wresolve(inode, pos >> PAGE_SHIFT, &fp, NULL) || !fp.owned)
		goto out;
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	lock = daxfs_page_lock(inode, pos >> PAGE_SHIFT);
	mutex_lock(lock);
	copied = copy_from_iter((void *)fp.addr + offset_in_page(pos),
				iov_iter_count(from), from);
	mutex_unlock(lock);
	if (!copied) {
		ret = -EFAULT;
		goto out;
	}
	daxfs_persist_data(DAXFS_SB(inode->i_sb),
			   fp.addr + offset_in_page(pos), copied);
	iocb->ki_pos += copied;
	b->keep_size = true;
	daxfs_wbatch_touch(b);
	ret = daxfs_wbatch_flush(inode, b);
	if (!ret)
		ret = copied;
	else
		iocb->ki_pos = pos;
out:
	inode_unlock_shared(inode);
	return ret;
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
	u64 small[(sizeof(struct daxfs_rec_write) + DAXFS_WBATCH_STACK *
		   sizeof(struct daxfs_rec_page)) / sizeof(u64)];
	struct daxfs_wbatch b = { .rec = (struct daxfs_rec_write *)small,
				  .max = DAXFS_WBATCH_STACK };
	ssize_t ret;

	ret = daxfs_check_live(inode->i_sb);
	if (ret)
		return ret;
	if (!sbi->writable)
		return -EROFS;
	ret = daxfs_overwrite(iocb, from, &b);
	if (ret != -EAGAIN)
		return ret;
	b.keep_size = false;
	/* Room for the pages this write can touch, up to a full record. */
	if (iov_iter_count(from) > (DAXFS_WBATCH_STACK - 1) * PAGE_SIZE) {
		b.max = min_t(size_t, DAXFS_WRITE_MAX,
			      DIV_ROUND_UP(iov_iter_count(from), PAGE_SIZE) + 1);
		b.rec = kmalloc(struct_size(b.rec, map, b.max), GFP_KERNEL);
		if (!b.rec)
			return -ENOMEM;
	}
	inode_lock(inode);
	ret = generic_write_checks(iocb, from);
	if (ret <= 0)
		goto out;
	ret = file_remove_privs(file);
	if (ret)
		goto out;
	ret = daxfs_write(iocb, from, &b);
out:
	inode_unlock(inode);
	if (b.rec != (struct daxfs_rec_write *)small)
		kfree(b.rec);
	return ret;
}

/*
 * Before a truncate to @size (not page aligned) below the current size:
 * the bytes of the last page past @size must read as zeros. An owned page
 * is zeroed in place; any other page with data is copied first (a WRITE
 * record that leaves the size as it is).
 */
static int daxfs_truncate_tail(struct inode *inode, u64 size)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	pgoff_t index = size >> PAGE_SHIFT;
	size_t off = offset_in_page(size);
	struct daxfs_wbatch b = { .keep_size = true };
	struct daxfs_fpage fp;
	u64 page;
	int err;

	if (!off)
		return 0;
	b.rec = kmalloc(struct_size(b.rec, map, 1), GFP_KERNEL);
	if (!b.rec)
		return -ENOMEM;
	do {
		err = daxfs_wresolve(inode, index, &fp, NULL);
		if (err || !fp.addr)
			break;
		if (fp.owned) {
			memset((void *)fp.addr + off, 0, PAGE_SIZE - off);
			daxfs_persist_data(sbi, fp.addr + off, PAGE_SIZE - off);
			break;
		}
		err = daxfs_cow_page(sbi, &fp, &page);
		if (err)
			break;
		memset(daxfs_page_addr(sbi, page) + off, 0, PAGE_SIZE - off);
		daxfs_persist_data(sbi, daxfs_page_addr(sbi, page), PAGE_SIZE);
		daxfs_wbatch_add(&b, index, page);
		/* -EAGAIN: a mapping's fault copied the page first */
		err = daxfs_wbatch_flush(inode, &b);
	} while (err == -EAGAIN);
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

	err = daxfs_wresolve(inode, 0, &fp, &old);
	if (err)
		return err;
	/* Write faults of shared mappings wait until the old pages are unmapped. */
	filemap_invalidate_lock(inode->i_mapping);
	if ((u64)size < old)
		err = daxfs_truncate_tail(inode, size);
	else if ((u64)size > old)
		err = daxfs_zero_tail(inode, old);
	if (err)
		goto out;
	daxfs_rec_init(&rec.h, DAXFS_REC_TRUNCATE, sizeof(rec), inode->i_ino);
	rec.size = cpu_to_le64(size);
	xa_init(&drops);
	err = daxfs_commit_rec(inode->i_sb, &rec.h, sizeof(rec), &drops);
	if (!err) {
		daxfs_inode_refresh(inode);
		truncate_pagecache(inode, size);
	}
	daxfs_index_free_drops(sbi, &drops);
out:
	filemap_invalidate_unlock(inode->i_mapping);
	return err;
}

/*
 * Make page @index of @inode a page the branch owns, copying it if needed
 * (a WRITE record that keeps the size; the old page is unmapped from every
 * process). @fp is the owned page. The caller holds the mapping's
 * invalidate_lock shared, so a truncate cannot free the page before it is
 * mapped.
 */
static vm_fault_t daxfs_own_page(struct inode *inode, pgoff_t index,
				 struct daxfs_fpage *fp)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_wbatch b = { .keep_size = true };
	u64 size, page;
	int err;

	b.rec = kmalloc(struct_size(b.rec, map, 1), GFP_KERNEL);
	if (!b.rec)
		return VM_FAULT_OOM;
	do {
		err = daxfs_wresolve(inode, index, fp, &size);
		if (err || index >= DIV_ROUND_UP(size, PAGE_SIZE)) {
			err = -EFAULT;
			break;
		}
		if (fp->owned)
			break;
		err = daxfs_cow_page(sbi, fp, &page);
		if (err)
			break;
		daxfs_persist_data(sbi, daxfs_page_addr(sbi, page), PAGE_SIZE);
		daxfs_wbatch_add(&b, index, page);
		/* -EAGAIN: a write() copied the page first, or it is past EOF now */
		err = daxfs_wbatch_flush(inode, &b);
	} while (err == -EAGAIN);
	kfree(b.rec);
	if (err)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	return 0;
}

/*
 * A store through a shared mapping is about to change the file's bytes:
 * mtime and ctime move, as for write() (a record at most once per tick of
 * the clock the records use).
 */
static void daxfs_map_touch(struct inode *inode)
{
	struct daxfs_rec_write rec;
	struct daxfs_wbatch b = { .rec = &rec, .keep_size = true };

	daxfs_wbatch_touch(&b);
	/* On failure the times stay; the bytes are the user's either way. */
	daxfs_wbatch_flush(inode, &b);
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

	if (daxfs_check_live(inode->i_sb) || !sbi->writable)
		return VM_FAULT_SIGBUS;
	WRITE_ONCE(DAXFS_I(inode)->map_written, true);
	filemap_invalidate_lock_shared(inode->i_mapping);
	ret = daxfs_own_page(inode, vmf->pgoff, &fp);
	if (!ret && !(pte_present(vmf->orig_pte) &&
		      pte_pfn(vmf->orig_pte) == fp.pfn)) {
		/* The pte maps an older page: drop it and fault again. */
		unmap_mapping_range(inode->i_mapping,
				    (loff_t)vmf->pgoff << PAGE_SHIFT, PAGE_SIZE, 0);
		ret = VM_FAULT_NOPAGE;
	} else if (!ret) {
		daxfs_map_touch(inode);
	}
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return ret;
}

/**
 * daxfs_fault_write - a write fault on an unmapped page of a shared mapping
 * @vmf: the fault
 *
 * Maps the owned page read-only; daxfs_fault_mkwrite() follows.
 *
 * Return: VM_FAULT_NOPAGE (mapped), VM_FAULT_SIGBUS, VM_FAULT_OOM.
 */
vm_fault_t daxfs_fault_write(struct vm_fault *vmf)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_fpage fp;
	vm_fault_t ret;

	if (!sbi->writable)
		return VM_FAULT_SIGBUS;
	filemap_invalidate_lock_shared(inode->i_mapping);
	ret = daxfs_own_page(inode, vmf->pgoff, &fp);
	if (!ret)
		ret = daxfs_insert_pfn(vmf->vma, vmf->address, fp.pfn);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	return ret;
}

/*
 * Give pages [@first, @end) of @inode delta pages the branch owns, filled
 * with their current bytes (zeros for holes), and set the size to @size:
 * WRITE records of up to b->max pages (i_rwsem held).
 */
static int daxfs_own_range(struct inode *inode, pgoff_t first, pgoff_t end,
			   u64 size, struct daxfs_wbatch *b)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	pgoff_t index = first;
	struct daxfs_fpage fp;
	int err = 0, ferr;
	u64 page;

	b->size = size;
	while (index < end) {
		pgoff_t batch = index;

		while (!err && index < end && b->count < b->max) {
			err = daxfs_wresolve(inode, index, &fp, NULL);
			if (!err && !fp.owned) {
				err = daxfs_cow_page(sbi, &fp, &page);
				if (!err) {
					daxfs_persist_data(sbi,
							   daxfs_page_addr(sbi, page),
							   PAGE_SIZE);
					daxfs_wbatch_add(b, index, page);
				}
			}
			if (!err)
				index++;
		}
		/* what was taken before an error is kept */
		ferr = daxfs_wbatch_flush(inode, b);
		if (ferr == -EAGAIN) {
			/* a mapping's fault took one of them first: look again */
			index = batch;
			continue;
		}
		if (ferr || err)
			return ferr ?: err;
		cond_resched();
	}
	return 0;
}

/**
 * daxfs_fallocate - allocate the pages of a range of a file of a branch
 * @file: the file
 * @mode: 0 or FALLOC_FL_KEEP_SIZE; anything else is not supported
 * @offset: start of the range
 * @len: bytes of the range
 *
 * Every page of the range inside the (new) size becomes a delta page the
 * branch owns, so later writes there copy nothing and cannot run out of
 * space; without FALLOC_FL_KEEP_SIZE the file grows to the end of the range
 * (the new bytes read as zeros). Pages past the size with
 * FALLOC_FL_KEEP_SIZE are not taken (a WRITE record maps pages below the
 * size only).
 *
 * Return: 0, -EOPNOTSUPP, -ENOSPC (pages taken so far stay), -EFBIG,
 * -EROFS, -ESTALE, -EINVAL.
 */
long daxfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file_inode(file);
	struct daxfs_sb_info *sbi = DAXFS_SB(inode->i_sb);
	struct daxfs_wbatch b = { };
	u64 size, end;
	long err;

	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	err = daxfs_check_live(inode->i_sb);
	if (err)
		return err;
	if (!sbi->writable)
		return -EROFS;
	if (!S_ISREG(inode->i_mode))
		return -ENODEV;
	if (offset < 0 || len <= 0 || check_add_overflow(offset, len, &end))
		return -EINVAL;
	b.max = DAXFS_WRITE_MAX;
	b.rec = kmalloc(struct_size(b.rec, map, b.max), GFP_KERNEL);
	if (!b.rec)
		return -ENOMEM;
	inode_lock(inode);
	size = i_size_read(inode);
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > size) {
		err = inode_newsize_ok(inode, end);
		if (!err)
			err = file_remove_privs(file);
		if (!err)
			err = daxfs_zero_tail(inode, size);
		if (!err)
			size = end;
	}
	if (!err)
		err = daxfs_own_range(inode, offset >> PAGE_SHIFT,
				      DIV_ROUND_UP(min(end, size), PAGE_SIZE),
				      size, &b);
	if (!err && size != i_size_read(inode)) {
		/* the size moved but no page needed taking: one record for it */
		daxfs_wbatch_touch(&b);
		err = daxfs_wbatch_flush(inode, &b);
	}
	inode_unlock(inode);
	kfree(b.rec);
	return err;
}
