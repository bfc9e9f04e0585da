// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Small images with branches, built by hand for the fuzzer's seed corpus and
 * for checking common/daxfs_log.c: a base of one empty root directory, a
 * branch table and a delta region of 16 pages. The same bytes every run.
 *
 *   branch_seeds OUTDIR     writes OUTDIR/br-{fresh,active,committed,multi}.daxfs
 *
 * fuzz_branches.c includes this file (BRANCH_SEEDS_NO_MAIN) to rebuild them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daxfs_log.h"

#define SEED_DELTA_PAGES 16
#define SEED_BRANCH_OFF 4096
#define SEED_INODE_OFF (SEED_BRANCH_OFF + DAXFS_BRANCH_COUNT * 128)
#define SEED_DATA_OFF (SEED_INODE_OFF + 4096)
#define SEED_DELTA_OFF SEED_DATA_OFF
#define SEED_SIZE (SEED_DELTA_OFF + SEED_DELTA_PAGES * DAXFS_BLOCK_SIZE)

struct seed {
	unsigned char *img;
	u64 next_page;
	u64 free_pages;
	u64 next_ino;
};

static struct daxfs_super *seed_super(struct seed *s)
{
	return (struct daxfs_super *)s->img;
}

static struct daxfs_branch *seed_branch(struct seed *s, u32 slot)
{
	return (struct daxfs_branch *)(s->img + SEED_BRANCH_OFF) + slot;
}

static __le32 *seed_owner(struct seed *s, u64 page)
{
	return (__le32 *)(s->img + SEED_DELTA_OFF) + page;
}

static unsigned char *seed_page(struct seed *s, u64 page)
{
	return s->img + SEED_DELTA_OFF + page * DAXFS_BLOCK_SIZE;
}

static void seed_live(struct seed *s, u64 main_head, u64 commit_seq)
{
	struct daxfs_live *l = (struct daxfs_live *)(s->img + DAXFS_SUPER_FIXED_SIZE);

	l->main_head = cpu_to_le64(main_head);
	l->commit_seq = cpu_to_le64(commit_seq);
	l->next_ino = cpu_to_le64(s->next_ino);
	l->alloc_hint = cpu_to_le64(s->next_page);
	l->free_pages = cpu_to_le64(s->free_pages);
}

/* The base: superblock, main in slot 0, root inode, owner table. */
static void seed_base(struct seed *s)
{
	struct daxfs_super *sb;
	struct daxfs_inode *root;
	struct daxfs_branch *m;

	memset(s->img, 0, SEED_SIZE);
	sb = seed_super(s);
	sb->magic = cpu_to_le32(DAXFS_SUPER_MAGIC);
	sb->version = cpu_to_le32(DAXFS_VERSION);
	sb->block_size = cpu_to_le32(DAXFS_BLOCK_SIZE);
	sb->feature_incompat = cpu_to_le32(DAXFS_FEATURE_INCOMPAT_BRANCHES);
	sb->root_ino = cpu_to_le32(DAXFS_ROOT_INO);
	sb->image_size = cpu_to_le64(SEED_SIZE);
	sb->inode_off = cpu_to_le64(SEED_INODE_OFF);
	sb->inode_count = cpu_to_le64(1);
	sb->data_off = cpu_to_le64(SEED_DATA_OFF);
	sb->data_size = cpu_to_le64(0);
	sb->branch_off = cpu_to_le64(SEED_BRANCH_OFF);
	sb->branch_count = cpu_to_le64(DAXFS_BRANCH_COUNT);
	sb->delta_off = cpu_to_le64(SEED_DELTA_OFF);
	sb->delta_size = cpu_to_le64((u64)SEED_DELTA_PAGES * DAXFS_BLOCK_SIZE);
	memcpy(sb->uuid, "daxfs-br-seed-01", 16);
	sb->checksum = cpu_to_le32(daxfs_super_csum(sb));

	root = (struct daxfs_inode *)(s->img + SEED_INODE_OFF);
	root->mode = cpu_to_le16(S_IFDIR | 0755);
	root->nlink = cpu_to_le32(2);
	root->parent = cpu_to_le32(DAXFS_ROOT_INO);
	root->mtime = cpu_to_le64(1700000000);
	root->ctime = cpu_to_le64(1700000000);

	m = seed_branch(s, DAXFS_MAIN_SLOT);
	m->state = cpu_to_le32(DAXFS_BRANCH_MAIN);
	strcpy(m->name, "main");
	*seed_owner(s, 0) = cpu_to_le32(DAXFS_OWNER_META);
	s->next_page = 1;
	s->free_pages = SEED_DELTA_PAGES - 1;
	s->next_ino = 2;
	seed_live(s, 0, 0);
}

static u64 seed_take(struct seed *s, u32 slot)
{
	u64 page = s->next_page++;

	*seed_owner(s, page) = cpu_to_le32(DAXFS_OWNER(slot));
	s->free_pages--;
	seed_branch(s, slot)->pages =
		cpu_to_le64(le64_to_cpu(seed_branch(s, slot)->pages) + 1);
	return page;
}

static void seed_slot(struct seed *s, u32 slot, u32 state, u32 parent,
		      u64 gen, u64 parent_gen, const char *name)
{
	struct daxfs_branch *b = seed_branch(s, slot);

	b->state = cpu_to_le32(state);
	b->parent = cpu_to_le32(parent);
	b->generation = cpu_to_le64(gen);
	b->parent_gen = cpu_to_le64(parent_gen);
	b->created = cpu_to_le64(1700000000000000000ULL);
	b->owner = cpu_to_le64(0x1234);
	strcpy(b->name, name);
}

/* A log being written: page, offset, seq. */
struct seed_log {
	struct seed *s;
	u32 slot;
	u64 page;
	u32 off;
	u64 seq;
};

static void log_new_page(struct seed_log *l)
{
	u64 page = seed_take(l->s, l->slot);
	struct daxfs_log_page *h = (struct daxfs_log_page *)seed_page(l->s, page);
	struct daxfs_branch *b = seed_branch(l->s, l->slot);

	h->owner = cpu_to_le32(DAXFS_OWNER(l->slot));
	if (l->page)
		((struct daxfs_log_page *)seed_page(l->s, l->page))->next =
			cpu_to_le64(page);
	else
		b->log_head = cpu_to_le64(page);
	l->page = page;
	l->off = DAXFS_LOG_START;
}

static void log_add(struct seed_log *l, void *rec, u32 len)
{
	struct daxfs_rec *h = rec;

	if (!l->page || l->off + len > DAXFS_BLOCK_SIZE)
		log_new_page(l);
	h->len = cpu_to_le16(len);
	h->seq = cpu_to_le64(++l->seq);
	h->crc = 0;
	h->crc = cpu_to_le32(daxfs_rec_csum(rec, len));
	memcpy(seed_page(l->s, l->page) + l->off, rec, len);
	l->off += len;
	seed_branch(l->s, l->slot)->log_tail =
		cpu_to_le64(((u64)l->page << DAXFS_BLOCK_SHIFT) + l->off);
}

static void rec_head(struct daxfs_rec *h, u32 type, u64 ino)
{
	h->type = cpu_to_le16(type);
	h->ino = cpu_to_le64(ino);
	h->time = cpu_to_le64(1700000001000000000ULL);
}

static void log_create(struct seed_log *l, u32 type, u32 mode, u64 parent,
		       const char *name, u64 page, u64 size)
{
	union {
		struct daxfs_rec_create c;
		u8 b[512];
	} r;
	u32 n = strlen(name);

	memset(&r, 0, sizeof(r));
	rec_head(&r.c.h, type, l->s->next_ino++);
	r.c.parent = cpu_to_le64(parent);
	r.c.page = cpu_to_le64(page);
	r.c.size = cpu_to_le64(size);
	r.c.mode = cpu_to_le32(mode);
	r.c.name_len = cpu_to_le16(n);
	memcpy(r.b + sizeof(r.c), name, n);
	log_add(l, &r, (sizeof(r.c) + n + 7) & ~7u);
}

static void log_name(struct seed_log *l, u32 type, u64 ino, u64 parent,
		     const char *name)
{
	union {
		struct daxfs_rec_name c;
		u8 b[512];
	} r;
	u32 n = strlen(name);

	memset(&r, 0, sizeof(r));
	rec_head(&r.c.h, type, ino);
	r.c.parent = cpu_to_le64(parent);
	r.c.name_len = cpu_to_le16(n);
	memcpy(r.b + sizeof(r.c), name, n);
	log_add(l, &r, (sizeof(r.c) + n + 7) & ~7u);
}

static void log_write(struct seed_log *l, u64 ino, u64 size, u32 pages)
{
	union {
		struct daxfs_rec_write w;
		u8 b[DAXFS_REC_MAX];
	} r;
	u32 i;

	memset(&r, 0, sizeof(r));
	rec_head(&r.w.h, DAXFS_REC_WRITE, ino);
	r.w.size = cpu_to_le64(size);
	r.w.count = cpu_to_le32(pages);
	for (i = 0; i < pages; i++) {
		u64 page = seed_take(l->s, l->slot);

		memset(seed_page(l->s, page), 'a' + i, DAXFS_BLOCK_SIZE);
		r.w.map[i].index = cpu_to_le64(i);
		r.w.map[i].page = cpu_to_le64(page);
	}
	log_add(l, &r, sizeof(r.w) + pages * sizeof(r.w.map[0]));
}

/* One record of every type (names fixed; the second page starts mid-way). */
static void seed_log_all(struct seed *s, u32 slot)
{
	struct seed_log l = { .s = s, .slot = slot };
	u64 file = s->next_ino, dir = file + 1, link, sym_page;
	union {
		struct daxfs_rec_rename r;
		struct daxfs_rec_setattr a;
		struct daxfs_rec_truncate t;
		u8 b[256];
	} r;
	int i;

	log_create(&l, DAXFS_REC_CREATE, S_IFREG | 0644, 1, "file", 0, 0);
	log_create(&l, DAXFS_REC_MKDIR, S_IFDIR | 0755, 1, "dir", 0, 0);
	log_write(&l, file, 3 * DAXFS_BLOCK_SIZE - 100, 3);
	sym_page = seed_take(s, slot);
	memcpy(seed_page(s, sym_page), "file", 4);
	link = s->next_ino;
	log_create(&l, DAXFS_REC_SYMLINK, S_IFLNK | 0777, dir, "sym", sym_page, 4);
	log_create(&l, DAXFS_REC_MKNOD, S_IFIFO | 0600, dir, "fifo", 0, 0);
	log_name(&l, DAXFS_REC_LINK, file, dir, "hard");

	memset(&r, 0, sizeof(r));
	rec_head(&r.r.h, DAXFS_REC_RENAME, link);
	r.r.old_parent = cpu_to_le64(dir);
	r.r.new_parent = cpu_to_le64(1);
	r.r.old_len = cpu_to_le16(3);
	r.r.new_len = cpu_to_le16(4);
	memcpy(r.b + sizeof(r.r), "symsym2", 7);
	log_add(&l, &r, (sizeof(r.r) + 7 + 7) & ~7u);

	memset(&r, 0, sizeof(r));
	rec_head(&r.a.h, DAXFS_REC_SETATTR, file);
	r.a.valid = cpu_to_le32(DAXFS_ATTR_MODE | DAXFS_ATTR_MTIME);
	r.a.mode = cpu_to_le32(0600);
	r.a.mtime = cpu_to_le64(1600000000000000000ULL);
	log_add(&l, &r, sizeof(r.a));

	memset(&r, 0, sizeof(r));
	rec_head(&r.t.h, DAXFS_REC_TRUNCATE, file);
	r.t.size = cpu_to_le64(10);
	log_add(&l, &r, sizeof(r.t));
	log_name(&l, DAXFS_REC_UNLINK, file, dir, "hard");
	/* Enough names to spill onto a second and third log page. */
	for (i = 0; i < 30; i++) {
		char name[80];

		snprintf(name, sizeof(name), "spill-%02d-%s", i,
			 "padding-padding-padding-padding-padding");
		log_create(&l, DAXFS_REC_CREATE, S_IFREG | 0644, dir, name, 0, 0);
	}
}

static void seed_fresh(struct seed *s)
{
	seed_base(s);
}

static void seed_active(struct seed *s)
{
	seed_base(s);
	seed_slot(s, 1, DAXFS_BRANCH_ACTIVE, 0, 1, 0, "feature");
	seed_log_all(s, 1);
	seed_live(s, 0, 0);
}

static void seed_committed(struct seed *s)
{
	seed_base(s);
	seed_slot(s, 1, DAXFS_BRANCH_COMMITTED, 0, 1, 0, "one");
	seed_log_all(s, 1);
	seed_slot(s, 2, DAXFS_BRANCH_ACTIVE, 1, 3, 1, "two.b");
	seed_live(s, DAXFS_HEAD(1, 1), 1);
}

/* A log whose first page is exactly full: the tail is DAXFS_TAIL(page + 1, 0). */
static void seed_fill_page(struct seed *s, struct seed_log *l)
{
	struct daxfs_rec_setattr a;
	int i;

	for (i = 0; i < 62; i++) {	/* 62 x 64 + 112 = 4080 bytes */
		memset(&a, 0, sizeof(a));
		rec_head(&a.h, DAXFS_REC_SETATTR, DAXFS_ROOT_INO);
		a.valid = cpu_to_le32(DAXFS_ATTR_MODE);
		a.mode = cpu_to_le32(i & 1 ? 0755 : 0750);
		log_add(l, &a, sizeof(a));
	}
	log_create(l, DAXFS_REC_CREATE, S_IFREG | 0644, DAXFS_ROOT_INO,
		   "a-name-of-thirty-two-bytes-long.", 0, 0);
	(void)s;
}

static void seed_fullpage(struct seed *s)
{
	struct seed_log l = { .s = s, .slot = 1 };

	seed_base(s);
	seed_slot(s, 1, DAXFS_BRANCH_ACTIVE, 0, 1, 0, "full");
	seed_fill_page(s, &l);
	seed_live(s, 0, 0);
}

static void seed_pastfull(struct seed *s)
{
	struct seed_log l = { .s = s, .slot = 1 };

	seed_base(s);
	seed_slot(s, 1, DAXFS_BRANCH_ACTIVE, 0, 1, 0, "past-full");
	seed_fill_page(s, &l);
	log_create(&l, DAXFS_REC_MKDIR, S_IFDIR | 0755, DAXFS_ROOT_INO, "next", 0, 0);
	seed_live(s, 0, 0);
}

static void seed_multi(struct seed *s)
{
	struct seed_log l = { .s = s, .slot = 3 };

	seed_committed(s);
	seed_slot(s, 3, DAXFS_BRANCH_ACTIVE, 2, 2, 3, "child_of-two");
	log_create(&l, DAXFS_REC_MKDIR, S_IFDIR | 0700, 1, "c", 0, 0);
	seed_slot(s, 4, DAXFS_BRANCH_DEAD, 1, 7, 1, "dead");
	seed_take(s, 4);
	seed_live(s, DAXFS_HEAD(1, 1), 4);
}

static const struct {
	const char *name;
	void (*make)(struct seed *s);
} branch_seeds[] = {
	{ "br-fresh", seed_fresh },
	{ "br-active", seed_active },
	{ "br-committed", seed_committed },
	{ "br-multi", seed_multi },
	{ "br-fullpage", seed_fullpage },
	{ "br-pastfull", seed_pastfull },
};

#ifndef BRANCH_SEEDS_NO_MAIN
int main(int argc, char **argv)
{
	static unsigned char img[SEED_SIZE];
	struct seed s = { .img = img };
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: branch_seeds OUTDIR\n");
		return 2;
	}
	for (i = 0; i < sizeof(branch_seeds) / sizeof(branch_seeds[0]); i++) {
		char path[4096];
		struct daxfs_report rep = { "" };
		FILE *f;
		int err;

		branch_seeds[i].make(&s);
		err = daxfs_validate_image(img, SEED_SIZE, &rep);
		if (err) {
			fprintf(stderr, "branch_seeds: %s does not validate: %s (%d)\n",
				branch_seeds[i].name, rep.msg, err);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/%s.daxfs", argv[1],
			 branch_seeds[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(img, SEED_SIZE, 1, f) != 1 || fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
#endif
