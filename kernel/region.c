// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the shared region, the bottom layer of the module.
 *
 * Everything the upper layers do to the memory the kernels share goes
 * through here or through the atomics of daxfs.h: the corruption report,
 * write-back of bytes to persistent memory, inode numbers, and delta pages.
 *
 * The owner table (one __le32 per delta page) says who owns each page. A
 * page is taken with cmpxchg FREE -> OWNER(slot) and given back with
 * cmpxchg OWNER(slot) -> FREE; live.free_pages and the branch's @pages
 * counter follow with atomic adds. Nothing here relies on a lock in this
 * kernel's memory, so mounts in several kernels can share the region.
 */
#include <linux/libnvdimm.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/string.h>

#include "daxfs.h"

/**
 * daxfs_report_corrupt - log a problem found in the image of a mount
 * @sb: the superblock
 * @err: the error the operation returns
 * @rep: the checker's reason
 *
 * Rate-limited per mount, so one damaged image cannot silence another.
 */
void daxfs_report_corrupt(struct super_block *sb, int err,
			  const struct daxfs_report *rep)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (__ratelimit(&sbi->corrupt_rs))
		pr_err("daxfs (phys=0x%llx): %s (error %d)\n",
		       (unsigned long long)sbi->phys,
		       rep->msg[0] ? rep->msg : "corrupt image", err);
}

/**
 * daxfs_corrupt - report a problem found in the image, printf-style
 * @sb: the superblock
 * @fmt: what is wrong, and where
 *
 * Return: -EFSCORRUPTED, for the caller to return.
 */
int daxfs_corrupt(struct super_block *sb, const char *fmt, ...)
{
	struct daxfs_report rep;
	va_list args;

	va_start(args, fmt);
	vsnprintf(rep.msg, sizeof(rep.msg), fmt, args);
	va_end(args);
	daxfs_report_corrupt(sb, -EFSCORRUPTED, &rep);
	return -EFSCORRUPTED;
}

/**
 * daxfs_persist - write bytes of the region back from the CPU cache
 * @p: the first byte
 * @len: bytes
 *
 * Callers order it before a dependent store with pmem_wmb().
 */
void daxfs_persist(const void *p, size_t len)
{
	arch_wb_cache_pmem((void *)p, len);
}

/**
 * daxfs_persist_data - write file data back to persistent memory
 * @sbi: the mount
 * @p: the first byte written
 * @len: bytes
 *
 * Fenced here, not by the next record's fence: the writer may have moved
 * to another CPU by then.
 */
void daxfs_persist_data(struct daxfs_sb_info *sbi, const void *p, size_t len)
{
	if (!sbi->persistent || !len)
		return;
	arch_wb_cache_pmem((void *)p, len);
	pmem_wmb();
}

/*
 * A new inode number, shared by every branch (atomic add in the region),
 * written back before any record can use it.
 */
int daxfs_new_ino(struct daxfs_sb_info *sbi, u64 *ino)
{
	struct daxfs_live *live = daxfs_live_ptr(sbi->region, &sbi->geo);
	u64 v;

	if (!live)
		return -EROFS;
	v = daxfs_le64_add(&live->next_ino, 1) - 1;
	daxfs_persist(&live->next_ino, sizeof(live->next_ino));
	if (v <= sbi->geo.inode_count || v >= (ULONG_MAX >> 1))
		return -ENOSPC;
	*ino = v;
	return 0;
}

static struct daxfs_live *daxfs_live(struct daxfs_sb_info *sbi)
{
	return daxfs_live_ptr(sbi->region, &sbi->geo);
}

void *daxfs_page_addr(struct daxfs_sb_info *sbi, u64 page)
{
	if (page < sbi->geo.meta_pages)
		return NULL;
	return daxfs_delta_page(sbi->region, &sbi->geo, page);
}

/**
 * daxfs_region_pfn - the page frame of a byte of the region
 * @sbi: the mount
 * @off: a byte offset below sbi->size
 *
 * Physical memory is one run of frames from sbi->phys; a dma-buf's pages
 * are wherever its exporter found them (sbi->pfns). Every pfn a mapping
 * inserts comes from here.
 */
unsigned long daxfs_region_pfn(struct daxfs_sb_info *sbi, u64 off)
{
	if (sbi->pfns)
		return sbi->pfns[off >> PAGE_SHIFT];
	return PHYS_PFN(sbi->phys + off);
}

unsigned long daxfs_page_pfn(struct daxfs_sb_info *sbi, u64 page)
{
	return daxfs_region_pfn(sbi, sbi->geo.delta_off +
				page * DAXFS_BLOCK_SIZE);
}

u64 daxfs_free_pages(struct daxfs_sb_info *sbi)
{
	struct daxfs_live *live = daxfs_live(sbi);

	return live ? daxfs_le64_load(&live->free_pages) : 0;
}

/* Count @delta pages to @slot and the opposite to live.free_pages. */
static void daxfs_count_pages(struct daxfs_sb_info *sbi, u32 slot, s64 delta)
{
	struct daxfs_branch *b = daxfs_branch_ptr(sbi->region, &sbi->geo, slot);

	daxfs_le64_add(&daxfs_live(sbi)->free_pages, -delta);
	daxfs_le64_add(&b->pages, delta);
}

/* Try to take @page for @slot. */
static bool daxfs_page_take(struct daxfs_sb_info *sbi, u32 slot, u64 page)
{
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, page);

	if (daxfs_le32_load(o) != DAXFS_OWNER_FREE)
		return false;
	return daxfs_le32_cmpxchg(o, DAXFS_OWNER_FREE, DAXFS_OWNER(slot));
}

/* Say once in a while that the region is full. */
static int daxfs_nospc(struct daxfs_sb_info *sbi, bool for_log)
{
	pr_warn_ratelimited("daxfs (phys=0x%llx): branch %s: delta region full (%llu free pages, %u kept for logs): ENOSPC\n",
			    (unsigned long long)sbi->phys,
			    sbi->opt_branch ? sbi->opt_branch : "?",
			    (unsigned long long)daxfs_free_pages(sbi),
			    for_log ? 0 : DAXFS_LOG_RESERVE);
	return -ENOSPC;
}

/*
 * Where this CPU looks for its next free page. Each CPU has its own hint, so
 * writers on different CPUs take pages from different parts of the owner
 * table instead of racing for the same entries, and a file written by one
 * thread gets runs of adjacent pages.
 */
static u64 daxfs_hint(struct daxfs_sb_info *sbi)
{
	u64 first = sbi->geo.meta_pages, p = raw_cpu_read(*sbi->alloc_hints);

	return p < first || p >= sbi->geo.delta_pages ? first : p;
}

/**
 * daxfs_alloc_hints_init - spread the CPUs' hints over the delta region
 * @sbi: the mount
 * @start: where the previous mount left off (live.alloc_hint)
 */
void daxfs_alloc_hints_init(struct daxfs_sb_info *sbi, u64 start)
{
	u64 first = sbi->geo.meta_pages, span, off;
	int cpu;

	if (sbi->geo.delta_pages <= first)
		return;
	span = sbi->geo.delta_pages - first;
	off = start >= first ? start - first : 0;
	for_each_possible_cpu(cpu) {
		u64 *hint = per_cpu_ptr(sbi->alloc_hints, cpu);

		*hint = first + (off + div64_u64(span * cpu, nr_cpu_ids)) % span;
	}
}

/**
 * daxfs_page_alloc - take a free delta page for the mounted branch
 * @sbi: the mount (a writable branch)
 * @flags: DAXFS_ALLOC_LOG: a log page, which may use the last
 *	DAXFS_LOG_RESERVE pages; DAXFS_ALLOC_NOZERO: the caller writes all
 *	4 KiB itself, do not zero them
 * @page: the page taken
 *
 * Return: 0, -EROFS (not a writable branch) or -ENOSPC.
 */
int daxfs_page_alloc(struct daxfs_sb_info *sbi, unsigned int flags, u64 *page)
{
	if (sbi->slot == DAXFS_MAIN_SLOT)
		return -EROFS;
	return daxfs_page_alloc_for(sbi, sbi->slot, flags, page);
}

/**
 * daxfs_page_alloc_for - take a free delta page for slot @slot
 * @sbi: any mount of the region
 * @slot: a slot this mount writes (its branch, or a fold it is making)
 * @flags: as for daxfs_page_alloc()
 * @page: the page taken
 *
 * Return: 0, -EROFS (no branches) or -ENOSPC.
 */
int daxfs_page_alloc_for(struct daxfs_sb_info *sbi, u32 slot,
			 unsigned int flags, u64 *page)
{
	struct daxfs_live *live = daxfs_live(sbi);
	bool for_log = flags & DAXFS_ALLOC_LOG;
	u64 first = sbi->geo.meta_pages, span, n, p;

	if (!live || slot == DAXFS_MAIN_SLOT)
		return -EROFS;
	if (daxfs_le64_load(&live->free_pages) <= (for_log ? 0 : DAXFS_LOG_RESERVE))
		return daxfs_nospc(sbi, for_log);
	span = sbi->geo.delta_pages - first;
	p = daxfs_hint(sbi);
	for (n = 0; n < span; n++, p++) {
		if (p >= sbi->geo.delta_pages)
			p = first;
		if (daxfs_page_take(sbi, slot, p))
			goto found;
		if ((n & 4095) == 4095)
			cond_resched();
	}
	return daxfs_nospc(sbi, for_log);

found:
	daxfs_persist(daxfs_owner_ptr(sbi->region, &sbi->geo, p), sizeof(__le32));
	daxfs_count_pages(sbi, slot, 1);
	raw_cpu_write(*sbi->alloc_hints, p + 1);
	/* Where the next mount starts looking; a hint, kept loosely. */
	if (!(p % DAXFS_HINT_EVERY))
		WRITE_ONCE(live->alloc_hint, cpu_to_le64(p + 1));
	if (!(flags & DAXFS_ALLOC_NOZERO))
		memset(daxfs_page_addr(sbi, p), 0, DAXFS_BLOCK_SIZE);
	*page = p;
	return 0;
}

/**
 * daxfs_page_free - give back a page of the mounted branch
 * @sbi: the mount
 * @page: a page the mounted branch owns (and no published record still uses)
 */
void daxfs_page_free(struct daxfs_sb_info *sbi, u64 page)
{
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, page);

	if (!o || page < sbi->geo.meta_pages ||
	    !daxfs_le32_cmpxchg(o, DAXFS_OWNER(sbi->slot), DAXFS_OWNER_FREE)) {
		pr_warn_ratelimited("daxfs (phys=0x%llx): freeing delta page %llu not owned by branch slot %u\n",
				    (unsigned long long)sbi->phys,
				    (unsigned long long)page, sbi->slot);
		return;
	}
	daxfs_count_pages(sbi, sbi->slot, -1);
}

/**
 * daxfs_page_give - hand a page from one slot to another
 * @sbi: any mount of the region
 * @page: the page
 * @from: the slot owning it
 * @to: the slot to own it from now on
 *
 * Return: true if @from owned it (and @to does now).
 */
bool daxfs_page_give(struct daxfs_sb_info *sbi, u64 page, u32 from, u32 to)
{
	struct daxfs_branch *b = daxfs_branch_ptr(sbi->region, &sbi->geo, to);
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, page);

	if (!o || page < sbi->geo.meta_pages ||
	    !daxfs_le32_cmpxchg(o, DAXFS_OWNER(from), DAXFS_OWNER(to)))
		return false;
	daxfs_persist(o, sizeof(*o));
	daxfs_le64_add(&b->pages, 1);
	b = daxfs_branch_ptr(sbi->region, &sbi->geo, from);
	daxfs_le64_add(&b->pages, -1);
	return true;
}

/**
 * daxfs_free_slot_pages - give back every page of a dead slot
 * @sbi: any mount of the region
 * @slot: a DEAD slot with no mounts (the caller holds the table lock, so the
 *	slot cannot be claimed again while this runs)
 */
void daxfs_free_slot_pages(struct daxfs_sb_info *sbi, u32 slot)
{
	u32 owner = DAXFS_OWNER(slot);
	s64 freed = 0;
	u64 p;

	for (p = sbi->geo.meta_pages; p < sbi->geo.delta_pages; p++) {
		__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, p);

		if (daxfs_le32_load(o) == owner &&
		    daxfs_le32_cmpxchg(o, owner, DAXFS_OWNER_FREE))
			freed++;
		if ((p & 4095) == 4095)
			cond_resched();
	}
	if (freed)
		daxfs_count_pages(sbi, slot, -freed);
}

/**
 * daxfs_page_give_from - hand a page over if one of some slots owns it
 * @sbi: any mount of the region
 * @page: the page
 * @from: a bitmap of DAXFS_BRANCH_COUNT slots
 * @to: the slot to own it
 */
void daxfs_page_give_from(struct daxfs_sb_info *sbi, u64 page,
			  const unsigned long *from, u32 to)
{
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, page);
	u32 owner;

	if (!o || page < sbi->geo.meta_pages)
		return;
	owner = daxfs_le32_load(o);
	if (owner == DAXFS_OWNER_FREE || owner > DAXFS_BRANCH_COUNT ||
	    !test_bit(owner - 1, from))
		return;
	daxfs_page_give(sbi, page, owner - 1, to);
}

/**
 * daxfs_free_pages_of - give back every page of a set of slots
 * @sbi: any mount of the region (table lock held, the slots not in use)
 * @slots: a bitmap of DAXFS_BRANCH_COUNT slots
 *
 * Return: the pages freed.
 */
u64 daxfs_free_pages_of(struct daxfs_sb_info *sbi, const unsigned long *slots)
{
	u64 p, freed = 0;

	for (p = sbi->geo.meta_pages; p < sbi->geo.delta_pages; p++) {
		__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, p);
		u32 owner = daxfs_le32_load(o);

		if (owner != DAXFS_OWNER_FREE && owner <= DAXFS_BRANCH_COUNT &&
		    test_bit(owner - 1, slots) &&
		    daxfs_le32_cmpxchg(o, owner, DAXFS_OWNER_FREE)) {
			daxfs_count_pages(sbi, owner - 1, -1);
			freed++;
		}
		if ((p & 4095) == 4095)
			cond_resched();
	}
	return freed;
}

/**
 * daxfs_keep_pages_of - hand every page of a set of slots to one slot
 * @sbi: any mount of the region (table lock held, the slots not in use)
 * @slots: a bitmap of DAXFS_BRANCH_COUNT slots
 * @to: the slot to own them
 *
 * Return: the pages handed over.
 */
u64 daxfs_keep_pages_of(struct daxfs_sb_info *sbi, const unsigned long *slots,
			u32 to)
{
	u64 p, kept = 0;

	for (p = sbi->geo.meta_pages; p < sbi->geo.delta_pages; p++) {
		__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, p);
		u32 owner = daxfs_le32_load(o);

		if (owner != DAXFS_OWNER_FREE && owner <= DAXFS_BRANCH_COUNT &&
		    test_bit(owner - 1, slots) &&
		    daxfs_page_give(sbi, p, owner - 1, to))
			kept++;
		if ((p & 4095) == 4095)
			cond_resched();
	}
	return kept;
}

/**
 * daxfs_page_free_of - give back a page of slot @slot
 * @sbi: any mount of the region
 * @page: the page
 * @slot: the slot that owns it
 *
 * Return: true if @slot owned it (and it is free now).
 */
bool daxfs_page_free_of(struct daxfs_sb_info *sbi, u64 page, u32 slot)
{
	__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, page);

	if (!o || page < sbi->geo.meta_pages ||
	    !daxfs_le32_cmpxchg(o, DAXFS_OWNER(slot), DAXFS_OWNER_FREE))
		return false;
	daxfs_count_pages(sbi, slot, -1);
	return true;
}

/* Are pages [@p, @p + PTRS_PER_PMD) one PMD-aligned run of frames, all free? */
static bool daxfs_run_free(struct daxfs_sb_info *sbi, u64 p)
{
	unsigned long pfn = daxfs_page_pfn(sbi, p);
	u64 i;

	if (!IS_ALIGNED(pfn, PTRS_PER_PMD))
		return false;
	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (daxfs_page_pfn(sbi, p + i) != pfn + i ||
		    daxfs_le32_load(daxfs_owner_ptr(sbi->region, &sbi->geo,
						    p + i)) != DAXFS_OWNER_FREE)
			return false;
	}
	return true;
}

/* Take the free run at @p for @slot; false (nothing taken) if one was lost. */
static bool daxfs_run_take(struct daxfs_sb_info *sbi, u32 slot, u64 p)
{
	u64 i;

	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (daxfs_page_take(sbi, slot, p + i))
			continue;
		while (i--)
			daxfs_le32_cmpxchg(daxfs_owner_ptr(sbi->region,
							   &sbi->geo, p + i),
					   DAXFS_OWNER(slot), DAXFS_OWNER_FREE);
		return false;
	}
	daxfs_persist(daxfs_owner_ptr(sbi->region, &sbi->geo, p),
		      PTRS_PER_PMD * sizeof(__le32));
	daxfs_count_pages(sbi, slot, PTRS_PER_PMD);
	return true;
}

/**
 * daxfs_run_alloc_for - take PTRS_PER_PMD free pages that are one aligned run
 * @sbi: any mount of the region
 * @slot: a slot this mount writes (a fold it is making)
 * @page: the first page of the run
 *
 * The run's frames are physically contiguous and PMD aligned, so a mapping
 * of file data copied there can take one PMD. Not zeroed. Leaves a quarter
 * of the delta region free.
 *
 * Return: 0 or -ENOSPC (no such run, or space is short).
 */
int daxfs_run_alloc_for(struct daxfs_sb_info *sbi, u32 slot, u64 *page)
{
	u64 first = sbi->geo.meta_pages, p;

	if (first + 2 * PTRS_PER_PMD > sbi->geo.delta_pages ||
	    daxfs_free_pages(sbi) < PTRS_PER_PMD +
	    max_t(u64, sbi->geo.delta_pages / 4, DAXFS_LOG_RESERVE))
		return -ENOSPC;
	p = first + PTRS_PER_PMD - 1;
	p -= (daxfs_page_pfn(sbi, p) & (PTRS_PER_PMD - 1));
	for (; p + PTRS_PER_PMD <= sbi->geo.delta_pages; p += PTRS_PER_PMD) {
		if (daxfs_run_free(sbi, p) && daxfs_run_take(sbi, slot, p)) {
			*page = p;
			return 0;
		}
		cond_resched();
	}
	return -ENOSPC;
}
