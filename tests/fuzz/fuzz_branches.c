// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target: the input is an image with branches. The branch table,
 * live words, owner table and every log go through common/daxfs_log.c:
 * daxfs_validate_branches(), then each slot is read and its log walked with
 * the cursor whatever the validator said, and the input's first bytes are
 * decoded as a record. Nothing may crash, hang (a looped page chain must end)
 * or read outside the input (ASan). The superblock checksum is corrected
 * first so mutations reach the branch structures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile u64 sink;

static void walk_log(const void *region, const struct daxfs_geo *geo,
		     const struct daxfs_br *br, struct daxfs_log_cursor *cur)
{
	struct daxfs_lrec r;
	u64 n = 0;
	u32 i;

	if (daxfs_log_start(region, geo, br, br->log_tail, cur, NULL))
		return;
	while (daxfs_log_next(region, geo, cur, &r, NULL) == 1) {
		u64 index, page;

		/* Every decoded pointer must stay inside the record copy. */
		for (i = 0; i < r.count; i++) {
			daxfs_lrec_page(&r, i, &index, &page);
			sink += index ^ page;
		}
		if (r.name_len)
			sink += (u8)r.name[r.name_len - 1];
		if (r.new_name_len)
			sink += (u8)r.new_name[r.new_name_len - 1];
		/* A log never has more records than bytes in the region. */
		if (++n > geo->delta_pages * DAXFS_BLOCK_SIZE)
			abort();
	}
}

static void check_branches(const void *region, u64 size)
{
	struct daxfs_geo geo;
	struct daxfs_live_words live;
	struct daxfs_log_cursor *cur;
	struct daxfs_br br;
	struct daxfs_report rep;
	u64 leaked;
	u32 slot;

	if (daxfs_check_super(region, size, &geo, &rep) || !geo.branch_off)
		return;
	daxfs_validate_branches(region, &geo, &leaked, &rep);
	daxfs_validate_image(region, size, &rep);
	daxfs_read_live(region, &geo, &live, &rep);
	cur = malloc(sizeof(*cur));
	if (!cur)
		return;
	for (slot = 0; slot < DAXFS_BRANCH_COUNT; slot++) {
		if (daxfs_read_branch(region, &geo, slot, &br, &rep))
			continue;
		walk_log(region, &geo, &br, cur);
	}
	free(cur);
}

/* The input's first bytes as one record, length and crc made right. */
static void check_record(const uint8_t *data, size_t size)
{
	static const struct daxfs_geo geo = { .delta_pages = 64, .meta_pages = 1 };
	union {
		struct daxfs_rec h;
		u8 b[DAXFS_REC_MAX];
	} rec;
	struct daxfs_lrec r;
	u32 len = size < sizeof(rec) ? (u32)size : (u32)sizeof(rec);

	len &= ~(u32)(DAXFS_REC_ALIGN - 1);
	if (len < sizeof(rec.h))
		return;
	memcpy(&rec, data, len);
	rec.h.len = cpu_to_le16(len);
	if (!daxfs_rec_decode(&rec, len, &geo, &r, NULL) && r.name_len)
		sink += (u8)r.name[r.name_len - 1];
	rec.h.crc = cpu_to_le32(daxfs_rec_csum(&rec, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img;

	check_record(data, size);
	if (size < sizeof(struct daxfs_super))
		return 0;
	img = malloc(size);
	if (!img)
		return 0;
	memcpy(img, data, size);
	check_branches(img, size);
	((struct daxfs_super *)img)->checksum =
		cpu_to_le32(daxfs_super_csum((struct daxfs_super *)img));
	check_branches(img, size);
	free(img);
	return 0;
}
