// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Checking and decoding of the branch table and delta logs, shared by the
 * kernel module and the tools. See daxfs_log.h for the contract.
 *
 * As in daxfs_check.c, every shared value is read once into a private copy
 * (a record is copied whole before its crc is checked) and only the copy is
 * used. Every walk is bounded: a log never has more pages than the delta
 * region, a parent chain never has more links than the branch table.
 */
#include "daxfs_log.h"

#define report(rep, ...)						\
	do {								\
		struct daxfs_report *rep_ = (rep);			\
									\
		if (rep_)						\
			snprintf(rep_->msg, sizeof(rep_->msg), __VA_ARGS__); \
	} while (0)

#define LLU(x) ((unsigned long long)(x))

/* Largest file size and page index a record may name (as MAX_LFS_FILESIZE). */
#define REC_SIZE_MAX	((u64)0x7fffffffffffffffULL)

static bool has_branches(const struct daxfs_geo *geo)
{
	return geo->branch_off && geo->delta_off && geo->delta_pages;
}

struct daxfs_live *daxfs_live_ptr(void *region, const struct daxfs_geo *geo)
{
	if (!has_branches(geo))
		return NULL;
	return (struct daxfs_live *)((u8 *)region + DAXFS_SUPER_FIXED_SIZE);
}

struct daxfs_branch *daxfs_branch_ptr(void *region, const struct daxfs_geo *geo,
				      u32 slot)
{
	if (!has_branches(geo) || slot >= DAXFS_BRANCH_COUNT)
		return NULL;
	return (struct daxfs_branch *)((u8 *)region + geo->branch_off) + slot;
}

__le32 *daxfs_owner_ptr(void *region, const struct daxfs_geo *geo, u64 page)
{
	if (!has_branches(geo) || page >= geo->delta_pages)
		return NULL;
	return (__le32 *)((u8 *)region + geo->delta_off) + page;
}

void *daxfs_delta_page(void *region, const struct daxfs_geo *geo, u64 page)
{
	if (!has_branches(geo) || page >= geo->delta_pages)
		return NULL;
	return (u8 *)region + geo->delta_off + page * DAXFS_BLOCK_SIZE;
}

/* One owner table entry, read once. */
static u32 read_owner(const void *region, const struct daxfs_geo *geo, u64 page)
{
	__le32 v;

	memcpy(&v, (const u8 *)region + geo->delta_off + page * sizeof(v),
	       sizeof(v));
	return le32_to_cpu(v);
}

/* A page that records may name: inside the region, not the owner table. */
static bool page_ok(const struct daxfs_geo *geo, u64 page)
{
	return page >= geo->meta_pages && page < geo->delta_pages;
}

int daxfs_read_live(const void *region, const struct daxfs_geo *geo,
		    struct daxfs_live_words *out, struct daxfs_report *rep)
{
	const u8 *live = (const u8 *)region + DAXFS_SUPER_FIXED_SIZE;
	__le64 raw[offsetof(struct daxfs_live, readers) / sizeof(__le64)];
	u32 slot;

	if (!has_branches(geo)) {
		report(rep, "image has no branches");
		return -EINVAL;
	}
	memcpy(raw, live, sizeof(raw));
#define LIVE_WORD(field) le64_to_cpu(raw[offsetof(struct daxfs_live, field) / 8])
	out->main_head = LIVE_WORD(main_head);
	out->commit_seq = LIVE_WORD(commit_seq);
	out->next_ino = LIVE_WORD(next_ino);
	out->free_pages = LIVE_WORD(free_pages);
	out->fold_head = LIVE_WORD(fold_head);
	out->fold_need = LIVE_WORD(fold_need);
#undef LIVE_WORD
	slot = DAXFS_HEAD_SLOT(out->main_head);
	if (slot >= DAXFS_BRANCH_COUNT ||
	    (slot == DAXFS_MAIN_SLOT && DAXFS_HEAD_GEN(out->main_head))) {
		report(rep, "live main_head 0x%llx is corrupt", LLU(out->main_head));
		return -EUCLEAN;
	}
	if (!(geo->feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD)) {
		out->fold_head = 0;
		out->fold_need = 0;
	}
	slot = DAXFS_HEAD_SLOT(out->fold_head);
	if (out->fold_head && (slot == DAXFS_MAIN_SLOT ||
			       slot >= DAXFS_BRANCH_COUNT)) {
		report(rep, "live fold_head 0x%llx is corrupt", LLU(out->fold_head));
		return -EUCLEAN;
	}
	if (out->next_ino <= geo->inode_count || out->next_ino > REC_SIZE_MAX) {
		report(rep, "live next_ino %llu is corrupt", LLU(out->next_ino));
		return -EUCLEAN;
	}
	if (out->free_pages > geo->delta_pages - geo->meta_pages) {
		report(rep, "live free_pages %llu is more than the region has",
		       LLU(out->free_pages));
		return -EUCLEAN;
	}
	return 0;
}

bool daxfs_branch_name_ok(const char *name, u32 len)
{
	u32 i;

	if (len < 1 || len > DAXFS_BRANCH_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* A DAXFS_TAIL() value names a place inside a log page of the region. */
static bool tail_ok(const struct daxfs_geo *geo, u64 tail)
{
	u64 page = DAXFS_TAIL_PAGE(tail);
	u32 off = DAXFS_TAIL_OFF(tail);

	if (!tail)
		return true;
	if (!off)		/* the very end of page - 1 (see docs/format.md) */
		return page > geo->meta_pages && page - 1 < geo->delta_pages;
	return page_ok(geo, page) && off >= DAXFS_LOG_START &&
	       off % DAXFS_REC_ALIGN == 0;
}

static void decode_branch(const struct daxfs_branch *raw, u32 slot,
			  struct daxfs_br *out)
{
	out->slot = slot;
	out->state = le32_to_cpu(raw->state);
	out->parent = le32_to_cpu(raw->parent);
	out->mounts = le32_to_cpu(raw->mounts);
	out->flags = le32_to_cpu(raw->flags);
	out->generation = le64_to_cpu(raw->generation);
	out->parent_gen = le64_to_cpu(raw->parent_gen);
	out->log_head = le64_to_cpu(raw->log_head);
	out->log_tail = le64_to_cpu(raw->log_tail);
	out->pages = le64_to_cpu(raw->pages);
	out->created = le64_to_cpu(raw->created);
	out->owner = le64_to_cpu(raw->owner);
	out->beat = le64_to_cpu(raw->heartbeat);
	memcpy(out->name, raw->name, sizeof(out->name));
}

/* The name field: 1..47 good bytes, then NUL padding. */
static bool branch_name_field_ok(const char *name)
{
	u32 len = 0;

	while (len < DAXFS_BRANCH_NAME_MAX + 1 && name[len])
		len++;
	return len <= DAXFS_BRANCH_NAME_MAX && daxfs_branch_name_ok(name, len) &&
	       daxfs_mem_is_zero(name + len, DAXFS_BRANCH_NAME_MAX + 1 - len);
}

static const char *check_branch(const struct daxfs_geo *geo,
				const struct daxfs_br *b)
{
	u32 flags_ok = 0;

	bool is_main_slot = b->slot == DAXFS_MAIN_SLOT;
	bool is_main_state = b->state == DAXFS_BRANCH_MAIN;

	if (b->state > DAXFS_BRANCH_CLAIMED)
		return "unknown state";
	if (is_main_slot != is_main_state)
		return "main state not in slot 0";
	if (b->state == DAXFS_BRANCH_FREE || b->state == DAXFS_BRANCH_CLAIMED)
		return NULL;	/* fields are stale or being written */
	if (b->parent >= DAXFS_BRANCH_COUNT ||
	    (b->parent == b->slot && b->slot != DAXFS_MAIN_SLOT))
		return "bad parent";
	if (b->slot == DAXFS_MAIN_SLOT &&
	    (b->parent || b->generation || b->log_head || b->log_tail ||
	     strcmp(b->name, "main")))
		return "main slot is not main";
	if (b->slot != DAXFS_MAIN_SLOT && !b->generation)
		return "generation 0";
	if ((geo->feature_incompat & DAXFS_FEATURE_INCOMPAT_FOLD) &&
	    b->state == DAXFS_BRANCH_COMMITTED)
		flags_ok = DAXFS_BRANCH_F_SUPP;
	if (b->flags & ~flags_ok)
		return "unknown flags";
	if (!branch_name_field_ok(b->name))
		return "bad name";
	if ((b->log_head && !page_ok(geo, b->log_head)) ||
	    (b->log_tail && !b->log_head) || !tail_ok(geo, b->log_tail))
		return "log pointers outside the delta region";
	if (b->pages > geo->delta_pages)
		return "owns more pages than the region has";
	return NULL;
}

int daxfs_read_branch(const void *region, const struct daxfs_geo *geo,
		      u32 slot, struct daxfs_br *out, struct daxfs_report *rep)
{
	struct daxfs_branch raw;
	const char *why;

	if (!has_branches(geo) || slot >= DAXFS_BRANCH_COUNT)
		return -EINVAL;
	memcpy(&raw, (const u8 *)region + geo->branch_off + slot * sizeof(raw),
	       sizeof(raw));
	decode_branch(&raw, slot, out);
	out->name[DAXFS_BRANCH_NAME_MAX] = '\0';
	why = check_branch(geo, out);
	if (!why && raw.name[DAXFS_BRANCH_NAME_MAX] &&
	    out->state != DAXFS_BRANCH_FREE && out->state != DAXFS_BRANCH_CLAIMED)
		why = "name not terminated";
	if (why) {
		report(rep, "branch slot %u is corrupt: %s", slot, why);
		return -EUCLEAN;
	}
	return 0;
}

int daxfs_read_fold(const void *region, const struct daxfs_geo *geo,
		    u64 fold, u32 *slot, u64 *top, struct daxfs_report *rep)
{
	struct daxfs_br f;
	int err;

	*slot = DAXFS_HEAD_SLOT(fold);
	err = daxfs_read_branch(region, geo, *slot, &f, rep);
	if (err)
		return err;
	if (f.state != DAXFS_BRANCH_COMMITTED || !(f.flags & DAXFS_BRANCH_F_FOLD) ||
	    f.generation != DAXFS_HEAD_GEN(fold)) {
		report(rep, "live fold_head names slot %u, which is not that fold",
		       *slot);
		return -EUCLEAN;
	}
	*top = DAXFS_HEAD(f.parent, f.parent_gen);
	return 0;
}

int daxfs_main_chain_walk(const void *region, const struct daxfs_geo *geo,
			  u64 head, u64 fold, u32 *chain, u32 *len, u64 *top,
			  struct daxfs_report *rep)
{
	u32 slot = DAXFS_HEAD_SLOT(head), fslot = 0, n = 0, i, t;
	u64 gen = DAXFS_HEAD_GEN(head), ftop = 0;
	struct daxfs_br b;
	int err;

	if (fold) {
		err = daxfs_read_fold(region, geo, fold, &fslot, &ftop, rep);
		if (err)
			return err;
	}
	for (;;) {
		if (fold && DAXFS_HEAD(slot, gen) == ftop) {
			chain[n++] = fslot;
			break;
		}
		if (slot == DAXFS_MAIN_SLOT)
			break;
		if (n >= DAXFS_BRANCH_COUNT - 1)
			goto broken;
		err = daxfs_read_branch(region, geo, slot, &b, rep);
		if (err)
			return err;
		if ((b.state != DAXFS_BRANCH_COMMITTED &&
		     b.state != DAXFS_BRANCH_ACTIVE) || b.generation != gen ||
		    (b.flags & DAXFS_BRANCH_F_FOLD))
			goto broken;
		chain[n++] = slot;
		gen = b.parent_gen;
		slot = b.parent;
	}
	if (slot == DAXFS_MAIN_SLOT) {
		if (gen)
			goto broken;
		ftop = 0;	/* a fold newer than @head: not on its chain */
	}
	for (i = 0; i < n / 2; i++) {
		t = chain[i];
		chain[i] = chain[n - 1 - i];
		chain[n - 1 - i] = t;
	}
	*len = n;
	if (top)
		*top = ftop;
	return 0;

broken:
	report(rep, "main chain broken at branch slot %u", slot);
	return -EUCLEAN;
}

u32 daxfs_rec_csum(const void *rec, u32 len)
{
	static const u8 zero[4];
	const u8 *p = (const u8 *)rec;
	const size_t at = offsetof(struct daxfs_rec, crc);
	const size_t after = at + sizeof(zero);
	u32 crc;

	if (len < after)
		return 0;
	crc = daxfs_crc32c_update(~0U, p, at);
	crc = daxfs_crc32c_update(crc, zero, sizeof(zero));
	crc = daxfs_crc32c_update(crc, p + after, len - after);
	return ~crc;
}

/* A file name in a record: as in a directory, 1..255 bytes, no '/' or NUL. */
static bool rec_name_ok(const char *name, u32 len)
{
	if (len < 1 || len > DAXFS_NAME_MAX)
		return false;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return false;
	return !memchr(name, '/', len) && !memchr(name, '\0', len);
}

static u32 rec_round(u32 n)
{
	return (n + DAXFS_REC_ALIGN - 1) & ~(u32)(DAXFS_REC_ALIGN - 1);
}

/* @len is exactly @fixed + @var bytes rounded up, and the padding is zero. */
static bool rec_shape_ok(const u8 *rec, u32 len, u32 fixed, u32 var)
{
	return len == rec_round(fixed + var) &&
	       daxfs_mem_is_zero(rec + fixed + var, len - fixed - var);
}

static int decode_write(const u8 *rec, u32 len, const struct daxfs_geo *geo,
			struct daxfs_lrec *out)
{
	struct daxfs_rec_write w;
	u32 i;

	if (len < sizeof(w))
		return -EUCLEAN;
	memcpy(&w, rec, sizeof(w));
	out->size = le64_to_cpu(w.size);
	out->count = le32_to_cpu(w.count);
	out->map = (const struct daxfs_rec_page *)(rec + sizeof(w));
	if (w.reserved || out->size > REC_SIZE_MAX ||
	    out->count > (DAXFS_REC_MAX - sizeof(w)) / sizeof(*out->map) ||
	    len != sizeof(w) + out->count * sizeof(*out->map))
		return -EUCLEAN;
	for (i = 0; i < out->count; i++) {
		u64 index, page;

		daxfs_lrec_page(out, i, &index, &page);
		if (!page_ok(geo, page) || index > (REC_SIZE_MAX >> DAXFS_BLOCK_SHIFT))
			return -EUCLEAN;
	}
	return 0;
}

static int decode_truncate(const u8 *rec, u32 len, struct daxfs_lrec *out)
{
	struct daxfs_rec_truncate t;

	if (len != sizeof(t))
		return -EUCLEAN;
	memcpy(&t, rec, sizeof(t));
	out->size = le64_to_cpu(t.size);
	return out->size > REC_SIZE_MAX ? -EUCLEAN : 0;
}

/* The file type a record of @type creates has mode @mode. */
static bool create_mode_ok(u32 type, u32 mode)
{
	if (mode & ~(u32)(S_IFMT | 07777))
		return false;
	switch (type) {
	case DAXFS_REC_CREATE:
		return S_ISREG(mode);
	case DAXFS_REC_MKDIR:
		return S_ISDIR(mode);
	case DAXFS_REC_SYMLINK:
		return S_ISLNK(mode);
	default:
		return S_ISCHR(mode) || S_ISBLK(mode) || S_ISFIFO(mode) ||
		       S_ISSOCK(mode);
	}
}

static int decode_create(const u8 *rec, u32 len, const struct daxfs_geo *geo,
			 struct daxfs_lrec *out)
{
	struct daxfs_rec_create c;

	if (len < sizeof(c))
		return -EUCLEAN;
	memcpy(&c, rec, sizeof(c));
	out->parent = le64_to_cpu(c.parent);
	out->page = le64_to_cpu(c.page);
	out->size = le64_to_cpu(c.size);
	out->mode = le32_to_cpu(c.mode);
	out->uid = le32_to_cpu(c.uid);
	out->gid = le32_to_cpu(c.gid);
	out->rdev = le32_to_cpu(c.rdev);
	out->name_len = le16_to_cpu(c.name_len);
	out->name = (const char *)rec + sizeof(c);
	if (!daxfs_mem_is_zero(c.reserved, sizeof(c.reserved)) || !out->parent ||
	    !rec_shape_ok(rec, len, sizeof(c), out->name_len) ||
	    !rec_name_ok(out->name, out->name_len) ||
	    !create_mode_ok(out->type, out->mode))
		return -EUCLEAN;
	if (out->type == DAXFS_REC_SYMLINK)
		return out->size < 1 || out->size > DAXFS_SYMLINK_MAX ||
		       !page_ok(geo, out->page) ? -EUCLEAN : 0;
	if (out->page || out->size)
		return -EUCLEAN;
	if (out->rdev && !S_ISCHR(out->mode) && !S_ISBLK(out->mode))
		return -EUCLEAN;
	return 0;
}

static int decode_name(const u8 *rec, u32 len, struct daxfs_lrec *out)
{
	struct daxfs_rec_name n;

	if (len < sizeof(n))
		return -EUCLEAN;
	memcpy(&n, rec, sizeof(n));
	out->parent = le64_to_cpu(n.parent);
	out->name_len = le16_to_cpu(n.name_len);
	out->name = (const char *)rec + sizeof(n);
	if (!daxfs_mem_is_zero(n.reserved, sizeof(n.reserved)) || !out->parent ||
	    !rec_shape_ok(rec, len, sizeof(n), out->name_len) ||
	    !rec_name_ok(out->name, out->name_len))
		return -EUCLEAN;
	return 0;
}

static int decode_rename(const u8 *rec, u32 len, struct daxfs_lrec *out)
{
	struct daxfs_rec_rename r;

	if (len < sizeof(r))
		return -EUCLEAN;
	memcpy(&r, rec, sizeof(r));
	out->parent = le64_to_cpu(r.old_parent);
	out->new_parent = le64_to_cpu(r.new_parent);
	out->flags = le32_to_cpu(r.flags);
	out->name_len = le16_to_cpu(r.old_len);
	out->new_name_len = le16_to_cpu(r.new_len);
	out->name = (const char *)rec + sizeof(r);
	out->new_name = out->name + out->name_len;
	if (!out->parent || !out->new_parent || out->flags > DAXFS_RENAME_EXCHANGE ||
	    !rec_shape_ok(rec, len, sizeof(r),
			  out->name_len + out->new_name_len) ||
	    !rec_name_ok(out->name, out->name_len) ||
	    !rec_name_ok(out->new_name, out->new_name_len))
		return -EUCLEAN;
	return 0;
}

static int decode_setattr(const u8 *rec, u32 len, struct daxfs_lrec *out)
{
	struct daxfs_rec_setattr s;

	if (len != sizeof(s))
		return -EUCLEAN;
	memcpy(&s, rec, sizeof(s));
	out->valid = le32_to_cpu(s.valid);
	out->mode = le32_to_cpu(s.mode);
	out->uid = le32_to_cpu(s.uid);
	out->gid = le32_to_cpu(s.gid);
	out->mtime = (s64)le64_to_cpu(s.mtime);
	out->atime = (s64)le64_to_cpu(s.atime);
	if (out->valid & ~DAXFS_ATTR_SUPP || out->mode & ~07777u)
		return -EUCLEAN;
	return 0;
}

static int decode_body(const u8 *rec, u32 len, const struct daxfs_geo *geo,
		       struct daxfs_lrec *out)
{
	switch (out->type) {
	case DAXFS_REC_WRITE:
		return decode_write(rec, len, geo, out);
	case DAXFS_REC_TRUNCATE:
		return decode_truncate(rec, len, out);
	case DAXFS_REC_CREATE:
	case DAXFS_REC_MKDIR:
	case DAXFS_REC_SYMLINK:
	case DAXFS_REC_MKNOD:
		return decode_create(rec, len, geo, out);
	case DAXFS_REC_LINK:
	case DAXFS_REC_UNLINK:
		return decode_name(rec, len, out);
	case DAXFS_REC_RENAME:
		return decode_rename(rec, len, out);
	case DAXFS_REC_SETATTR:
		return decode_setattr(rec, len, out);
	default:
		return -EUCLEAN;
	}
}

int daxfs_rec_decode(const void *rec, u32 len, const struct daxfs_geo *geo,
		     struct daxfs_lrec *out, struct daxfs_report *rep)
{
	struct daxfs_rec h;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h) || len > DAXFS_REC_MAX || len % DAXFS_REC_ALIGN) {
		report(rep, "log record of bad length %u", len);
		return -EUCLEAN;
	}
	memcpy(&h, rec, sizeof(h));
	out->type = le16_to_cpu(h.type);
	out->len = le16_to_cpu(h.len);
	out->seq = le64_to_cpu(h.seq);
	out->ino = le64_to_cpu(h.ino);
	out->time = (s64)le64_to_cpu(h.time);
	if (out->len != len || !out->ino || out->ino > REC_SIZE_MAX ||
	    decode_body(rec, len, geo, out)) {
		report(rep, "log record %llu (type %u, %u bytes) is corrupt",
		       LLU(out->seq), out->type, len);
		return -EUCLEAN;
	}
	return 0;
}

/* Where a log ends: page and offset (4096 when the tail's offset is 0). */
static void tail_end(u64 tail, u64 *page, u32 *off)
{
	*page = DAXFS_TAIL_PAGE(tail);
	*off = DAXFS_TAIL_OFF(tail);
	if (tail && !*off) {
		*page -= 1;
		*off = DAXFS_BLOCK_SIZE;
	}
}

/* Enter log page @page: its header and owner table entry name the branch. */
static int enter_page(const void *region, const struct daxfs_geo *geo,
		      struct daxfs_log_cursor *cur, u64 page,
		      struct daxfs_report *rep)
{
	struct daxfs_log_page hdr;

	if (!page_ok(geo, page) || ++cur->pages_walked > geo->delta_pages) {
		report(rep, "log of owner %u: bad or looping page chain at %llu",
		       cur->owner, LLU(page));
		return -EUCLEAN;
	}
	memcpy(&hdr, (const u8 *)region + geo->delta_off + page * DAXFS_BLOCK_SIZE,
	       sizeof(hdr));
	if (le32_to_cpu(hdr.owner) != cur->owner || hdr.reserved ||
	    read_owner(region, geo, page) != cur->owner) {
		report(rep, "log page %llu is not owned by owner %u",
		       LLU(page), cur->owner);
		return -EUCLEAN;
	}
	cur->page = page;
	cur->off = DAXFS_LOG_START;
	return 0;
}

int daxfs_log_start(const void *region, const struct daxfs_geo *geo,
		    const struct daxfs_br *br, u64 tail,
		    struct daxfs_log_cursor *cur, struct daxfs_report *rep)
{
	cur->page = 0;
	cur->off = 0;
	cur->tail = tail;
	cur->seq = 0;
	cur->pages_walked = 0;
	cur->owner = DAXFS_OWNER(br->slot);
	if (!has_branches(geo) || br->slot >= DAXFS_BRANCH_COUNT)
		return -EINVAL;
	if (!tail_ok(geo, tail) || (tail && !br->log_head)) {
		report(rep, "branch slot %u: log tail 0x%llx is corrupt",
		       br->slot, LLU(tail));
		return -EUCLEAN;
	}
	if (!tail)
		return 0;
	return enter_page(region, geo, cur, br->log_head, rep);
}

/* Follow the current page's @next link. */
static int next_page(const void *region, const struct daxfs_geo *geo,
		     struct daxfs_log_cursor *cur, struct daxfs_report *rep)
{
	struct daxfs_log_page hdr;

	memcpy(&hdr, (const u8 *)region + geo->delta_off +
	       cur->page * DAXFS_BLOCK_SIZE, sizeof(hdr));
	return enter_page(region, geo, cur, le64_to_cpu(hdr.next), rep);
}

/* Copy the record at the cursor into cur->copy; 1: copied, 0: page ends. */
static int copy_record(const void *region, const struct daxfs_geo *geo,
		       struct daxfs_log_cursor *cur, bool last, u32 end_off,
		       u32 *len, struct daxfs_report *rep)
{
	const u8 *p = (const u8 *)region + geo->delta_off +
		      cur->page * DAXFS_BLOCK_SIZE + cur->off;
	u32 room = DAXFS_BLOCK_SIZE - cur->off;

	if (last)
		room = end_off - cur->off;
	if (room < sizeof(struct daxfs_rec))
		goto page_end;
	memcpy(&cur->copy.h, p, sizeof(cur->copy.h));
	if (!cur->copy.h.type)
		goto page_end;
	*len = le16_to_cpu(cur->copy.h.len);
	if (*len < sizeof(struct daxfs_rec) || *len > room ||
	    *len % DAXFS_REC_ALIGN) {
		report(rep, "log of owner %u: record at page %llu offset %u has bad length %u",
		       cur->owner, LLU(cur->page), cur->off, *len);
		return -EUCLEAN;
	}
	memcpy(cur->copy.bytes, p, *len);
	return 1;

page_end:
	if (last) {
		report(rep, "log of owner %u ends before its tail", cur->owner);
		return -EUCLEAN;
	}
	return 0;
}

int daxfs_log_next(const void *region, const struct daxfs_geo *geo,
		   struct daxfs_log_cursor *cur, struct daxfs_lrec *out,
		   struct daxfs_report *rep)
{
	u64 end_page;
	u32 end_off, len = 0;
	int err;

	tail_end(cur->tail, &end_page, &end_off);
	for (;;) {
		bool last = cur->page == end_page;

		if (!cur->page)
			return 0;
		if (last && cur->off >= end_off) {
			if (cur->off > end_off)
				goto bad_tail;
			cur->page = 0;
			return 0;
		}
		err = copy_record(region, geo, cur, last, end_off, &len, rep);
		if (err < 0)
			return err;
		if (err)
			break;
		err = next_page(region, geo, cur, rep);
		if (err)
			return err;
	}
	if (le32_to_cpu(cur->copy.h.crc) != daxfs_rec_csum(cur->copy.bytes, len)) {
		report(rep, "log of owner %u: record at page %llu offset %u has a bad crc",
		       cur->owner, LLU(cur->page), cur->off);
		return -EUCLEAN;
	}
	err = daxfs_rec_decode(cur->copy.bytes, len, geo, out, rep);
	if (err)
		return err;
	if (out->seq != cur->seq + 1) {
		report(rep, "log of owner %u: record seq %llu after %llu",
		       cur->owner, LLU(out->seq), LLU(cur->seq));
		return -EUCLEAN;
	}
	cur->seq = out->seq;
	cur->off += len;
	return 1;

bad_tail:
	report(rep, "log of owner %u runs past its tail", cur->owner);
	return -EUCLEAN;
}

/* ------------------------------------------------------------------------
 * daxfs_validate_branches(): the whole branch table, owner table and logs.
 */

/* Per-page marks of a validation run. */
enum { MARK_NONE, MARK_LOG, MARK_DATA };

struct bvalidator {
	const void *region;
	const struct daxfs_geo *geo;
	struct daxfs_report *rep;
	struct daxfs_live_words live;
	struct daxfs_br *br;		/* DAXFS_BRANCH_COUNT entries */
	u8 *mark;			/* per delta page */
	u32 *chain;			/* main's, DAXFS_BRANCH_COUNT entries */
	u8 *folded;			/* per slot: COMMITTED, off main's chain */
	u64 top;			/* the fold's top, 0: no fold */
	u32 fold;			/* the fold slot main starts with, 0: none */
	struct daxfs_log_cursor *cur;
};

static bool slot_in_use(u32 state)
{
	return state != DAXFS_BRANCH_FREE && state != DAXFS_BRANCH_CLAIMED;
}

/*
 * Parents form a tree rooted at slot 0; live branches hang off live slots,
 * or off the top of main's fold. Folded slots (COMMITTED, off main's chain)
 * are being freed and may have lost their parents already.
 */
static int check_parents(struct bvalidator *v)
{
	u32 s, steps, p;

	for (s = 1; s < DAXFS_BRANCH_COUNT; s++) {
		const struct daxfs_br *b = &v->br[s];

		if (!slot_in_use(b->state))
			continue;
		if (b->state != DAXFS_BRANCH_DEAD && !v->folded[s] &&
		    !(v->top && DAXFS_HEAD(b->parent, b->parent_gen) == v->top)) {
			const struct daxfs_br *pb = &v->br[b->parent];

			if (!slot_in_use(pb->state) ||
			    pb->generation != b->parent_gen) {
				report(v->rep, "branch slot %u: parent %u is gone or reused",
				       s, b->parent);
				return -EUCLEAN;
			}
		}
		/*
		 * Up to main, a fold (its top is history), a folded slot, or
		 * a link to the fold's top or to a slot gone (allowed above
		 * only there): a freed slot's parent field is stale, and the
		 * slots after a fold's top may be the very slots it freed.
		 */
		for (p = s, steps = 0; p != DAXFS_MAIN_SLOT &&
		     !(v->br[p].flags & DAXFS_BRANCH_F_FOLD) && !v->folded[p];
		     steps++) {
			const struct daxfs_br *pb = &v->br[v->br[p].parent];

			if (steps >= DAXFS_BRANCH_COUNT) {
				report(v->rep, "branch slot %u: parent chain loops", s);
				return -EUCLEAN;
			}
			if ((v->top && DAXFS_HEAD(v->br[p].parent,
						  v->br[p].parent_gen) == v->top) ||
			    !slot_in_use(pb->state) ||
			    pb->generation != v->br[p].parent_gen)
				break;
			p = v->br[p].parent;
		}
	}
	return 0;
}

/*
 * main_head's chain: committed slots (ACTIVE if a commit was cut short),
 * from a fold or from main. Every other COMMITTED slot was folded.
 */
static int check_main_chain(struct bvalidator *v)
{
	u32 len, i, s;
	int err;

	err = daxfs_main_chain_walk(v->region, v->geo, v->live.main_head,
				    v->live.fold_head, v->chain, &len, &v->top,
				    v->rep);
	if (err)
		return err;
	if (v->top)
		v->fold = DAXFS_HEAD_SLOT(v->live.fold_head);
	for (s = 1; s < DAXFS_BRANCH_COUNT; s++)
		v->folded[s] = v->br[s].state == DAXFS_BRANCH_COMMITTED;
	for (i = 0; i < len; i++)
		v->folded[v->chain[i]] = false;
	return 0;
}

static int mark_page(struct bvalidator *v, u64 page, u8 what, u32 slot)
{
	if (what == MARK_LOG && v->mark[page] != MARK_NONE) {
		report(v->rep, "log page %llu of slot %u is used twice",
		       LLU(page), slot);
		return -EUCLEAN;
	}
	/*
	 * A data page that is a log page now was dropped by a later record,
	 * freed and taken again for the log: not named by the record any more.
	 */
	if (what == MARK_DATA && v->mark[page] == MARK_LOG)
		return 0;
	v->mark[page] = what;
	return 0;
}

/*
 * A page main's fold names is in use for as long as the fold is: it is the
 * fold's, or still a folded slot's until the folder hands it over. Its log
 * never drops a page, so one FREE, or another slot's, is in use and free
 * (or in two views) at once.
 */
static int check_fold_page(struct bvalidator *v, u32 slot, u64 page)
{
	u32 o = read_owner(v->region, v->geo, page);

	if (slot != v->fold || o == DAXFS_OWNER(slot) ||
	    (o != DAXFS_OWNER_FREE && o <= DAXFS_OWNER(DAXFS_BRANCH_COUNT - 1) &&
	     v->folded[o - 1]))
		return 0;
	report(v->rep, "fold slot %u names page %llu, which is %s", slot,
	       LLU(page), o == DAXFS_OWNER_FREE ? "free" : "another slot's");
	return -EUCLEAN;
}

static int check_record(struct bvalidator *v, u32 slot,
			const struct daxfs_lrec *r)
{
	u32 owner = DAXFS_OWNER(slot);
	u64 index, page;
	u32 i;

	/*
	 * A page named by a record is this branch's, unless a later record
	 * dropped it and it was freed: only owned pages are marked.
	 */
	if (r->type == DAXFS_REC_WRITE) {
		for (i = 0; i < r->count; i++) {
			daxfs_lrec_page(r, i, &index, &page);
			if (check_fold_page(v, slot, page))
				return -EUCLEAN;
			if (read_owner(v->region, v->geo, page) == owner &&
			    mark_page(v, page, MARK_DATA, slot))
				return -EUCLEAN;
		}
	}
	if (r->type == DAXFS_REC_SYMLINK && check_fold_page(v, slot, r->page))
		return -EUCLEAN;
	if (r->type == DAXFS_REC_SYMLINK &&
	    read_owner(v->region, v->geo, r->page) == owner &&
	    mark_page(v, r->page, MARK_DATA, slot))
		return -EUCLEAN;
	if (r->type >= DAXFS_REC_CREATE && r->type <= DAXFS_REC_MKNOD &&
	    r->ino >= v->live.next_ino) {
		report(v->rep, "slot %u creates inode %llu past next_ino %llu",
		       slot, LLU(r->ino), LLU(v->live.next_ino));
		return -EUCLEAN;
	}
	return 0;
}

/* Mark the pages of a log the cursor walked without error. */
static int mark_log_pages(struct bvalidator *v, u32 slot)
{
	const struct daxfs_br *b = &v->br[slot];
	struct daxfs_log_page hdr;
	u64 page = b->log_head, end_page, n;
	u32 end_off;
	int err;

	if (!b->log_tail)	/* an empty log may have its first page already */
		return b->log_head ? mark_page(v, b->log_head, MARK_LOG, slot) : 0;
	tail_end(b->log_tail, &end_page, &end_off);
	for (n = 0; n < v->geo->delta_pages && page_ok(v->geo, page); n++) {
		err = mark_page(v, page, MARK_LOG, slot);
		if (err || page == end_page)
			return err;
		memcpy(&hdr, (const u8 *)v->region + v->geo->delta_off +
		       page * DAXFS_BLOCK_SIZE, sizeof(hdr));
		page = le64_to_cpu(hdr.next);
	}
	report(v->rep, "log page chain of slot %u is broken", slot);
	return -EUCLEAN;
}

static int check_log(struct bvalidator *v, u32 slot)
{
	struct daxfs_log_cursor *cur = v->cur;
	struct daxfs_report first = { "" };
	struct daxfs_lrec r;
	int err, marks;

	/* Log pages first; the cursor's reason wins if both find a fault. */
	marks = mark_log_pages(v, slot);
	if (marks && v->rep)
		first = *v->rep;
	err = daxfs_log_start(v->region, v->geo, &v->br[slot],
			      v->br[slot].log_tail, cur, v->rep);
	while (!err) {
		err = daxfs_log_next(v->region, v->geo, cur, &r, v->rep);
		if (err < 0)
			return err;
		if (!err)
			break;
		err = check_record(v, slot, &r);
	}
	if (!err && marks && v->rep)
		*v->rep = first;
	return err ? err : marks;
}

/* Owner table: META pages first, then FREE or a slot's pages; count leaks. */
static int check_owners(struct bvalidator *v, u64 *leaked)
{
	u64 page;

	for (page = 0; page < v->geo->delta_pages; page++) {
		u32 o = read_owner(v->region, v->geo, page);
		bool meta_page = page < v->geo->meta_pages;
		bool meta_owner = o == DAXFS_OWNER_META;

		if (meta_page != meta_owner ||
		    (!meta_owner && o > DAXFS_OWNER(DAXFS_BRANCH_COUNT - 1))) {
			report(v->rep, "owner table entry %llu is corrupt (0x%x)",
			       LLU(page), o);
			return -EUCLEAN;
		}
		if (o == DAXFS_OWNER_FREE || o == DAXFS_OWNER_META)
			continue;
		if (v->mark[page] == MARK_NONE)
			(*leaked)++;
		if ((page & 0xffff) == 0)
			cond_resched();
	}
	return 0;
}

static int validate_branches(struct bvalidator *v, u64 *leaked)
{
	u32 s;
	int err;

	err = daxfs_read_live(v->region, v->geo, &v->live, v->rep);
	if (err)
		return err;
	for (s = 0; s < DAXFS_BRANCH_COUNT; s++) {
		err = daxfs_read_branch(v->region, v->geo, s, &v->br[s], v->rep);
		if (err)
			return err;
	}
	err = check_main_chain(v);
	if (!err)
		err = check_parents(v);
	for (s = 1; !err && s < DAXFS_BRANCH_COUNT; s++) {
		if (v->br[s].state == DAXFS_BRANCH_ACTIVE ||
		    v->br[s].state == DAXFS_BRANCH_COMMITTED)
			err = check_log(v, s);
	}
	if (!err)
		err = check_owners(v, leaked);
	return err;
}

int daxfs_validate_branches(const void *region, const struct daxfs_geo *geo,
			    u64 *leaked, struct daxfs_report *rep)
{
	struct bvalidator v = { .region = region, .geo = geo, .rep = rep };
	int err = -ENOMEM;

	*leaked = 0;
	if (!has_branches(geo))
		return 0;
	v.br = kvcalloc(DAXFS_BRANCH_COUNT, sizeof(*v.br), GFP_KERNEL);
	v.mark = kvcalloc(geo->delta_pages, 1, GFP_KERNEL);
	v.cur = kvcalloc(1, sizeof(*v.cur), GFP_KERNEL);
	v.chain = kvcalloc(DAXFS_BRANCH_COUNT, sizeof(*v.chain), GFP_KERNEL);
	v.folded = kvcalloc(DAXFS_BRANCH_COUNT, 1, GFP_KERNEL);
	if (!v.br || !v.mark || !v.cur || !v.chain || !v.folded) {
		report(rep, "no memory to validate %llu delta pages",
		       LLU(geo->delta_pages));
		goto out;
	}
	err = validate_branches(&v, leaked);
out:
	kvfree(v.folded);
	kvfree(v.chain);
	kvfree(v.cur);
	kvfree(v.mark);
	kvfree(v.br);
	return err;
}
