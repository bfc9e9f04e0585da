// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/fold.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <new>
#include <set>
#include <sys/stat.h>
#include <unordered_set>

#include "daxfs/error.hpp"
#include "daxfs_fold.h"

namespace daxfs {

namespace {

bool same_time(const daxfs_vtime &t, std::int64_t sec, std::uint32_t nsec) {
    return t.sec == sec && t.nsec == nsec;
}

// The attributes of base inode @in as the view has them in @n.
bool attrs_as_base(const daxfs_ino &in, const VNode &n) {
    if (n.mode != in.mode || n.uid != in.uid || n.gid != in.gid || n.nlink != in.nlink ||
        n.rdev != in.rdev || !same_time(n.mtime, in.mtime, in.mtime_nsec) ||
        !same_time(n.atime, in.mtime, in.mtime_nsec) ||
        !same_time(n.ctime, in.ctime, in.ctime_nsec))
        return false;
    if (S_ISREG(n.mode))
        return n.size == in.size && n.base_limit == in.size && n.pages.empty();
    if (S_ISLNK(n.mode))
        return n.size == in.size && !n.target_page;
    if (S_ISDIR(n.mode))
        return n.parent == in.parent;
    return true;
}

// The entries of directory @n are the base directory's.
bool entries_as_base(const Image &image, const daxfs_ino &in, const VNode &n) {
    if (image.entry_count(in) != n.entries.size())
        return false;
    std::uint64_t i = 0;
    for (const auto &[name, ino] : n.entries) {
        const Dirent de = image.entry(in, i++);
        if (de.name != name || de.ino != ino)
            return false;
    }
    return true;
}

// What the fold reads of an Overlay: the nodes that differ from the base image, and those
// whose names did (the fold's records touch them: a file renamed and then given its base
// times back by a SETATTR is still one).
class FoldView {
  public:
    explicit FoldView(const Overlay &view) : view_(view) {
        const Image &image = view.image();
        for (const auto &[ino, n] : view.nodes()) {
            if (ino > image.geo().inode_count) {
                by_ino_.insert(ino);
                continue;
            }
            const daxfs_ino in = image.inode(ino);
            if (!attrs_as_base(in, n))
                by_ino_.insert(ino);
            if (!S_ISDIR(n.mode) || (n.nlink && entries_as_base(image, in, n)))
                continue;
            if (n.nlink)
                dir_changed_.insert(ino);
            by_ino_.insert(ino);
            names_moved(in, n);
        }
        for (const std::uint64_t ino : by_ino_)
            changed_.push_back(&view.node(ino));
    }

    static const daxfs_fold_view_ops ops;

  private:
    static FoldView &of(void *v) { return *static_cast<FoldView *>(v); }
    static const VNode &vnode(const daxfs_vnode *n) { return *static_cast<const VNode *>(n); }

    static int each_node(void *v, int (*fn)(void *, const daxfs_vnode *), void *ctx) {
        for (const VNode *n : of(v).changed_)
            if (int err = fn(ctx, n))
                return err;
        return 0;
    }
    static const daxfs_vnode *node(void *v, u64 ino) {
        if (!of(v).by_ino_.count(ino))
            return nullptr;
        return &of(v).view_.node(ino);
    }
    static int dir_changed(void *v, const daxfs_vnode *dir) {
        return of(v).by_ino_.count(dir->ino) && (dir->ino > of(v).view_.image().geo().inode_count ||
                                                 of(v).dir_changed_.count(dir->ino));
    }
    static int each_entry(void *v, const daxfs_vnode *dir, int (*fn)(void *, const daxfs_ventry *),
                          void *ctx) try {
        for (const auto &[name, ino] : vnode(dir).entries) {
            const daxfs_ventry e{name.data(), static_cast<u32>(name.size()),
                                 DAXFS_MODE_TO_DT(of(v).view_.node(ino).mode), ino};
            if (int err = fn(ctx, &e))
                return err;
        }
        return 0;
    } catch (const Error &e) { // nothing may throw through the C code
        return -e.code();
    }
    static int lookup(void *, const daxfs_vnode *dir, const char *name, u32 len, u64 *ino) try {
        const auto &e = vnode(dir).entries;
        auto it = e.find(std::string(name, len));
        if (it == e.end())
            return -ENOENT;
        *ino = it->second;
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
    static int each_page(void *, const daxfs_vnode *file, int (*fn)(void *, u64, u64), void *ctx) {
        for (const auto &[index, ref] : vnode(file).pages)
            if (int err = fn(ctx, index, ref.page))
                return err;
        return 0;
    }
    static u64 link_page(void *, const daxfs_vnode *link) { return vnode(link).target_page; }

    // Mark the inodes named by the base entries of directory @n the view lost, and by the
    // entries it has that the base does not.
    void names_moved(const daxfs_ino &in, const VNode &n) {
        const Image &image = view_.image();
        const std::uint64_t count = image.entry_count(in);
        for (std::uint64_t i = 0; i < count; i++) {
            const Dirent de = image.entry(in, i);
            const auto it = n.entries.find(std::string(de.name));
            if (it == n.entries.end() || it->second != de.ino)
                by_ino_.insert(de.ino);
        }
        for (const auto &[name, ino] : n.entries) {
            const auto de = image.find(in, name);
            if (!de || de->ino != ino)
                by_ino_.insert(ino);
        }
    }

    const Overlay &view_;
    std::vector<const VNode *> changed_; // in ascending inode number
    std::set<std::uint64_t> by_ino_;
    std::unordered_set<std::uint64_t> dir_changed_;
};

const daxfs_fold_view_ops FoldView::ops{each_node, node,      dir_changed, each_entry,
                                        lookup,    each_page, link_page};

// The sink: records copied out, numbered and checksummed as a log's.
struct Records {
    std::vector<std::vector<std::byte>> out;

    static int emit(void *ctx, daxfs_rec *rec, u32 len) try {
        auto &self = *static_cast<Records *>(ctx);
        rec->seq = htole64(self.out.size() + 1);
        rec->crc = 0;
        rec->crc = htole32(daxfs_rec_csum(rec, len));
        const auto *p = reinterpret_cast<const std::byte *>(rec);
        self.out.emplace_back(p, p + len);
        return 0;
    } catch (const std::bad_alloc &) {
        return -ENOMEM;
    }
};

} // namespace

std::vector<std::vector<std::byte>> fold_records(const Overlay &view, std::uint64_t limbo_ino,
                                                 std::int64_t now) {
    FoldView fv(view);
    Records records;
    const daxfs_fold_sink sink{Records::emit, &records};
    daxfs_report rep{};
    const int err = daxfs_fold_write(view.image().region().data(), &view.image().geo(),
                                     &FoldView::ops, &fv, limbo_ino, now, &sink, &rep);
    if (err)
        throw Error(-err, rep.msg[0] ? rep.msg : fmt::format("fold failed: {}", strerror(-err)));
    return std::move(records.out);
}

} // namespace daxfs
