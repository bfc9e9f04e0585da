// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: the memory behind a mount (docs/backings.md).
 *
 * Two ways in:
 *  - a physical range, phys= and size= (memory reserved at boot, CXL, or a
 *    device-DAX device named with dax=): mapped with memremap();
 *  - a block device with DAX (fsdax pmem, the mount's source): held open
 *    exclusively while mounted and reached through its dax_device, as DAX
 *    filesystems do; the pfns mapped into user space are the device's.
 *
 * Either way sbi->region is the kernel address of the whole region and
 * sbi->phys its physical address (the region is physically contiguous).
 */
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/fs_context.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/pfn_t.h>
#include <linux/string.h>

#include "daxfs.h"

/* A device-DAX device's claim on physical memory, as the resource tree has it. */
struct daxfs_devdax {
	char name[32];
	u64 start;
	u64 end;
};

/* The range is persistent memory (in the resource tree, as the pmem driver sees it). */
static bool daxfs_is_pmem(u64 phys, u64 size)
{
	return region_intersects(phys, size, IORESOURCE_MEM,
				 IORES_DESC_PERSISTENT_MEMORY) == REGION_INTERSECTS ||
	       region_intersects(phys, size, IORESOURCE_MEM,
				 IORES_DESC_PERSISTENT_MEMORY_LEGACY) == REGION_INTERSECTS;
}

/*
 * The innermost busy resource holding @addr: the device-DAX driver claims
 * each range of a device under the device's name. The tree is read without
 * the resource lock (it is not exported); the caller holds a reference to
 * the device's pages (get_dev_pagemap()), which keeps the device bound and
 * so its claim, and the ones it lies in, in place.
 */
static void daxfs_res_owner(u64 addr, struct daxfs_devdax *dd)
{
	struct resource *p = iomem_resource.child, *busy = NULL;

	while (p) {
		if (p->end < addr) {
			p = p->sibling;
			continue;
		}
		if (p->start > addr)
			break;
		if (p->flags & IORESOURCE_BUSY)
			busy = p;
		p = p->child;
	}
	if (!busy) {
		strscpy(dd->name, "?", sizeof(dd->name));
		dd->start = addr;
		dd->end = addr;
		return;
	}
	strscpy(dd->name, busy->name ? busy->name : "?", sizeof(dd->name));
	dd->start = busy->start;
	dd->end = busy->end;
}

/*
 * Is @addr memory of a device-DAX device? If so, fill @dd with its claim.
 * Device-DAX maps its ranges as MEMORY_DEVICE_GENERIC pages.
 */
static bool daxfs_devdax_at(u64 addr, struct daxfs_devdax *dd)
{
	struct dev_pagemap *pgmap;
	bool found = false;

	pgmap = get_dev_pagemap(PHYS_PFN(addr), NULL);
	if (!pgmap)
		return false;
	if (pgmap->type == MEMORY_DEVICE_GENERIC) {
		daxfs_res_owner(addr, dd);
		found = true;
	}
	put_dev_pagemap(pgmap);
	return found;
}

struct daxfs_devdax_walk {
	struct daxfs_devdax *dd;
	bool found;
};

/* walk_iomem_res_desc() callback: stop at the first device-DAX claim. */
static int daxfs_devdax_res(struct resource *res, void *arg)
{
	struct daxfs_devdax_walk *w = arg;

	if (!daxfs_devdax_at(res->start, w->dd))
		return 0;
	w->found = true;
	return 1;
}

/* Find the first device-DAX device whose memory [@phys, @last] overlaps. */
static bool daxfs_devdax_overlap(u64 phys, u64 last, struct daxfs_devdax *dd)
{
	struct daxfs_devdax_walk w = { .dd = dd };

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM | IORESOURCE_BUSY,
			    phys, last, &w, daxfs_devdax_res);
	return w.found;
}

/* dax=NAME: [@phys, @last] lies inside the memory device-DAX @name claims. */
static int daxfs_check_devdax(struct fs_context *fc, u64 phys, u64 last,
			      const char *name)
{
	struct daxfs_devdax dd;

	if (!daxfs_devdax_at(phys, &dd))
		return invalfc(fc,
			       "dax=%s: [mem 0x%llx-0x%llx] is not memory of a device-DAX device",
			       name, phys, last);
	if (strcmp(dd.name, name))
		return invalfc(fc, "dax=%s: [mem 0x%llx-0x%llx] belongs to device-DAX %s",
			       name, phys, last, dd.name);
	if (last > dd.end)
		return invalfc(fc,
			       "dax=%s: [mem 0x%llx-0x%llx] runs past the device's [mem 0x%llx-0x%llx]",
			       name, phys, last, dd.start, dd.end);
	return 0;
}

/**
 * daxfs_backing_check_range - may phys= and size= be mapped?
 * @fc: the mount's context (for its error messages)
 * @phys: start of the range (page aligned)
 * @size: bytes (page aligned, no overflow)
 * @dax: the device-DAX device the user names (dax=), or NULL
 *
 * Refuses System RAM, and memory of a device-DAX device unless @dax names
 * the device and the range lies inside it.
 *
 * Return: 0 or -EINVAL.
 */
int daxfs_backing_check_range(struct fs_context *fc, u64 phys, u64 size,
			      const char *dax)
{
	u64 last = phys + size - 1;
	struct daxfs_devdax dd;

	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return invalfc(fc, "[mem 0x%llx-0x%llx] overlaps System RAM, refusing",
			       phys, last);
	if (dax)
		return daxfs_check_devdax(fc, phys, last, dax);
	if (daxfs_devdax_overlap(phys, last, &dd))
		return invalfc(fc,
			       "[mem 0x%llx-0x%llx] belongs to device-DAX %s: mount with dax=%s",
			       phys, last, dd.name, dd.name);
	return 0;
}

/* Map phys=, size= (checked by daxfs_backing_check_range()). */
static int daxfs_backing_map(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	sbi->persistent = daxfs_is_pmem(sbi->phys, sbi->size);
	sbi->region = memremap(sbi->phys, sbi->size, MEMREMAP_WB);
	if (!sbi->region)
		return invalfc(fc, "cannot map [mem 0x%llx-0x%llx]",
			       (unsigned long long)sbi->phys,
			       (unsigned long long)(sbi->phys + sbi->size - 1));
	return 0;
}

/* The whole of the held block device, through its dax_device. */
static int daxfs_backing_dax(struct fs_context *fc, struct daxfs_sb_info *sbi,
			     u64 start)
{
	long pages = sbi->size >> PAGE_SHIFT, avail;
	void *kaddr;
	pfn_t pfn;
	int id;

	id = dax_read_lock();
	avail = dax_direct_access(sbi->dax_dev, PHYS_PFN(start), pages,
				  DAX_ACCESS, &kaddr, &pfn);
	dax_read_unlock(id);
	if (avail < 0)
		return invalfc(fc, "%s: no direct access to its memory (error %ld)",
			       fc->source, avail);
	if (avail < pages)
		return invalfc(fc,
			       "%s: only %ld of its %ld pages are directly accessible (bad blocks?)",
			       fc->source, avail, pages);
	sbi->region = kaddr;
	sbi->phys = PFN_PHYS(pfn_t_to_pfn(pfn));
	/* every DAX block device is persistent memory */
	sbi->persistent = true;
	return 0;
}

/* Open the block device of the source, exclusively, and reach its memory. */
static int daxfs_backing_bdev(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	struct block_device *bdev;
	u64 start = 0;

	bdev = daxfs_bdev_open(fc->source, fc->fs_type, &sbi->bdev_handle);
	if (IS_ERR(bdev))
		return invalfc(fc, "cannot open %s exclusively (error %ld)",
			       fc->source, PTR_ERR(bdev));
	sbi->bdev = bdev;
	sbi->dax_dev = fs_dax_get_by_bdev(bdev, &start, NULL, NULL);
	if (!sbi->dax_dev)
		return invalfc(fc,
			       "%s is a block device without DAX (a pmem namespace in fsdax mode has it)",
			       fc->source);
	sbi->size = round_down(bdev_nr_bytes(bdev), PAGE_SIZE);
	if (sbi->size < DAXFS_BLOCK_SIZE)
		return invalfc(fc, "%s: %llu bytes is too small", fc->source,
			       bdev_nr_bytes(bdev));
	return daxfs_backing_dax(fc, sbi, start);
}

/**
 * daxfs_backing_open - reach the memory of a new mount
 * @fc: the mount's context
 * @sbi: the mount; sbi->phys and sbi->size set for a physical range
 * @bdev: the source is a block device (fc->source) rather than phys=
 *
 * Sets sbi->region, phys, size and persistent. On error, what was taken is
 * given back by daxfs_backing_close().
 *
 * Return: 0 or a negative error, with the reason in the mount's log.
 */
int daxfs_backing_open(struct fs_context *fc, struct daxfs_sb_info *sbi,
		       bool bdev)
{
	if (bdev)
		return daxfs_backing_bdev(fc, sbi);
	return daxfs_backing_map(fc, sbi);
}

/**
 * daxfs_backing_close - give back what daxfs_backing_open() took
 * @sbi: the mount
 */
void daxfs_backing_close(struct daxfs_sb_info *sbi)
{
	if (sbi->bdev) {
		fs_put_dax(sbi->dax_dev, NULL);
		daxfs_bdev_close(sbi->bdev, sbi->bdev_handle);
		sbi->bdev = NULL;
	} else if (sbi->region) {
		memunmap(sbi->region);
	}
	sbi->region = NULL;
	sbi->dax_dev = NULL;
}
