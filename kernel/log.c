// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the log of the mounted branch (append) and of any slot (replay).
 *
 * A log is a chain of 4 KiB log pages; records never cross a page. To
 * append, a record is copied behind the published tail and then the tail is
 * published with a release store, so a reader that loads the tail with
 * acquire semantics sees whole records only. When a record does not fit, the
 * rest of the page is zeroed (a reader there finds type 0 and moves on), the
 * next page is linked through the page header, and only then does the tail
 * move into it. A tail whose offset would be 4096 is stored as offset 0 of
 * the next page number (DAXFS_TAIL(page + 1, 0)); see docs/format.md.
 *
 * On persistent memory the record, the page link and the tail must also
 * reach the media in that order: each is written back from the CPU cache
 * (daxfs_persist(), arch_wb_cache_pmem() where the architecture has it)
 * and a pmem_wmb() orders the write-backs before the store that depends on
 * them. On plain RAM (a memmap= reservation) this only costs the write-back.
 */
#include <linux/libnvdimm.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "daxfs.h"

/* Where the next record goes: page and offset (4096 when the page is full). */
static void daxfs_log_pos(struct daxfs_sb_info *sbi, u64 *page, u32 *off)
{
	u64 tail = sbi->log_tail;

	if (!tail) {
		*page = sbi->log_head;
		*off = DAXFS_LOG_START;
		return;
	}
	*page = DAXFS_TAIL_PAGE(tail);
	*off = DAXFS_TAIL_OFF(tail);
	if (!*off) {
		*page -= 1;
		*off = DAXFS_BLOCK_SIZE;
	}
}

/*
 * A page to continue the log after @prev: the one already linked (left by a
 * mount that stopped between linking it and publishing a tail in it), else
 * a new one.
 */
static int daxfs_log_take(struct daxfs_sb_info *sbi,
			  struct daxfs_log_page *prev, u64 *page)
{
	u64 next = le64_to_cpu(READ_ONCE(prev->next));
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, next);

	if (next >= sbi->geo.meta_pages && o &&
	    daxfs_le32_load(o) == DAXFS_OWNER(sbi->slot)) {
		memset(daxfs_page_addr(sbi, next), 0, DAXFS_BLOCK_SIZE);
		*page = next;
		return 0;
	}
	return daxfs_page_alloc(sbi, DAXFS_ALLOC_LOG, page);
}

/* Move the log on to a new page after @page, whose bytes from @off are unused. */
static int daxfs_log_next_page(struct daxfs_sb_info *sbi, u64 *page, u32 *off)
{
	struct daxfs_log_page *prev = daxfs_page_addr(sbi, *page);
	struct daxfs_log_page *hdr;
	u64 next;
	int err;

	if (!prev)
		return -EUCLEAN;
	err = daxfs_log_take(sbi, prev, &next);
	if (err)
		return err;
	hdr = daxfs_page_addr(sbi, next);
	hdr->next = 0;
	hdr->owner = cpu_to_le32(DAXFS_OWNER(sbi->slot));
	hdr->reserved = 0;
	if (*off < DAXFS_BLOCK_SIZE)
		memset((u8 *)prev + *off, 0, DAXFS_BLOCK_SIZE - *off);
	daxfs_persist(hdr, DAXFS_BLOCK_SIZE);
	if (*off < DAXFS_BLOCK_SIZE)
		daxfs_persist((u8 *)prev + *off, DAXFS_BLOCK_SIZE - *off);
	/* The new page (zeroed, its header) and the zeroed end before the link. */
	pmem_wmb();
	WRITE_ONCE(prev->next, cpu_to_le64(next));
	daxfs_persist(&prev->next, sizeof(prev->next));
	*page = next;
	*off = DAXFS_LOG_START;
	return 0;
}

int daxfs_log_append(struct daxfs_sb_info *sbi, struct daxfs_rec *rec, u32 len)
{
	struct daxfs_branch *b;
	u64 page, tail;
	u32 off;
	u8 *dst;
	int err = 0;

	if (len < sizeof(*rec) || len > DAXFS_REC_MAX || len % DAXFS_REC_ALIGN)
		return -EINVAL;
	mutex_lock(&sbi->log_lock);
	if (READ_ONCE(sbi->dead)) {
		err = -ESTALE;
		goto out;
	}
	if (!sbi->writable) {
		err = -EROFS;
		goto out;
	}
	daxfs_log_pos(sbi, &page, &off);
	if (off + len > DAXFS_BLOCK_SIZE) {
		err = daxfs_log_next_page(sbi, &page, &off);
		if (err)
			goto out;
	}
	rec->len = cpu_to_le16(len);
	rec->seq = cpu_to_le64(sbi->log_seq + 1);
	rec->crc = 0;
	rec->crc = cpu_to_le32(daxfs_rec_csum(rec, len));
	dst = (u8 *)daxfs_page_addr(sbi, page) + off;
	memcpy(dst, rec, len);
	daxfs_persist(dst, len);
	pmem_wmb();
	/*
	 * A record ending the page gives DAXFS_TAIL(page + 1, 0): add, as an
	 * or of 4096 into an odd page's number would name the page before.
	 */
	tail = ((u64)page << DAXFS_BLOCK_SHIFT) + off + len;
	b = daxfs_branch_ptr(sbi->region, &sbi->geo, sbi->slot);
	/* The record's bytes (and any page link) before the tail that shows them. */
	smp_store_release(&b->log_tail, cpu_to_le64(tail));
	daxfs_persist(&b->log_tail, sizeof(b->log_tail));
	sbi->log_tail = tail;
	sbi->log_seq++;
out:
	mutex_unlock(&sbi->log_lock);
	return err;
}

/* Read slot @slot and the published end of its log. */
static int daxfs_log_end(struct super_block *sb, u32 slot, struct daxfs_br *br,
			 u64 *tail, struct daxfs_report *rep)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_branch *b = daxfs_branch_ptr(sbi->region, &sbi->geo, slot);
	int err;

	if (!b)
		return -EINVAL;
	err = daxfs_read_branch(sbi->region, &sbi->geo, slot, br, rep);
	if (err)
		return err;
	/* Pairs with daxfs_log_append(): records up to the tail are complete. */
	*tail = le64_to_cpu(smp_load_acquire(&b->log_tail));
	return 0;
}

static int daxfs_log_failed(struct super_block *sb, int err,
			    const struct daxfs_report *rep)
{
	if (err == -EUCLEAN && rep->msg[0])
		daxfs_report_corrupt(sb, err, rep);
	return err;
}

/**
 * daxfs_log_replay - replay the published log of a slot into a view
 * @sb: the mount
 * @slot: the branch slot
 * @rp: the replay (ops and view set; its report is filled here)
 *
 * Return: 0, an error of the view, or -EUCLEAN (reported) for a damaged or
 * hostile log.
 */
int daxfs_log_replay(struct super_block *sb, u32 slot, struct daxfs_replay *rp)
{
	struct daxfs_report rep = { };
	struct daxfs_br br;
	u64 tail;
	int err;

	rp->rep = &rep;
	err = daxfs_log_end(sb, slot, &br, &tail, &rep);
	if (!err)
		err = daxfs_replay_slot(rp, &br, tail, NULL);
	rp->rep = NULL;
	return daxfs_log_failed(sb, err, &rep);
}

/* Walk the log of @slot to its end: the seq of its last record and the tail. */
static int daxfs_log_walk(struct super_block *sb, u32 slot, u64 *seq, u64 *tail)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_report rep = { };
	struct daxfs_log_cursor *cur;
	struct daxfs_lrec rec;
	struct daxfs_br br;
	u64 t;
	int err;

	err = daxfs_log_end(sb, slot, &br, &t, &rep);
	if (err)
		return daxfs_log_failed(sb, err, &rep);
	cur = kmalloc(sizeof(*cur), GFP_KERNEL);
	if (!cur)
		return -ENOMEM;
	err = daxfs_log_start(sbi->region, &sbi->geo, &br, t, cur, &rep);
	while (!err) {
		err = daxfs_log_next(sbi->region, &sbi->geo, cur, &rec, &rep);
		if (err <= 0)
			break;
		err = 0;
		cond_resched();
	}
	if (!err) {
		*seq = cur->seq;
		*tail = t;
	}
	kfree(cur);
	return daxfs_log_failed(sb, err, &rep);
}

/**
 * daxfs_log_attach - find where the mounted branch's log ends
 * @sb: the mount of a writable branch (sbi->slot, sbi->log_head set)
 *
 * Return: 0 or an error of the log walk.
 */
int daxfs_log_attach(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	sbi->log_seq = 0;
	sbi->log_tail = 0;
	return daxfs_log_walk(sb, sbi->slot, &sbi->log_seq, &sbi->log_tail);
}
