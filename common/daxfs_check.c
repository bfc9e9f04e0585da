// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Checking of DAXFS images, shared by the kernel module and the tools.
 * See daxfs_check.h for the contract.
 */
#include "daxfs_check.h"
#include "daxfs_log.h"

#define report(rep, ...)						\
	do {								\
		struct daxfs_report *rep_ = (rep);			\
									\
		if (rep_)						\
			snprintf(rep_->msg, sizeof(rep_->msg), __VA_ARGS__); \
	} while (0)

/* @off + @len lies within [@lo, @hi), without overflow. */
static bool range_in(u64 off, u64 len, u64 lo, u64 hi)
{
	return off >= lo && off <= hi && len <= hi - off;
}

u32 daxfs_super_csum(const struct daxfs_super *sb)
{
	static const u8 zero[sizeof(sb->checksum)];
	const u8 *p = (const u8 *)sb;
	const size_t at = offsetof(struct daxfs_super, checksum);
	const size_t after = at + sizeof(sb->checksum);
	u32 crc;

	crc = daxfs_crc32c_update(~0U, p, at);
	crc = daxfs_crc32c_update(crc, zero, sizeof(zero));
	crc = daxfs_crc32c_update(crc, p + after, DAXFS_SUPER_FIXED_SIZE - after);
	return ~crc;
}

static int check_super_layout(const struct daxfs_geo *geo,
			      struct daxfs_report *rep)
{
	u64 table_bytes;

	if (geo->image_size > geo->region_size) {
		report(rep, "image needs %llu bytes but region has %llu",
		       (unsigned long long)geo->image_size,
		       (unsigned long long)geo->region_size);
		return -EUCLEAN;
	}
	if (geo->inode_off % DAXFS_BLOCK_SIZE || geo->data_off % DAXFS_BLOCK_SIZE ||
	    geo->inode_off < sizeof(struct daxfs_super)) {
		report(rep, "misaligned inode table or data area");
		return -EUCLEAN;
	}
	if (geo->inode_count < 1 || geo->inode_count > (1ULL << 32) - 1) {
		report(rep, "bad inode count %llu",
		       (unsigned long long)geo->inode_count);
		return -EUCLEAN;
	}
	table_bytes = geo->inode_count * sizeof(struct daxfs_inode);
	if (!range_in(geo->inode_off, table_bytes, 0, geo->image_size)) {
		report(rep, "inode table outside the image");
		return -EUCLEAN;
	}
	if (geo->data_off < geo->inode_off + table_bytes ||
	    geo->data_end < geo->data_off || geo->data_end > geo->image_size) {
		report(rep, "data area outside the image or over the inode table");
		return -EUCLEAN;
	}
	return 0;
}

/*
 * Branch table between the superblock and the inode table; delta region
 * after the data area, block aligned, inside the image, with at least one
 * page past its owner table.
 */
static int check_branch_layout(const struct daxfs_super *sb,
			       struct daxfs_geo *geo, struct daxfs_report *rep)
{
	u64 branch_off = le64_to_cpu(sb->branch_off);
	u64 branch_count = le64_to_cpu(sb->branch_count);
	u64 delta_off = le64_to_cpu(sb->delta_off);
	u64 delta_size = le64_to_cpu(sb->delta_size);
	const u64 table = DAXFS_BRANCH_COUNT * sizeof(struct daxfs_branch);

	if (!(geo->feature_incompat & DAXFS_FEATURE_INCOMPAT_BRANCHES)) {
		if (branch_off || branch_count || delta_off || delta_size) {
			report(rep, "branch fields set without the branches feature");
			return -EUCLEAN;
		}
		return 0;
	}
	if (branch_count != DAXFS_BRANCH_COUNT ||
	    branch_off < sizeof(struct daxfs_super) ||
	    branch_off % DAXFS_BLOCK_SIZE ||
	    !range_in(branch_off, table, 0, geo->inode_off)) {
		report(rep, "branch table misplaced (offset %llu, %llu entries)",
		       (unsigned long long)branch_off,
		       (unsigned long long)branch_count);
		return -EUCLEAN;
	}
	if (delta_off % DAXFS_BLOCK_SIZE || delta_size % DAXFS_BLOCK_SIZE ||
	    delta_off < geo->data_end ||
	    !range_in(delta_off, delta_size, 0, geo->image_size)) {
		report(rep, "delta region misplaced (offset %llu, %llu bytes)",
		       (unsigned long long)delta_off,
		       (unsigned long long)delta_size);
		return -EUCLEAN;
	}
	geo->branch_off = branch_off;
	geo->delta_off = delta_off;
	geo->delta_pages = delta_size / DAXFS_BLOCK_SIZE;
	geo->meta_pages = (geo->delta_pages * sizeof(__le32) +
			   DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE;
	if (geo->delta_pages <= geo->meta_pages) {
		report(rep, "delta region of %llu pages has no room past its owner table",
		       (unsigned long long)geo->delta_pages);
		return -EUCLEAN;
	}
	return 0;
}

int daxfs_check_super(const void *region, u64 region_size,
		      struct daxfs_geo *geo, struct daxfs_report *rep)
{
	const struct daxfs_super *sb = region;
	u32 magic, version, unknown;
	u64 data_size;
	int err;

	if (region_size < sizeof(*sb)) {
		report(rep, "region of %llu bytes is smaller than a superblock",
		       (unsigned long long)region_size);
		return -EINVAL;
	}
	magic = le32_to_cpu(sb->magic);
	if (magic != DAXFS_SUPER_MAGIC) {
		report(rep, "no DAXFS magic (found 0x%08x)", magic);
		return -EINVAL;
	}
	version = le32_to_cpu(sb->version);
	if (version != DAXFS_VERSION) {
		report(rep, "format version %u, this code reads %u",
		       version, DAXFS_VERSION);
		return -EOPNOTSUPP;
	}
	if (le32_to_cpu(sb->checksum) != daxfs_super_csum(sb)) {
		report(rep, "superblock checksum mismatch");
		return -EUCLEAN;
	}
	geo->region_size = region_size;
	geo->feature_compat = le32_to_cpu(sb->feature_compat);
	geo->feature_ro_compat = le32_to_cpu(sb->feature_ro_compat);
	geo->feature_incompat = le32_to_cpu(sb->feature_incompat);
	unknown = geo->feature_incompat & ~DAXFS_FEATURE_INCOMPAT_SUPP;
	if (unknown) {
		report(rep, "unknown incompatible features 0x%x", unknown);
		return -EOPNOTSUPP;
	}
	if (le32_to_cpu(sb->block_size) != DAXFS_BLOCK_SIZE ||
	    le32_to_cpu(sb->root_ino) != DAXFS_ROOT_INO) {
		report(rep, "bad block size or root inode");
		return -EUCLEAN;
	}
	geo->image_size = le64_to_cpu(sb->image_size);
	geo->inode_off = le64_to_cpu(sb->inode_off);
	geo->inode_count = le64_to_cpu(sb->inode_count);
	geo->data_off = le64_to_cpu(sb->data_off);
	data_size = le64_to_cpu(sb->data_size);
	geo->data_end = geo->data_off + data_size;
	if (geo->data_end < data_size)
		geo->data_end = 0;	/* overflow: rejected below */
	memcpy(geo->uuid, sb->uuid, sizeof(geo->uuid));
	geo->branch_off = 0;
	geo->delta_off = 0;
	geo->delta_pages = 0;
	geo->meta_pages = 0;
	err = check_super_layout(geo, rep);
	if (err)
		return err;
	return check_branch_layout(sb, geo, rep);
}

const void *daxfs_data_ptr(const void *region, const struct daxfs_geo *geo,
			   u64 off, u64 len)
{
	if (!range_in(off, len, geo->data_off, geo->data_end))
		return NULL;
	return (const u8 *)region + off;
}

static void decode_inode(const struct daxfs_inode *raw, u64 ino,
			 struct daxfs_ino *out)
{
	out->ino = ino;
	out->mode = le16_to_cpu(raw->mode);
	out->nlink = le32_to_cpu(raw->nlink);
	out->uid = le32_to_cpu(raw->uid);
	out->gid = le32_to_cpu(raw->gid);
	out->size = le64_to_cpu(raw->size);
	out->data = le64_to_cpu(raw->data);
	out->mtime = (s64)le64_to_cpu(raw->mtime);
	out->ctime = (s64)le64_to_cpu(raw->ctime);
	out->mtime_nsec = le32_to_cpu(raw->mtime_nsec);
	out->ctime_nsec = le32_to_cpu(raw->ctime_nsec);
	out->rdev = le32_to_cpu(raw->rdev);
	out->parent = le32_to_cpu(raw->parent);
}

static int check_inode_extent(const struct daxfs_geo *geo,
			      const struct daxfs_ino *in)
{
	switch (in->mode & S_IFMT) {
	case S_IFREG:
		if (!in->size)
			return in->data ? -EUCLEAN : 0;
		if (in->data % DAXFS_BLOCK_SIZE)
			return -EUCLEAN;
		return range_in(in->data, in->size, geo->data_off,
				geo->data_end) ? 0 : -EUCLEAN;
	case S_IFDIR:
		if (in->size % sizeof(struct daxfs_dirent) ||
		    in->data % DAXFS_DIR_ALIGN ||
		    in->parent < 1 || in->parent > geo->inode_count)
			return -EUCLEAN;
		if (!in->size)
			return 0;
		return range_in(in->data, in->size, geo->data_off,
				geo->data_end) ? 0 : -EUCLEAN;
	case S_IFLNK:
		if (in->size < 1 || in->size > DAXFS_SYMLINK_MAX)
			return -EUCLEAN;
		return range_in(in->data, in->size + 1, geo->data_off,
				geo->data_end) ? 0 : -EUCLEAN;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return in->size || in->data ? -EUCLEAN : 0;
	default:
		return -EUCLEAN;
	}
}

/* A symlink target holds no zero byte and is followed by one. */
static int check_symlink_target(const void *region, const struct daxfs_geo *geo,
				const struct daxfs_ino *in)
{
	const char *t = daxfs_data_ptr(region, geo, in->data, in->size + 1);

	if (!t || t[in->size] || memchr(t, 0, in->size))
		return -EUCLEAN;
	return 0;
}

int daxfs_read_inode(const void *region, const struct daxfs_geo *geo,
		     u64 ino, struct daxfs_ino *out, struct daxfs_report *rep)
{
	struct daxfs_inode raw;
	const u8 *p;

	if (ino < 1 || ino > geo->inode_count) {
		report(rep, "inode number %llu out of range",
		       (unsigned long long)ino);
		return -EUCLEAN;
	}
	p = (const u8 *)region + geo->inode_off + (ino - 1) * sizeof(raw);
	memcpy(&raw, p, sizeof(raw));
	decode_inode(&raw, ino, out);
	if (le16_to_cpu(raw.flags) & ~DAXFS_INODE_FLAGS_SUPP ||
	    out->nlink < 1 || out->mtime_nsec >= 1000000000U ||
	    out->ctime_nsec >= 1000000000U ||
	    (!S_ISDIR(out->mode) && out->parent) ||
	    (!S_ISCHR(out->mode) && !S_ISBLK(out->mode) && out->rdev) ||
	    check_inode_extent(geo, out) ||
	    (S_ISLNK(out->mode) && check_symlink_target(region, geo, out))) {
		report(rep, "inode %llu is corrupt", (unsigned long long)ino);
		return -EUCLEAN;
	}
	return 0;
}

/* @name is the whole DAXFS_NAME_MAX + 1 byte field of a dirent. */
static bool name_ok(const char *name, u32 len)
{
	if (len < 1 || len > DAXFS_NAME_MAX)
		return false;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return false;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return false;
	return daxfs_mem_is_zero(name + len, DAXFS_NAME_MAX + 1 - len);
}

int daxfs_read_dirent(const void *region, const struct daxfs_geo *geo,
		      const struct daxfs_ino *dir, u64 index,
		      struct daxfs_dent *out, struct daxfs_report *rep)
{
	const struct daxfs_dirent *de;
	struct daxfs_dirent head;
	const size_t head_len = offsetof(struct daxfs_dirent, name);

	if (!S_ISDIR(dir->mode) || index >= daxfs_dir_count(dir))
		return -EINVAL;
	de = daxfs_data_ptr(region, geo, dir->data + index * sizeof(*de),
			    sizeof(*de));
	if (!de) {
		report(rep, "directory %llu outside the data area",
		       (unsigned long long)dir->ino);
		return -EUCLEAN;
	}
	memcpy(&head, de, head_len);
	out->ino = le32_to_cpu(head.ino);
	out->name_len = le16_to_cpu(head.name_len);
	out->type = head.type;
	out->name = de->name;
	if (out->ino < 1 || out->ino > geo->inode_count ||
	    out->type > 15 || head.reserved ||
	    !name_ok(out->name, out->name_len)) {
		report(rep, "directory %llu entry %llu is corrupt",
		       (unsigned long long)dir->ino,
		       (unsigned long long)index);
		return -EUCLEAN;
	}
	return 0;
}

int daxfs_name_cmp(const char *a, u32 alen, const char *b, u32 blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c < 0 ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

int daxfs_dir_find(const void *region, const struct daxfs_geo *geo,
		   const struct daxfs_ino *dir, const char *name, u32 len,
		   struct daxfs_dent *out, struct daxfs_report *rep)
{
	u64 lo = 0, hi = daxfs_dir_count(dir);

	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;
		int err, c;

		err = daxfs_read_dirent(region, geo, dir, mid, out, rep);
		if (err)
			return err;
		c = daxfs_name_cmp(name, len, out->name, out->name_len);
		if (!c)
			return 0;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

/* State of one daxfs_validate_image() run. */
struct validator {
	const void *region;
	const struct daxfs_geo *geo;
	struct daxfs_report *rep;
	u32 *refs;		/* names seen per inode (index ino - 1) */
	u32 *subdirs;		/* subdirectories per directory inode */
	u32 *queue;		/* directories still to scan, BFS order */
	u64 head, tail;
};

static int scan_entry(struct validator *v, const struct daxfs_ino *dir,
		      const struct daxfs_dent *de)
{
	struct daxfs_ino child;
	int err;

	err = daxfs_read_inode(v->region, v->geo, de->ino, &child, v->rep);
	if (err)
		return err;
	if (DAXFS_MODE_TO_DT(child.mode) != de->type) {
		report(v->rep, "entry for inode %llu has the wrong type",
		       (unsigned long long)de->ino);
		return -EUCLEAN;
	}
	if (v->refs[de->ino - 1]++ == 0 && S_ISDIR(child.mode)) {
		if (child.parent != dir->ino) {
			report(v->rep, "directory %llu names parent %llu, not %llu",
			       (unsigned long long)child.ino,
			       (unsigned long long)child.parent,
			       (unsigned long long)dir->ino);
			return -EUCLEAN;
		}
		v->subdirs[dir->ino - 1]++;
		v->queue[v->tail++] = (u32)child.ino;
	} else if (S_ISDIR(child.mode)) {
		report(v->rep, "directory %llu has more than one name (or a cycle)",
		       (unsigned long long)child.ino);
		return -EUCLEAN;
	}
	return 0;
}

static int scan_dir(struct validator *v, u64 ino)
{
	struct daxfs_dent de, prev = { 0 };
	struct daxfs_ino dir;
	u64 i, n;
	int err;

	err = daxfs_read_inode(v->region, v->geo, ino, &dir, v->rep);
	if (err)
		return err;
	n = daxfs_dir_count(&dir);
	for (i = 0; i < n; i++) {
		err = daxfs_read_dirent(v->region, v->geo, &dir, i, &de, v->rep);
		if (err)
			return err;
		if (i && daxfs_name_cmp(prev.name, prev.name_len,
					de.name, de.name_len) >= 0) {
			report(v->rep, "directory %llu is not sorted at entry %llu",
			       (unsigned long long)ino, (unsigned long long)i);
			return -EUCLEAN;
		}
		err = scan_entry(v, &dir, &de);
		if (err)
			return err;
		prev = de;
	}
	return 0;
}

static int check_counts(struct validator *v)
{
	struct daxfs_ino in;
	u64 ino;
	int err;

	for (ino = 1; ino <= v->geo->inode_count; ino++) {
		u32 want = v->refs[ino - 1];

		err = daxfs_read_inode(v->region, v->geo, ino, &in, v->rep);
		if (err)
			return err;
		if (!want) {
			report(v->rep, "inode %llu is not reachable from the root",
			       (unsigned long long)ino);
			return -EUCLEAN;
		}
		if (S_ISDIR(in.mode))
			want = 2 + v->subdirs[ino - 1];
		if (in.nlink != want) {
			report(v->rep, "inode %llu has nlink %u, expected %u",
			       (unsigned long long)ino, in.nlink, want);
			return -EUCLEAN;
		}
	}
	return 0;
}

static int validate_tree(struct validator *v)
{
	struct daxfs_ino root;
	int err;

	err = daxfs_read_inode(v->region, v->geo, DAXFS_ROOT_INO, &root, v->rep);
	if (err)
		return err;
	if (!S_ISDIR(root.mode) || root.parent != DAXFS_ROOT_INO) {
		report(v->rep, "root inode is not a directory of its own");
		return -EUCLEAN;
	}
	v->refs[DAXFS_ROOT_INO - 1] = 1;
	v->queue[v->tail++] = DAXFS_ROOT_INO;
	while (v->head < v->tail) {
		err = scan_dir(v, v->queue[v->head++]);
		if (err)
			return err;
		cond_resched();
	}
	return check_counts(v);
}

int daxfs_validate_image(const void *region, u64 region_size,
			 struct daxfs_report *rep)
{
	struct daxfs_geo geo;
	struct validator v = { .region = region, .geo = &geo, .rep = rep };
	int err;

	err = daxfs_check_super(region, region_size, &geo, rep);
	if (err)
		return err;
	err = -ENOMEM;
	v.refs = kvcalloc(geo.inode_count, sizeof(u32), GFP_KERNEL);
	v.subdirs = kvcalloc(geo.inode_count, sizeof(u32), GFP_KERNEL);
	v.queue = kvcalloc(geo.inode_count, sizeof(u32), GFP_KERNEL);
	if (!v.refs || !v.subdirs || !v.queue) {
		report(rep, "no memory to validate %llu inodes",
		       (unsigned long long)geo.inode_count);
		goto out;
	}
	err = validate_tree(&v);
	if (!err && geo.branch_off) {
		u64 leaked;

		err = daxfs_validate_branches(region, &geo, &leaked, rep);
	}
out:
	kvfree(v.queue);
	kvfree(v.subdirs);
	kvfree(v.refs);
	return err;
}
