// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Checking and decoding of the branch table and delta logs, shared by the
 * kernel module and the tools. See daxfs_log.h for the contract.
 * (Skeleton: the checks land in the next commit.)
 */
#include "daxfs_log.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"

struct daxfs_live *daxfs_live_ptr(void *region, const struct daxfs_geo *geo)
{
	if (!geo->branch_off)
		return NULL;
	return (struct daxfs_live *)((u8 *)region + DAXFS_SUPER_FIXED_SIZE);
}

struct daxfs_branch *daxfs_branch_ptr(void *region, const struct daxfs_geo *geo,
				      u32 slot)
{
	if (!geo->branch_off || slot >= DAXFS_BRANCH_COUNT)
		return NULL;
	return (struct daxfs_branch *)((u8 *)region + geo->branch_off) + slot;
}

__le32 *daxfs_owner_ptr(void *region, const struct daxfs_geo *geo, u64 page)
{
	if (!geo->delta_off || page >= geo->delta_pages)
		return NULL;
	return (__le32 *)((u8 *)region + geo->delta_off) + page;
}

void *daxfs_delta_page(void *region, const struct daxfs_geo *geo, u64 page)
{
	if (!geo->delta_off || page >= geo->delta_pages)
		return NULL;
	return (u8 *)region + geo->delta_off + page * DAXFS_BLOCK_SIZE;
}

int daxfs_read_live(const void *region, const struct daxfs_geo *geo,
		    struct daxfs_live_words *out, struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}

int daxfs_read_branch(const void *region, const struct daxfs_geo *geo,
		      u32 slot, struct daxfs_br *out, struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}

bool daxfs_branch_name_ok(const char *name, u32 len)
{
	return false;
}

int daxfs_log_start(const void *region, const struct daxfs_geo *geo,
		    const struct daxfs_br *br, u64 tail,
		    struct daxfs_log_cursor *cur, struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}

int daxfs_log_next(const void *region, const struct daxfs_geo *geo,
		   struct daxfs_log_cursor *cur, struct daxfs_lrec *out,
		   struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}

int daxfs_rec_decode(const void *rec, u32 len, const struct daxfs_geo *geo,
		     struct daxfs_lrec *out, struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}

u32 daxfs_rec_csum(const void *rec, u32 len)
{
	return 0;
}

int daxfs_validate_branches(const void *region, const struct daxfs_geo *geo,
			    u64 *leaked, struct daxfs_report *rep)
{
	return -EOPNOTSUPP;
}
