// SPDX-License-Identifier: GPL-2.0
/*
 * DAXFS: mount, superblock and module glue.
 *
 * A DAXFS image lives in a range of physical memory that is not System RAM
 * (pmem, CXL, memory reserved at boot, a device-DAX device), or on a block
 * device with DAX (backing.c), or in a dma-buf (option "dmabuf", dmabuf.c).
 * The region is mapped once and every file read is a plain load from it.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/blkdev.h>
#include <linux/ctype.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>

#include "daxfs.h"
#include "compat.h"

/* Mount options, gathered before the superblock exists. */
struct daxfs_fs_context {
	u64 phys;
	u64 size;
	bool has_phys;
	bool has_size;
	bool validate;
	struct dma_buf *dmabuf;	/* dmabuf (a reference) */
	char *branch;		/* branch=, parent= (validated names) */
	char *parent;
	char *dax;		/* dax=: basename of the device-DAX device */
	bool bdev;		/* the source is a block device (no phys=) */
};

enum daxfs_param {
	OPT_PHYS,
	OPT_SIZE,
	OPT_VALIDATE,
	OPT_BRANCH,
	OPT_PARENT,
	OPT_DAX,
	OPT_DMABUF,
};

/*
 * "dmabuf": an open file (FSCONFIG_SET_FD) or a descriptor number as text;
 * daxfs_dmabuf_param() looks at which.
 */
static int daxfs_param_is_dmabuf(struct p_log *log,
				 const struct fs_parameter_spec *p,
				 struct fs_parameter *param,
				 struct fs_parse_result *result)
{
	return 0;
}

static const struct fs_parameter_spec daxfs_fs_parameters[] = {
	fsparam_string("phys", OPT_PHYS),
	fsparam_string("size", OPT_SIZE),
	fsparam_flag("validate", OPT_VALIDATE),
	fsparam_string("branch", OPT_BRANCH),
	fsparam_string("parent", OPT_PARENT),
	fsparam_string("dax", OPT_DAX),
	__fsparam(daxfs_param_is_dmabuf, "dmabuf", OPT_DMABUF, 0, NULL),
	{}
};

static struct kmem_cache *daxfs_inode_cachep;
static const struct super_operations daxfs_super_ops;

/**
 * daxfs_parse_size - parse a number with an optional K, M, G, T suffix
 * @str: the text: decimal, 0x hex or 0 octal, then at most one suffix
 * @out: the value
 *
 * Like memparse(), but refuses empty text, trailing junk and overflow.
 *
 * Return: 0 or -EINVAL.
 */
static int daxfs_parse_size(const char *str, u64 *out)
{
	static const char suffixes[] = "KMGT";
	size_t len = strlen(str);
	unsigned int shift = 0;
	const char *s = NULL;
	char num[24];
	u64 v;

	if (len)
		s = strchr(suffixes, toupper(str[len - 1]));
	if (s && *s) {
		shift = 10 * (1 + (s - suffixes));
		len--;
	}
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, str, len);
	num[len] = '\0';
	if (kstrtou64(num, 0, &v))
		return -EINVAL;
	if (shift && v > (U64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* Take a branch name option: 1..47 bytes of [A-Za-z0-9._-]. */
static int daxfs_name_param(struct fs_context *fc, struct fs_parameter *param,
			    char **out)
{
	const char *name = param->string;

	if (!daxfs_branch_name_ok(name, strnlen(name, DAXFS_BRANCH_NAME_MAX + 1)))
		return invalfc(fc, "bad %s= name '%s' (1..%u of A-Z a-z 0-9 . _ -)",
			       param->key, name, DAXFS_BRANCH_NAME_MAX);
	kfree(*out);
	*out = param->string;
	param->string = NULL;
	return 0;
}

/* dax=/dev/daxX.Y or daxX.Y: keep the device name. */
static int daxfs_dax_param(struct fs_context *fc, struct fs_parameter *param,
			   char **out)
{
	const char *name = kbasename(param->string);

	if (!*name || strlen(name) >= 32)
		return invalfc(fc, "bad dax= device '%s'", param->string);
	kfree(*out);
	*out = kstrdup(name, GFP_KERNEL);
	return *out ? 0 : -ENOMEM;
}

static int daxfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct daxfs_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt;

	opt = fs_parse(fc, daxfs_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case OPT_PHYS:
		if (daxfs_parse_size(param->string, &ctx->phys))
			return invalfc(fc, "bad phys= value '%s'", param->string);
		ctx->has_phys = true;
		break;
	case OPT_SIZE:
		if (daxfs_parse_size(param->string, &ctx->size))
			return invalfc(fc, "bad size= value '%s'", param->string);
		ctx->has_size = true;
		break;
	case OPT_VALIDATE:
		ctx->validate = true;
		break;
	case OPT_BRANCH:
		return daxfs_name_param(fc, param, &ctx->branch);
	case OPT_PARENT:
		return daxfs_name_param(fc, param, &ctx->parent);
	case OPT_DAX:
		return daxfs_dax_param(fc, param, &ctx->dax);
	case OPT_DMABUF:
		return daxfs_dmabuf_param(fc, param, &ctx->dmabuf);
	}
	return 0;
}

/* The source names a block device (the caller checks it has DAX). */
static bool daxfs_source_is_bdev(struct fs_context *fc)
{
	dev_t dev;

	return fc->source && !lookup_bdev(fc->source, &dev);
}

/* A block device as the source: phys=, size= and dax= come from it. */
static int daxfs_check_bdev(struct fs_context *fc)
{
	struct daxfs_fs_context *ctx = fc->fs_private;

	if (ctx->has_size || ctx->dax)
		return invalfc(fc,
			       "%s is a block device: its size is the region's, no size= or dax=",
			       fc->source);
	ctx->bdev = true;
	return 0;
}

/* Check the options, and the physical range before anything maps it. */
static int daxfs_check_range(struct fs_context *fc)
{
	struct daxfs_fs_context *ctx = fc->fs_private;
	u64 last;

	if (ctx->parent && !ctx->branch)
		return invalfc(fc, "parent= needs branch=");
	if (ctx->parent && !strcmp(ctx->branch, "main"))
		return invalfc(fc, "branch=main is main itself, it has no parent=");
	if (ctx->dmabuf)
		return daxfs_dmabuf_check(fc, ctx->dmabuf,
					  ctx->has_phys || ctx->has_size || ctx->dax);
	if (daxfs_source_is_bdev(fc)) {
		if (ctx->has_phys)
			return invalfc(fc,
				       "phys= and a block device as the source (%s): give one of them",
				       fc->source);
		return daxfs_check_bdev(fc);
	}
	if (!ctx->has_phys)
		return invalfc(fc, "missing phys= option (or a DAX block device as the source)");
	if (!ctx->has_size)
		return invalfc(fc, "missing size= option");
	if (!PAGE_ALIGNED(ctx->phys))
		return invalfc(fc, "phys=0x%llx is not page aligned", ctx->phys);
	if (ctx->size < DAXFS_BLOCK_SIZE || !PAGE_ALIGNED(ctx->size))
		return invalfc(fc, "size=%llu must be a multiple of %lu, at least %u",
			       ctx->size, PAGE_SIZE, DAXFS_BLOCK_SIZE);
	if (check_add_overflow(ctx->phys, ctx->size - 1, &last) ||
	    last > (u64)(phys_addr_t)-1)
		return invalfc(fc, "phys=0x%llx size=%llu overflows", ctx->phys,
			       ctx->size);
	return daxfs_backing_check_range(fc, ctx->phys, ctx->size, ctx->dax);
}

/* Check the image in the mapped region; errors name the reason. */
static int daxfs_check_image(struct fs_context *fc, struct daxfs_sb_info *sbi)
{
	const char *on = sbi->bdev ? " on " : "";
	const char *dev = sbi->bdev ? fc->source : "";
	unsigned long long phys = sbi->phys;
	struct daxfs_report rep = { };
	int err;

	err = daxfs_check_super(sbi->region, sbi->size, &sbi->geo, &rep);
	if (err == -EINVAL) {
		errorfc(fc, "no DAXFS image at phys=0x%llx%s%s: %s", phys, on,
			dev, rep.msg);
		return err;
	}
	if (err == -EOPNOTSUPP) {
		errorfc(fc, "unsupported image at phys=0x%llx%s%s: %s", phys,
			on, dev, rep.msg);
		return err;
	}
	if (err) {
		errorfc(fc, "corrupt image at phys=0x%llx%s%s: %s", phys, on,
			dev, rep.msg);
		return err;
	}
	if (!sbi->validate)
		return 0;
	err = daxfs_validate_image(sbi->region, sbi->size, &rep);
	if (err)
		errorfc(fc, "image at phys=0x%llx%s%s fails validation: %s",
			phys, on, dev, rep.msg);
	return err;
}

static int daxfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct daxfs_fs_context *ctx = fc->fs_private;
	struct daxfs_sb_info *sbi;
	struct inode *root;
	int err, i;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	sb->s_fs_info = sbi;
	sbi->phys = ctx->phys;
	sbi->size = ctx->size;
	sbi->validate = ctx->validate;
	sbi->opt_branch = ctx->branch;
	sbi->opt_parent = ctx->parent;
	sbi->opt_dax = ctx->dax;
	ctx->branch = NULL;
	ctx->parent = NULL;
	ctx->dax = NULL;
	mutex_init(&sbi->log_lock);
	mutex_init(&sbi->live_lock);
	for (i = 0; i < DAXFS_PAGE_LOCKS; i++)
		mutex_init(&sbi->page_locks[i]);
	init_rwsem(&sbi->index_lock);
	xa_init(&sbi->nodes);
	sbi->sb = sb;
	mutex_init(&sbi->watch_lock);
	daxfs_readers_init(sbi);
	spin_lock_init(&sbi->pin_lock);
	INIT_LIST_HEAD(&sbi->pins);
	INIT_DELAYED_WORK(&sbi->watch_work, daxfs_watch_work);
	daxfs_branch_timers_init(sbi);
	sbi->alloc_hints = alloc_percpu(u64);
	if (!sbi->alloc_hints)
		return -ENOMEM;
	ratelimit_state_init(&sbi->corrupt_rs, DEFAULT_RATELIMIT_INTERVAL,
			     DEFAULT_RATELIMIT_BURST);

	if (ctx->dmabuf)
		err = daxfs_dmabuf_map(fc, sbi, &ctx->dmabuf);
	else
		err = daxfs_backing_open(fc, sbi, ctx->bdev);
	if (err)
		return err;
	err = daxfs_check_image(fc, sbi);
	if (err)
		return err;
	sbi->branching = !!(sbi->geo.feature_incompat &
			    DAXFS_FEATURE_INCOMPAT_BRANCHES);
	/* A reader before the first look at main_head (docs/format.md, Folding). */
	err = daxfs_reader_register(sbi);
	if (err) {
		errorfc(fc, "image at phys=0x%llx: too many mounts (%u)",
			(unsigned long long)sbi->phys, DAXFS_READER_COUNT);
		return err;
	}
	if (sbi->validate && sbi->branching) {
		err = daxfs_index_validate_views(sb);
		if (err) {
			errorfc(fc, "image at phys=0x%llx: a branch fails validation",
				(unsigned long long)sbi->phys);
			return err;
		}
	}
	err = daxfs_branch_mount(sb);
	if (err) {
		errorfc(fc, "cannot mount branch %s at phys=0x%llx (error %d, see the kernel log)",
			sbi->opt_branch ? sbi->opt_branch : "main",
			(unsigned long long)sbi->phys, err);
		return err;
	}

	sb->s_magic = DAXFS_SUPER_MAGIC;
	/* no xattrs: S_NOSEC once a write found no setuid bits to clear */
	sb->s_flags |= SB_RDONLY | SB_NOATIME | SB_NOSEC;
	if (sbi->writable)
		sb->s_flags &= ~SB_RDONLY;
	sb->s_blocksize = DAXFS_BLOCK_SIZE;
	sb->s_blocksize_bits = DAXFS_BLOCK_SHIFT;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	sb->s_op = &daxfs_super_ops;
	daxfs_set_uuid(sb, sbi->geo.uuid);
	snprintf(sb->s_id, sizeof(sb->s_id), "daxfs@0x%llx",
		 (unsigned long long)sbi->phys);
	err = daxfs_index_build(sb);
	if (err) {
		daxfs_branch_mount_failed(sb);
		errorfc(fc, "cannot replay the logs of %s at phys=0x%llx (error %d)",
			sbi->opt_branch ? sbi->opt_branch : "main",
			(unsigned long long)sbi->phys, err);
		return err;
	}

	root = daxfs_iget(sb, DAXFS_ROOT_INO);
	if (IS_ERR(root))
		return PTR_ERR(root);
	if (!S_ISDIR(root->i_mode)) {
		iput(root);
		errorfc(fc, "corrupt image at phys=0x%llx: root is not a directory",
			(unsigned long long)sbi->phys);
		return -EUCLEAN;
	}
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	daxfs_watch_start(sb);
	return 0;
}

static int daxfs_get_tree(struct fs_context *fc)
{
	int err;

	err = daxfs_check_range(fc);
	if (err)
		return err;
	return get_tree_nodev(fc, daxfs_fill_super);
}

static int daxfs_reconfigure(struct fs_context *fc)
{
	struct daxfs_fs_context *ctx = fc->fs_private;
	struct daxfs_sb_info *sbi = DAXFS_SB(fc->root->d_sb);

	if ((ctx->has_phys && ctx->phys != sbi->phys) ||
	    (ctx->has_size && ctx->size != sbi->size) ||
	    (ctx->dax && (!sbi->opt_dax || strcmp(ctx->dax, sbi->opt_dax))))
		return invalfc(fc, "phys=, size= and dax= cannot change on remount");
	if ((ctx->branch && (!sbi->opt_branch ||
			     strcmp(ctx->branch, sbi->opt_branch))) ||
	    ctx->parent)
		return invalfc(fc, "branch= and parent= cannot change on remount");
	if (sbi->writable) {
		if (fc->sb_flags & SB_RDONLY)
			return invalfc(fc, "a branch mount stays read-write until unmounted");
		return 0;
	}
	if (!(fc->sb_flags & SB_RDONLY))
		return invalfc(fc, "the base image is read-only, remount with ro");
	return 0;
}

static void daxfs_free_fc(struct fs_context *fc)
{
	struct daxfs_fs_context *ctx = fc->fs_private;

	if (ctx) {
		if (ctx->dmabuf)
			dma_buf_put(ctx->dmabuf);
		kfree(ctx->branch);
		kfree(ctx->parent);
		kfree(ctx->dax);
	}
	kfree(ctx);
}

static const struct fs_context_operations daxfs_context_ops = {
	.parse_param	= daxfs_parse_param,
	.get_tree	= daxfs_get_tree,
	.reconfigure	= daxfs_reconfigure,
	.free		= daxfs_free_fc,
};

static int daxfs_init_fs_context(struct fs_context *fc)
{
	struct daxfs_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	fc->fs_private = ctx;
	fc->ops = &daxfs_context_ops;
	/* A new mount is always read-only; a remount must ask for ro itself. */
	if (fc->purpose == FS_CONTEXT_FOR_MOUNT)
		fc->sb_flags |= SB_RDONLY;
	return 0;
}

static void daxfs_kill_sb(struct super_block *sb)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(sb);

	if (sbi)
		daxfs_watch_stop(sb);
	kill_anon_super(sb);
	if (!sbi)
		return;
	daxfs_index_destroy(sb);
	if (sbi->region) {
		daxfs_branch_unmount(sb);
		daxfs_reader_unregister(sbi);
	}
	daxfs_dmabuf_release(sbi);
	daxfs_backing_close(sbi);
	free_percpu(sbi->alloc_hints);
	kfree(sbi->opt_branch);
	kfree(sbi->opt_parent);
	kfree(sbi->opt_dax);
	kfree(sbi);
}

static struct file_system_type daxfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= "daxfs",
	.init_fs_context	= daxfs_init_fs_context,
	.parameters		= daxfs_fs_parameters,
	.kill_sb		= daxfs_kill_sb,
};
MODULE_ALIAS_FS("daxfs");

static struct inode *daxfs_alloc_inode(struct super_block *sb)
{
	struct daxfs_inode_info *dii;

	dii = alloc_inode_sb(sb, daxfs_inode_cachep, GFP_KERNEL);
	if (!dii)
		return NULL;
	memset(&dii->di, 0, sizeof(dii->di));
	dii->pin_seq = 0;
	INIT_LIST_HEAD(&dii->pin);
	return &dii->vfs_inode;
}

static void daxfs_free_inode(struct inode *inode)
{
	if (S_ISLNK(inode->i_mode))
		kfree(inode->i_link);
	kmem_cache_free(daxfs_inode_cachep, DAXFS_I(inode));
}

static int daxfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(dentry->d_sb);
	u64 id[2];

	buf->f_type = DAXFS_SUPER_MAGIC;
	buf->f_bsize = DAXFS_BLOCK_SIZE;
	buf->f_frsize = DAXFS_BLOCK_SIZE;
	buf->f_blocks = DIV_ROUND_UP(sbi->geo.image_size, DAXFS_BLOCK_SIZE);
	buf->f_bfree = 0;
	buf->f_bavail = 0;
	buf->f_files = sbi->geo.inode_count;
	buf->f_ffree = 0;
	if (sbi->branching) {
		u64 free = daxfs_free_pages(sbi);

		/* Free delta pages; data may not use the log reserve. */
		buf->f_bfree = free;
		buf->f_bavail = free > DAXFS_LOG_RESERVE ? free - DAXFS_LOG_RESERVE : 0;
		buf->f_files = sbi->geo.inode_count + free;
		buf->f_ffree = free;
	}
	buf->f_namelen = DAXFS_NAME_MAX;
	memcpy(id, sbi->geo.uuid, sizeof(id));
	buf->f_fsid = u64_to_fsid(id[0] ^ id[1]);
	return 0;
}

static int daxfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct daxfs_sb_info *sbi = DAXFS_SB(root->d_sb);

	if (sbi->dmabuf)
		daxfs_dmabuf_show(m, sbi);
	else if (!sbi->bdev)	/* a block device is the source: all of it */
		seq_printf(m, ",phys=0x%llx,size=%llu",
			   (unsigned long long)sbi->phys, sbi->size);
	if (sbi->opt_dax)
		seq_printf(m, ",dax=%s", sbi->opt_dax);
	if (sbi->validate)
		seq_puts(m, ",validate");
	if (sbi->opt_branch && sbi->slot != DAXFS_MAIN_SLOT)
		seq_printf(m, ",branch=%s", sbi->opt_branch);
	return 0;
}

static const struct super_operations daxfs_super_ops = {
	.alloc_inode	= daxfs_alloc_inode,
	.free_inode	= daxfs_free_inode,
	.statfs		= daxfs_statfs,
	.show_options	= daxfs_show_options,
};

static void daxfs_inode_init_once(void *ptr)
{
	struct daxfs_inode_info *dii = ptr;

	inode_init_once(&dii->vfs_inode);
}

static int __init daxfs_init(void)
{
	int err;

	BUILD_BUG_ON(PAGE_SIZE != DAXFS_BLOCK_SIZE);
	daxfs_inode_cachep = kmem_cache_create("daxfs_inode_cache",
					       sizeof(struct daxfs_inode_info), 0,
					       SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
					       daxfs_inode_init_once);
	if (!daxfs_inode_cachep)
		return -ENOMEM;
	err = daxfs_file_init();
	if (err)
		goto out_cache;
	err = register_filesystem(&daxfs_fs_type);
	if (err)
		goto out_file;
	return 0;

out_file:
	daxfs_file_exit();
out_cache:
	kmem_cache_destroy(daxfs_inode_cachep);
	return err;
}

static void __exit daxfs_exit(void)
{
	unregister_filesystem(&daxfs_fs_type);
	/* Inodes are freed after an RCU grace period: wait for them. */
	rcu_barrier();
	kmem_cache_destroy(daxfs_inode_cachep);
	daxfs_file_exit();
}

module_init(daxfs_init);
module_exit(daxfs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("DAXFS: filesystem image in shared physical memory, with branches");
MODULE_AUTHOR("DAXFS developers");
MODULE_VERSION(DAXFS_RELEASE);
