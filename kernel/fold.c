// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: folding main's history (INCOMPAT_FOLD; docs/format.md, Folding).
 *
 * A mount whose view is main (a main mount, or a committed one) writes the
 * fold of its index into a new slot with common/daxfs_fold.c: one log that,
 * alone over the base image, is main at the head the mount replayed (the
 * fold's top), after moving scattered parts of files into aligned runs
 * (compact.c). The fold is published with one cmpxchg of live.fold_head,
 * then commit_seq moves, so every mount looks again (and says so in its
 * reader entry). Then the slots the fold replaced are garbage: once every
 * reader has seen live.fold_need, the pages the fold names are handed to
 * it, every other page of the garbage slots is freed, and the slots too.
 * Every step is done under the table lock and can be done again after a
 * crash: garbage is what main's chain no longer reaches.
 */
#include <linux/delay.h>
#include <linux/libnvdimm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "daxfs.h"
#include "daxfs_fold.h"
#include "daxfs_ioctl.h"

/* Fold when main's chain is this long, or slots or space run low. */
#define DAXFS_FOLD_CHAIN	32
#define DAXFS_FOLD_FREE_SLOTS	64
/*
 * For lack of space, fold once main's chain has this many slots: when live
 * data fills the region, a fold at every commit would free nothing.
 */
#define DAXFS_FOLD_LOW_CHAIN	8

/* ------------------------------------------------------------------------
 * The index as the view a fold reads (common/daxfs_fold.h)
 */

static int daxfs_fv_each_node(void *view,
			      int (*fn)(void *ctx, const struct daxfs_vnode *n),
			      void *ctx)
{
	struct daxfs_sb_info *sbi = view;
	struct daxfs_node *node;
	unsigned long ino;
	int err;

	xa_for_each(&sbi->nodes, ino, node) {
		err = fn(ctx, &node->v);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

static const struct daxfs_vnode *daxfs_fv_node(void *view, u64 ino)
{
	struct daxfs_node *node = daxfs_node_find(view, ino);

	return node ? &node->v : NULL;
}

static int daxfs_fv_dir_changed(void *view, const struct daxfs_vnode *dir)
{
	return container_of(dir, struct daxfs_node, v)->materialized;
}

static int daxfs_fv_each_entry(void *view, const struct daxfs_vnode *dir,
			       int (*fn)(void *ctx, const struct daxfs_ventry *e),
			       void *ctx)
{
	struct daxfs_node *node = container_of(dir, struct daxfs_node, v);
	struct rb_node *rb;
	int err;

	for (rb = rb_first(&node->names); rb; rb = rb_next(rb)) {
		struct daxfs_entry *e = rb_entry(rb, struct daxfs_entry, rb);
		struct daxfs_ventry ve = {
			.name = e->name, .len = e->len, .type = e->type,
			.ino = e->ino,
		};

		err = fn(ctx, &ve);
		if (err)
			return err;
	}
	return 0;
}

static int daxfs_fv_lookup(void *view, const struct daxfs_vnode *dir,
			   const char *name, u32 len, u64 *ino)
{
	struct daxfs_entry *e;

	e = daxfs_entry_find(container_of(dir, struct daxfs_node, v), name, len);
	if (!e)
		return -ENOENT;
	*ino = e->ino;
	return 0;
}

static int daxfs_fv_each_page(void *view, const struct daxfs_vnode *file,
			      int (*fn)(void *ctx, u64 index, u64 page),
			      void *ctx)
{
	struct daxfs_node *node = container_of(file, struct daxfs_node, v);
	unsigned long index;
	void *entry;
	int err;

	xa_for_each(&node->pages, index, entry) {
		err = fn(ctx, index, daxfs_pref_page(entry));
		if (err)
			return err;
	}
	return 0;
}

static u64 daxfs_fv_link_page(void *view, const struct daxfs_vnode *link)
{
	struct daxfs_node *node = container_of(link, struct daxfs_node, v);

	return node->has_base ? 0 : node->link_src;
}

static const struct daxfs_fold_view_ops daxfs_fold_view = {
	.each_node	= daxfs_fv_each_node,
	.node		= daxfs_fv_node,
	.dir_changed	= daxfs_fv_dir_changed,
	.each_entry	= daxfs_fv_each_entry,
	.lookup		= daxfs_fv_lookup,
	.each_page	= daxfs_fv_each_page,
	.link_page	= daxfs_fv_link_page,
};

/* ------------------------------------------------------------------------
 * The fold's log: written while its slot is CLAIMED, published at the end
 */

struct daxfs_fold_log {
	struct daxfs_sb_info *sbi;
	u32 slot;
	u64 head;		/* first log page */
	u64 page;		/* current log page */
	u32 off;		/* next record in it */
	u64 seq;
	u64 records;
	u64 pages;		/* log pages taken */
};

static int daxfs_fold_log_page(struct daxfs_fold_log *fl)
{
	struct daxfs_log_page *hdr, *prev;
	u64 page;
	int err;

	err = daxfs_page_alloc_for(fl->sbi, fl->slot, DAXFS_ALLOC_LOG, &page);
	if (err)
		return err;
	hdr = daxfs_page_addr(fl->sbi, page);
	hdr->owner = cpu_to_le32(DAXFS_OWNER(fl->slot));
	daxfs_persist(hdr, sizeof(*hdr));
	if (fl->page) {
		prev = daxfs_page_addr(fl->sbi, fl->page);
		prev->next = cpu_to_le64(page);
		daxfs_persist(&prev->next, sizeof(prev->next));
	} else {
		fl->head = page;
	}
	fl->page = page;
	fl->off = DAXFS_LOG_START;
	fl->pages++;
	return 0;
}

static int daxfs_fold_emit(void *ctx, struct daxfs_rec *rec, u32 len)
{
	struct daxfs_fold_log *fl = ctx;
	struct daxfs_report rep = { };
	struct daxfs_lrec lrec;
	u8 *dst;
	int err;

	rec->len = cpu_to_le16(len);
	rec->seq = cpu_to_le64(fl->seq + 1);
	rec->crc = 0;
	rec->crc = cpu_to_le32(daxfs_rec_csum(rec, len));
	/* The rules replay applies, before a byte is written. */
	err = daxfs_rec_decode(rec, len, &fl->sbi->geo, &lrec, &rep);
	if (err) {
		pr_err("daxfs (phys=0x%llx): fold wrote a bad record: %s\n",
		       (unsigned long long)fl->sbi->phys, rep.msg);
		return err;
	}
	if (!fl->page || fl->off + len > DAXFS_BLOCK_SIZE) {
		err = daxfs_fold_log_page(fl);
		if (err)
			return err;
	}
	dst = (u8 *)daxfs_page_addr(fl->sbi, fl->page) + fl->off;
	memcpy(dst, rec, len);
	daxfs_persist(dst, len);
	fl->off += len;
	fl->seq++;
	fl->records++;
	return 0;
}

/* Publish the log of the fold's slot (still CLAIMED). */
static void daxfs_fold_log_publish(struct daxfs_fold_log *fl)
{
	struct daxfs_branch *b;

	b = daxfs_branch_ptr(fl->sbi->region, &fl->sbi->geo, fl->slot);
	b->log_head = cpu_to_le64(fl->head);
	b->log_tail = fl->page ? cpu_to_le64(DAXFS_TAIL(fl->page, fl->off)) : 0;
	daxfs_persist(b, sizeof(*b));
	pmem_wmb();
}

/* ------------------------------------------------------------------------
 * Garbage: the slots main's chain no longer reaches
 */

struct daxfs_garbage {
	DECLARE_BITMAP(slots, DAXFS_BRANCH_COUNT);
	u32 count;
	u32 fold;		/* the fold slot main's chain starts with, 0: none */
};

/* COMMITTED slots off main's chain (table lock held). */
static int daxfs_garbage_find(struct super_block *sb, struct daxfs_garbage *g)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_live *live = daxfs_live_ptr(sbi->region, &sbi->geo);
	u64 seq, head, top;
	u32 *chain, len, s, i;
	int err;

	memset(g, 0, sizeof(*g));
	chain = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	daxfs_branch_head(sbi, &seq, &head);
	err = daxfs_main_chain_walk(sbi->region, &sbi->geo, head,
				    daxfs_le64_load(&live->fold_head), chain,
				    &len, &top, NULL);
	if (err)
		goto out;
	for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
		struct daxfs_branch *b = daxfs_branch_ptr(sbi->region,
							  &sbi->geo, s);

		if (daxfs_le32_load(&b->state) == DAXFS_BRANCH_COMMITTED)
			__set_bit(s, g->slots);
	}
	for (i = 0; i < len; i++)
		__clear_bit(chain[i], g->slots);
	/*
	 * The slot main_head names stays until the head moves on, even when a
	 * fold stands for it: a new branch hangs from it, and must not be
	 * given its number.
	 */
	__clear_bit(DAXFS_HEAD_SLOT(head), g->slots);
	g->count = bitmap_weight(g->slots, DAXFS_BRANCH_COUNT);
	g->fold = top ? chain[0] : 0;
out:
	kfree(chain);
	return err;
}

/**
 * daxfs_fold_pages - every page the log of a fold names
 * @sbi: any mount of the region
 * @fold: the fold's slot
 * @fn: called for each WRITE map entry (its record, index and page) and each
 *	SYMLINK's target page (index 0); a non-zero return stops the walk
 * @ctx: for @fn
 *
 * Return: 0, what @fn returned, or the error of the log.
 */
int daxfs_fold_pages(struct daxfs_sb_info *sbi, u32 fold,
		     int (*fn)(struct daxfs_sb_info *sbi,
			       const struct daxfs_lrec *r, u64 index,
			       u64 page, void *ctx),
		     void *ctx)
{
	struct daxfs_log_cursor *cur;
	struct daxfs_br br;
	struct daxfs_lrec r;
	u64 index, page;
	u32 i;
	int err;

	err = daxfs_read_branch(sbi->region, &sbi->geo, fold, &br, NULL);
	if (err)
		return err;
	cur = kvzalloc(sizeof(*cur), GFP_KERNEL);
	if (!cur)
		return -ENOMEM;
	err = daxfs_log_start(sbi->region, &sbi->geo, &br, br.log_tail, cur,
			      NULL);
	while (!err) {
		err = daxfs_log_next(sbi->region, &sbi->geo, cur, &r, NULL);
		if (err <= 0)
			break;
		err = 0;
		for (i = 0; !err && r.type == DAXFS_REC_WRITE && i < r.count;
		     i++) {
			daxfs_lrec_page(&r, i, &index, &page);
			err = fn(sbi, &r, index, page, ctx);
		}
		if (!err && r.type == DAXFS_REC_SYMLINK)
			err = fn(sbi, &r, 0, r.page, ctx);
		cond_resched();
	}
	kvfree(cur);
	return err;
}

static int daxfs_hand_over_page(struct daxfs_sb_info *sbi,
				const struct daxfs_lrec *r, u64 index, u64 page,
				void *ctx)
{
	const struct daxfs_garbage *g = ctx;

	daxfs_page_give_from(sbi, page, g->slots, g->fold);
	return 0;
}

/* Mark the log pages of fold slot @fold in @named. */
static int daxfs_fold_log_pages(struct daxfs_sb_info *sbi, u32 fold,
				unsigned long *named)
{
	struct daxfs_br br;
	u64 page, last, n;
	int err;

	err = daxfs_read_branch(sbi->region, &sbi->geo, fold, &br, NULL);
	if (err)
		return err;
	last = DAXFS_TAIL_PAGE(br.log_tail);
	if (br.log_tail && !DAXFS_TAIL_OFF(br.log_tail))
		last--;
	page = br.log_head;
	for (n = 0; page && n < sbi->geo.delta_pages; n++) {
		struct daxfs_log_page *hdr = daxfs_page_addr(sbi, page);

		if (page >= sbi->geo.delta_pages || !hdr)
			return -EUCLEAN;
		__set_bit(page, named);
		if (page == last)
			return 0;
		page = le64_to_cpu(READ_ONCE(hdr->next));
	}
	return 0;
}

static int daxfs_mark_page(struct daxfs_sb_info *sbi,
			   const struct daxfs_lrec *r, u64 index, u64 page,
			   void *ctx)
{
	if (page < sbi->geo.delta_pages)
		__set_bit(page, ctx);
	return 0;
}

/*
 * Free the pages the fold @fold owns but does not name: pages kept for a
 * reader's pin, once no reader pins anything.
 */
static int daxfs_fold_trim(struct daxfs_sb_info *sbi, u32 fold, u64 *freed)
{
	unsigned long *named;
	u64 p;
	int err;

	named = kvcalloc(BITS_TO_LONGS(sbi->geo.delta_pages), sizeof(long),
			 GFP_KERNEL);
	if (!named)
		return -ENOMEM;
	err = daxfs_fold_pages(sbi, fold, daxfs_mark_page, named);
	if (!err)
		err = daxfs_fold_log_pages(sbi, fold, named);
	for (p = sbi->geo.meta_pages; !err && p < sbi->geo.delta_pages; p++) {
		__le32 *o = daxfs_owner_ptr(sbi->region, &sbi->geo, p);

		if (daxfs_le32_load(o) == DAXFS_OWNER(fold) &&
		    !test_bit(p, named) && daxfs_page_free_of(sbi, p, fold))
			(*freed)++;
		if ((p & 4095) == 4095)
			cond_resched();
	}
	kvfree(named);
	return err;
}

/**
 * daxfs_fold_reap - free what folds left behind, once no reader needs it
 * @sb: any mount of the image (table lock held)
 * @st: what was freed is added here (may be NULL)
 *
 * Return: 0 (nothing left, or all freed), -EBUSY (a reader has not seen
 * the fold yet, or pins pages) or another error.
 */
static int daxfs_fold_reap(struct super_block *sb, struct daxfs_ioc_fold *st)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_live *live = daxfs_live_ptr(sbi->region, &sbi->geo);
	struct daxfs_garbage *g;
	u64 need, freed = 0, kept = 0;
	u32 s, slots = 0;
	bool pinned;
	int err;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	need = daxfs_le64_load(&live->fold_need);
	err = daxfs_garbage_find(sb, g);
	if (err)
		goto out;
	if (!g->count)
		goto trim;
	/* Garbage without a need: a folder stopped before storing it. */
	if (!need)
		need = daxfs_le64_load(&live->commit_seq);
	err = -EBUSY;
	if (!daxfs_readers_seen(sbi, need, &pinned))
		goto out;
	err = g->fold ? daxfs_fold_pages(sbi, g->fold, daxfs_hand_over_page, g)
		      : 0;
	if (err)
		goto out;
	/*
	 * A reader still reads pages of an older view (an open file a commit
	 * deleted): keep every page of the garbage with the fold, which frees
	 * them once no reader pins anything (or when it is folded in turn).
	 */
	if (pinned && g->fold)
		kept = daxfs_keep_pages_of(sbi, g->slots, g->fold);
	else
		freed = daxfs_free_pages_of(sbi, g->slots);
	for_each_set_bit(s, g->slots, DAXFS_BRANCH_COUNT) {
		struct daxfs_branch *b = daxfs_branch_ptr(sbi->region,
							  &sbi->geo, s);

		daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_COMMITTED,
				   DAXFS_BRANCH_FREE);
	}
	slots = g->count;
	pr_info("daxfs (phys=0x%llx): folded history freed: %u slots, %llu pages (%llu kept for open files)\n",
		(unsigned long long)sbi->phys, g->count,
		(unsigned long long)freed, (unsigned long long)kept);
trim:
	/* Pages kept for pins: need stays set until they are freed. */
	if (need && g->fold && !kept) {
		err = -EBUSY;
		if (daxfs_readers_pinned(sbi))
			goto out;
		err = daxfs_fold_trim(sbi, g->fold, &freed);
		if (err)
			goto out;
	}
	/*
	 * A kept head slot (one slot) is garbage for the next fold, or for
	 * the first look of a mount, once the head has moved on.
	 */
	if (need && !kept)
		daxfs_le64_cmpxchg(&live->fold_need, need, 0);
	err = kept ? -EBUSY : 0;
out:
	if (st) {
		st->slots_freed += slots;
		st->pages_freed += freed;
	}
	kfree(g);
	return err;
}

/* ------------------------------------------------------------------------
 * Mounts adopting a fold take the pages it moved
 */

/*
 * Page @index of @node reads base data in the view the fold replaced: the
 * node is a live base file and a commit after the fold's top did not cut
 * its base bytes off below @index.
 */
static bool daxfs_base_shows(struct daxfs_node *node, u64 index)
{
	u64 limit;

	if (!node->has_base || !node->v.nlink)
		return false;
	limit = min(node->v.base_limit, node->base.size);
	return index < DIV_ROUND_UP(limit, PAGE_SIZE) &&
	       index < DIV_ROUND_UP(node->v.size, PAGE_SIZE);
}

struct daxfs_correct {
	struct daxfs_compact *c;
	u32 fold;
};

static int daxfs_correct_page(struct daxfs_sb_info *sbi,
			      const struct daxfs_lrec *r, u64 index, u64 page,
			      void *ctx)
{
	struct daxfs_correct *cc = ctx;
	struct daxfs_node *node;
	void *entry, *old;

	if (r->type != DAXFS_REC_WRITE)
		return 0;
	/* The rule replay holds a fold's pages to, before the index takes one. */
	if (!daxfs_page_named_ok(sbi->region, &sbi->geo, cc->fold, true, page))
		return -EUCLEAN;
	node = daxfs_node_find(sbi, r->ino);
	if (!node || !S_ISREG(node->v.mode))
		return 0;
	entry = xa_load(&node->pages, index);
	if (!entry && !daxfs_base_shows(node, index))
		return 0;
	/* An entry of a commit after the top, or the page already. */
	if (entry && (daxfs_pref_slot(entry) != cc->fold ||
		      daxfs_pref_page(entry) == page))
		return 0;
	old = xa_store(&node->pages, index, daxfs_pref(page, cc->fold),
		       GFP_KERNEL);
	if (xa_is_err(old))
		return xa_err(old);
	return xa_err(xa_store(&cc->c->changed, r->ino, xa_mk_value(0),
			       GFP_KERNEL));
}

/**
 * daxfs_fold_correct - take the pages fold @fold moved
 * @sb: a mount whose chain now starts with @fold, its index retagged
 *	(index_lock held for write)
 * @fold: the fold's slot
 * @c: inode numbers whose mappings must go are added to c->changed
 *
 * The fold names main at its top; the mount's entries from the slots it
 * replaced (tagged @fold now) and its base data are that view too, but
 * where a fold moved the data. Entries of commits after the top are the
 * mount's own and stay.
 *
 * Return: 0, -ENOMEM, -EUCLEAN (a page the fold may not name), or the
 * error of the fold's log.
 */
int daxfs_fold_correct(struct super_block *sb, u32 fold,
		       struct daxfs_compact *c)
{
	struct daxfs_correct cc = { .c = c, .fold = fold };

	return daxfs_fold_pages(DAXFS_SB(sb), fold, daxfs_correct_page, &cc);
}

/* ------------------------------------------------------------------------
 * The fold
 */

/*
 * Write the fold of the mount's index into a new slot and publish it
 * (table lock, live_lock and index_lock held). @top: the head the index is.
 */
static int daxfs_fold_publish(struct super_block *sb, u64 top,
			      struct daxfs_compact *c,
			      struct daxfs_ioc_fold *st)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_live *live = daxfs_live_ptr(sbi->region, &sbi->geo);
	struct daxfs_fold_log fl = { .sbi = sbi };
	struct daxfs_fold_sink sink = { .emit = daxfs_fold_emit, .ctx = &fl };
	struct daxfs_report rep = { };
	struct daxfs_branch *b;
	u64 gen, limbo, seq;
	int err;

	err = daxfs_slot_claim(sbi, &fl.slot, &gen);
	if (err)
		return err;
	daxfs_slot_init(sbi, fl.slot, gen, top, DAXFS_BRANCH_F_FOLD, "fold");
	err = daxfs_new_ino(sbi, &limbo);
	if (!err)
		err = daxfs_compact(sb, fl.slot, c);
	if (!err)
		err = daxfs_fold_write(sbi->region, &sbi->geo, &daxfs_fold_view,
				       sbi, limbo, ktime_get_real_ns(), &sink,
				       &rep);
	if (err == -EUCLEAN)
		daxfs_report_corrupt(sb, err, &rep);
	b = daxfs_branch_ptr(sbi->region, &sbi->geo, fl.slot);
	if (err) {
		daxfs_compact_undo(c);
		daxfs_free_slot_pages(sbi, fl.slot);
		daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_CLAIMED,
				   DAXFS_BRANCH_FREE);
		return err;
	}
	daxfs_fold_log_publish(&fl);
	daxfs_le32_cmpxchg(&b->state, DAXFS_BRANCH_CLAIMED,
			   DAXFS_BRANCH_COMMITTED);
	daxfs_persist(&b->state, sizeof(b->state));
	pmem_wmb();
	/* Folds hold the table lock: nobody else moves fold_head. */
	WRITE_ONCE(live->fold_head, cpu_to_le64(DAXFS_HEAD(fl.slot, gen)));
	daxfs_persist(&live->fold_head, sizeof(live->fold_head));
	seq = daxfs_le64_load(&live->commit_seq) + 1;
	WRITE_ONCE(live->fold_need, cpu_to_le64(seq));
	daxfs_persist(&live->fold_need, sizeof(live->fold_need));
	pmem_wmb();
	/* Every mount looks again, adopts the fold and says it has seen it. */
	seq = daxfs_le64_add(&live->commit_seq, 1);
	/*
	 * This mount's view is the fold's: it starts its chain there. It has
	 * seen the fold only if main is still at the top (commits hold the
	 * table lock): else it follows the commits after the top first.
	 */
	sbi->chain[0] = fl.slot;
	sbi->chain_len = 1;
	daxfs_chain_note(sbi);
	daxfs_index_retag(sbi, NULL, 0, fl.slot);
	if (daxfs_le64_load(&live->main_head) == top) {
		WRITE_ONCE(sbi->seen_seq, seq);
		daxfs_reader_seen(sbi, seq);
	}
	st->records = fl.records;
	st->log_pages = fl.pages;
	st->fold_slot = fl.slot;
	st->runs = c->runs;
	pr_info("daxfs (phys=0x%llx): main folded into slot %u: %llu records, %llu log pages, %u runs of 2 MiB moved\n",
		(unsigned long long)sbi->phys, fl.slot,
		(unsigned long long)fl.records, (unsigned long long)fl.pages,
		c->runs);
	return 0;
}

/*
 * What to fold (table lock held): 0 and the mount's head when main's chain
 * at it has commits after the fold it starts with; -EALREADY when not;
 * -EAGAIN when the mount is behind main's fold.
 */
static int daxfs_fold_check(struct super_block *sb, u64 *top)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	u64 fold = daxfs_fold_head(sbi), ftop;
	u32 *chain, len;
	int err;

	*top = sbi->seen_head;
	if (DAXFS_HEAD_SLOT(*top) == DAXFS_MAIN_SLOT)
		return -EALREADY;
	chain = kmalloc_array(DAXFS_BRANCH_COUNT, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	err = daxfs_main_chain_walk(sbi->region, &sbi->geo, *top, fold, chain,
				    &len, &ftop, NULL);
	if (!err && fold && !ftop)
		err = -EAGAIN;
	else if (!err && ftop && len == 1)
		err = -EALREADY;
	kfree(chain);
	return err;
}

/**
 * daxfs_fold - fold main's history now, and free what folds left behind
 * @sb: a mount whose view is main (main, or a committed branch)
 * @st: what was done
 * @wait_ms: how long to wait for the other mounts to see the fold, so that
 *	what it replaced is freed (and counted) before it returns
 *
 * Return: 0, -EOPNOTSUPP (the image does not fold), -EINVAL (the mount is
 * a writable branch), -ESTALE, -ENOSPC, or the error of the view.
 */
int daxfs_fold(struct super_block *sb, struct daxfs_ioc_fold *st,
	       unsigned int wait_ms)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_compact c;
	u64 top;
	int err;

	memset(st, 0, sizeof(*st));
	if (sbi->reader < 0)
		return -EOPNOTSUPP;
	if (sbi->writable)
		return -EINVAL;
	if (READ_ONCE(sbi->dead))
		return -ESTALE;
	daxfs_compact_init(&c);
	mutex_lock(&sbi->live_lock);
	down_write(&sbi->index_lock);
	daxfs_table_lock(sbi);
	err = daxfs_fold_check(sb, &top);
	if (!err)
		err = daxfs_fold_publish(sb, top, &c, st);
	else if (err == -EALREADY)
		err = 0;
	/*
	 * Reap in the same hold of the lock when the readers allow it: else a
	 * periodic look could free what the fold left before the settle
	 * below counts it.
	 */
	if (!err)
		daxfs_fold_reap(sb, st);
	daxfs_table_unlock(sbi);
	up_write(&sbi->index_lock);
	mutex_unlock(&sbi->live_lock);
	daxfs_compact_end(sb, &c);
	if (!err)
		err = daxfs_fold_settle(sb, st, wait_ms);
	return err;
}

/**
 * daxfs_fold_settle - free what folds left behind
 * @sb: any mount of an image that folds
 * @st: what was freed is added here
 * @wait_ms: how long to wait for other readers to see the fold
 *
 * Return: 0; -EBUSY when readers still had not seen it (it is freed later,
 * by whichever mount looks then).
 */
int daxfs_fold_settle(struct super_block *sb, struct daxfs_ioc_fold *st,
		      unsigned int wait_ms)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	unsigned long until = jiffies + msecs_to_jiffies(wait_ms);
	int err;

	if (sbi->reader < 0)
		return 0;
	for (;;) {
		daxfs_table_lock(sbi);
		err = daxfs_fold_reap(sb, st);
		daxfs_table_unlock(sbi);
		if (err != -EBUSY || !time_before(jiffies, until))
			break;
		msleep(50);
	}
	if (st)
		st->pending = err == -EBUSY;
	return err == -EBUSY ? 0 : err;
}

/* Slots in use (not FREE). */
static u32 daxfs_slots_used(struct daxfs_sb_info *sbi)
{
	u32 s, n = 0;

	for (s = 1; s < DAXFS_BRANCH_COUNT; s++)
		n += daxfs_le32_load(&daxfs_branch_ptr(sbi->region, &sbi->geo,
						       s)->state) !=
		     DAXFS_BRANCH_FREE;
	return n;
}

/*
 * Slots or space run low. For space, main's chain must have grown since the
 * last fold (DAXFS_FOLD_LOW_CHAIN), unless less than a sixteenth is free.
 */
static bool daxfs_fold_low(struct daxfs_sb_info *sbi)
{
	u64 free = daxfs_free_pages(sbi), pages = sbi->geo.delta_pages;

	if (DAXFS_BRANCH_COUNT - 1 - daxfs_slots_used(sbi) <
	    DAXFS_FOLD_FREE_SLOTS)
		return true;
	if (free >= pages / 4)
		return false;
	return sbi->chain_len >= DAXFS_FOLD_LOW_CHAIN || free < pages / 16;
}

/*
 * Once main has gone fold_quiet_s seconds without a commit, a mount of it
 * folds if that moves parts of files that commits scattered (compact.c):
 * mapped reads of them get PMDs again without anyone running gc.
 */
static unsigned int fold_quiet_s = 30;
module_param(fold_quiet_s, uint, 0644);
MODULE_PARM_DESC(fold_quiet_s,
		 "fold main, to compact files commits scattered, once it has had no commit for this long (s; 0: never)");

/* Main quiet for fold_quiet_s, and a fold would move a part: once a spell. */
static bool daxfs_fold_quiet(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	unsigned int quiet = READ_ONCE(fold_quiet_s);
	u64 seq = READ_ONCE(sbi->seen_seq);

	if (seq != sbi->quiet_seq || !sbi->quiet_since) {
		sbi->quiet_seq = seq;
		sbi->quiet_since = jiffies | 1;
		sbi->quiet_tried = false;
		return false;
	}
	/* Behind main (a fold of another mount, say): look again later. */
	if (!quiet || sbi->quiet_tried || daxfs_live_moved(sbi) ||
	    time_before(jiffies, sbi->quiet_since + quiet * HZ))
		return false;
	sbi->quiet_tried = true;
	if (!daxfs_compact_wanted(sb))
		return false;
	pr_info("daxfs (phys=0x%llx): main had no commit for %u s and files have scattered parts: folding to compact them\n",
		(unsigned long long)sbi->phys, quiet);
	return true;
}

/**
 * daxfs_fold_tick - fold on its own when history grows
 * @sb: a mount (the periodic look, or after a commit)
 *
 * A mount whose view is main folds when main's chain has DAXFS_FOLD_CHAIN
 * slots, or fewer than DAXFS_FOLD_FREE_SLOTS slots or a quarter of the
 * delta region are free (daxfs_fold_low()), or main was quiet and files
 * have parts to compact (daxfs_fold_quiet()); any mount frees what an
 * earlier fold left behind.
 */
void daxfs_fold_tick(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);
	struct daxfs_live *live;
	struct daxfs_ioc_fold st;

	if (sbi->reader < 0 || READ_ONCE(sbi->dead) || READ_ONCE(sbi->broken))
		return;
	live = daxfs_live_ptr(sbi->region, &sbi->geo);
	/* Once after mount too: garbage a folder that stopped left unannounced. */
	if (daxfs_le64_load(&live->fold_need) || !sbi->reaped_once) {
		memset(&st, 0, sizeof(st));
		if (!daxfs_fold_settle(sb, &st, 0) && !st.pending)
			sbi->reaped_once = true;
	}
	if (sbi->writable || sbi->chain_len < 2)
		return;
	if (sbi->chain_len >= DAXFS_FOLD_CHAIN || daxfs_fold_low(sbi) ||
	    daxfs_fold_quiet(sb))
		daxfs_fold(sb, &st, 0);
}
