// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/overlay.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <sys/stat.h>

#include "daxfs/error.hpp"
#include "daxfs/validate.hpp"

namespace daxfs {

namespace {

constexpr std::uint32_t kRenameNoReplace = 1; // RENAME_NOREPLACE
constexpr std::uint32_t kRenameExchange = 2;  // RENAME_EXCHANGE

[[noreturn]] void bad(const daxfs_lrec &r, const std::string &why) {
    throw Error(EUCLEAN,
                fmt::format("log record {} (type {}, inode {}): {}", r.seq, r.type, r.ino, why));
}

std::string_view name_of(const char *p, std::uint32_t len) { return {p, len}; }

} // namespace

Timestamp timestamp_ns(std::int64_t ns) {
    std::int64_t sec = ns / 1000000000;
    std::int64_t rem = ns % 1000000000;
    if (rem < 0) {
        sec--;
        rem += 1000000000;
    }
    return {sec, static_cast<std::uint32_t>(rem)};
}

Overlay::Overlay(const Image &image) : image_(image) { load_base(); }

void Overlay::load_base() {
    const Validation v = validate_image(image_.region());
    if (!v.ok)
        throw Error(v.err, "invalid image: " + v.message);
    std::vector<std::uint64_t> dirs{DAXFS_ROOT_INO};
    auto add = [&](const daxfs_ino &in) {
        VNode n;
        n.mode = in.mode;
        n.uid = in.uid;
        n.gid = in.gid;
        n.nlink = in.nlink;
        n.rdev = in.rdev;
        n.mtime = {in.mtime, in.mtime_nsec};
        n.ctime = {in.ctime, in.ctime_nsec};
        if (S_ISREG(in.mode)) {
            n.size = in.size;
            n.base = image_.file_data(in);
            n.base_limit = in.size;
        } else if (S_ISLNK(in.mode)) {
            n.size = in.size;
            n.target = std::string(image_.link_target(in));
        } else if (S_ISDIR(in.mode)) {
            n.parent = in.parent;
        }
        nodes_.emplace(in.ino, std::move(n));
    };
    add(image_.root());
    for (std::size_t d = 0; d < dirs.size(); d++) {
        const daxfs_ino dir = image_.inode(dirs[d]);
        std::map<std::string, std::uint64_t> entries;
        const std::uint64_t count = image_.entry_count(dir);
        for (std::uint64_t i = 0; i < count; i++) {
            const Dirent de = image_.entry(dir, i);
            if (!nodes_.count(de.ino)) {
                const daxfs_ino in = image_.child(de);
                add(in);
                if (S_ISDIR(in.mode))
                    dirs.push_back(de.ino);
            }
            entries.emplace_hint(entries.end(), std::string(de.name), de.ino);
        }
        nodes_.at(dir.ino).entries = std::move(entries);
    }
}

const VNode &Overlay::node(std::uint64_t ino) const {
    auto it = nodes_.find(ino);
    if (it == nodes_.end())
        throw Error(ENOENT, fmt::format("no inode {}", ino));
    return it->second;
}

std::uint64_t Overlay::lookup(std::string_view path) const {
    std::uint64_t cur = DAXFS_ROOT_INO;
    const std::string full(path);
    while (!path.empty()) {
        auto slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".")
            continue;
        const VNode &n = node(cur);
        if (!S_ISDIR(n.mode))
            throw Error(ENOTDIR, fmt::format("'{}': Not a directory", full));
        if (part == "..") {
            cur = n.parent;
            continue;
        }
        auto it = n.entries.find(std::string(part));
        if (it == n.entries.end())
            throw Error(ENOENT, fmt::format("'{}': No such file or directory", full));
        cur = it->second;
    }
    return cur;
}

bool Overlay::data_changed(const VNode &f) {
    return !f.pages.empty() || f.size != f.base.size() || f.base_limit < f.base.size();
}

std::span<const std::byte> Overlay::delta_page(std::uint64_t page) const {
    void *region = const_cast<std::byte *>(image_.region().data());
    const void *p = daxfs_delta_page(region, &image_.geo(), page);
    if (!p || page < image_.geo().meta_pages)
        throw Error(EUCLEAN, fmt::format("delta page {} is outside the delta region", page));
    return {static_cast<const std::byte *>(p), DAXFS_BLOCK_SIZE};
}

std::span<const std::byte> Overlay::content(const VNode &f, std::vector<std::byte> &buf) const {
    if (!data_changed(f))
        return f.base;
    buf.assign(f.size, std::byte{0});
    const std::uint64_t from_base = std::min({f.base_limit, f.size, std::uint64_t{f.base.size()}});
    if (from_base) // a file made in a branch has no base bytes at all
        std::memcpy(buf.data(), f.base.data(), from_base);
    for (const auto &[index, page] : f.pages) {
        const std::uint64_t off = index * DAXFS_BLOCK_SIZE;
        if (off >= f.size)
            break;
        const std::uint64_t len = std::min<std::uint64_t>(DAXFS_BLOCK_SIZE, f.size - off);
        std::memcpy(buf.data() + off, delta_page(page).data(), len);
    }
    return buf;
}

std::string Overlay::target(const VNode &link) const {
    if (!link.target_page)
        return link.target;
    const auto bytes = delta_page(link.target_page).first(link.size);
    std::string t(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    if (t.find('\0') != std::string::npos)
        throw Error(EUCLEAN,
                    fmt::format("symlink target in delta page {} holds a NUL", link.target_page));
    return t;
}

VNode &Overlay::get(std::uint64_t ino, const char *what) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end())
        throw Error(EUCLEAN, fmt::format("{} inode {} does not exist", what, ino));
    return it->second;
}

VNode &Overlay::dir(std::uint64_t ino) {
    VNode &d = get(ino, "directory");
    if (!S_ISDIR(d.mode) || !d.nlink)
        throw Error(EUCLEAN, fmt::format("inode {} is not a live directory", ino));
    return d;
}

void Overlay::add_name(VNode &parent, std::uint64_t parent_ino, std::string_view name,
                       std::uint64_t ino, Timestamp t) {
    if (!parent.entries.emplace(std::string(name), ino).second)
        throw Error(EUCLEAN, fmt::format("'{}' already exists in directory {}", name, parent_ino));
    parent.mtime = parent.ctime = t;
}

void Overlay::drop_name(VNode &parent, std::string_view name, std::uint64_t ino, Timestamp t) {
    auto it = parent.entries.find(std::string(name));
    if (it == parent.entries.end() || it->second != ino)
        throw Error(EUCLEAN, fmt::format("no entry '{}' for inode {}", name, ino));
    parent.entries.erase(it);
    parent.mtime = parent.ctime = t;
}

void Overlay::apply_truncate(std::uint64_t ino, std::uint64_t size, Timestamp t) {
    VNode &f = get(ino, "file");
    if (!S_ISREG(f.mode))
        throw Error(EUCLEAN, fmt::format("inode {} is not a regular file", ino));
    const std::uint64_t keep = (size + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE;
    f.pages.erase(f.pages.lower_bound(keep), f.pages.end());
    f.base_limit = std::min(f.base_limit, size);
    f.size = size;
    f.mtime = f.ctime = t;
}

void Overlay::apply_write(const daxfs_lrec &r) {
    const Timestamp t = timestamp_ns(r.time);
    VNode &f = get(r.ino, "written");
    if (!S_ISREG(f.mode))
        bad(r, "write to a file that is not regular");
    for (std::uint32_t i = 0; i < r.count; i++) {
        std::uint64_t index, page;
        daxfs_lrec_page(&r, i, &index, &page);
        if (index >= (r.size + DAXFS_BLOCK_SIZE - 1) / DAXFS_BLOCK_SIZE)
            bad(r, "a page past the size");
        (void)delta_page(page); // checked now, read later
        f.pages[index] = page;
    }
    f.size = r.size;
    f.mtime = f.ctime = t;
}

void Overlay::apply_create(const daxfs_lrec &r) {
    const Timestamp t = timestamp_ns(r.time);
    // The mode fits the record type: the shared decoder (daxfs_log_next) checked it.
    if (r.ino <= image_.geo().inode_count || nodes_.count(r.ino))
        bad(r, "the new inode number is in use");
    VNode &parent = dir(r.parent);
    VNode n;
    n.mode = r.mode;
    n.uid = r.uid;
    n.gid = r.gid;
    n.nlink = S_ISDIR(r.mode) ? 2 : 1;
    n.rdev = S_ISCHR(r.mode) || S_ISBLK(r.mode) ? r.rdev : 0;
    n.mtime = n.ctime = t;
    if (S_ISDIR(r.mode))
        n.parent = r.parent;
    if (S_ISLNK(r.mode)) { // read when asked: a later unlink may free the page
        if (r.size < 1 || r.size > DAXFS_SYMLINK_MAX)
            bad(r, "symlink target of a bad length");
        (void)delta_page(r.page);
        n.target_page = r.page;
        n.size = r.size;
    }
    add_name(parent, r.parent, name_of(r.name, r.name_len), r.ino, t);
    if (S_ISDIR(r.mode))
        parent.nlink++;
    nodes_.emplace(r.ino, std::move(n));
}

void Overlay::apply_link(const daxfs_lrec &r) {
    const Timestamp t = timestamp_ns(r.time);
    VNode &n = get(r.ino, "linked");
    if (S_ISDIR(n.mode) || !n.nlink)
        bad(r, "hard link to a directory or an unlinked inode");
    add_name(dir(r.parent), r.parent, name_of(r.name, r.name_len), r.ino, t);
    n.nlink++;
    n.ctime = t;
}

// An inode whose last name goes stays (nlink 0): an open file can still be written, and
// its records refer to it.
void Overlay::unlink_node(VNode &parent, VNode &n, Timestamp t) {
    if (S_ISDIR(n.mode)) {
        n.nlink = 0;
        if (parent.nlink > 2)
            parent.nlink--;
    } else if (n.nlink) {
        n.nlink--;
    }
    n.ctime = t;
}

// A directory moved from @from to @to (different directories) takes its ".." along.
void Overlay::move_dir(VNode &node, VNode &from, VNode &to, std::uint64_t to_ino) {
    if (!S_ISDIR(node.mode))
        return;
    if (from.nlink > 2)
        from.nlink--;
    to.nlink++;
    node.parent = to_ino;
}

VNode &Overlay::victim(const daxfs_lrec &r, std::uint64_t ino) {
    VNode &n = get(ino, "removed");
    if (!n.nlink)
        bad(r, "a name of an unlinked inode");
    if (S_ISDIR(n.mode) && !n.entries.empty())
        bad(r, "removal of a directory that is not empty");
    return n;
}

void Overlay::apply_unlink(const daxfs_lrec &r) {
    const Timestamp t = timestamp_ns(r.time);
    VNode &parent = dir(r.parent);
    VNode &n = victim(r, r.ino);
    drop_name(parent, name_of(r.name, r.name_len), r.ino, t);
    unlink_node(parent, n, t);
}

void Overlay::apply_rename(const daxfs_lrec &r) {
    const Timestamp t = timestamp_ns(r.time);
    const std::string_view from = name_of(r.name, r.name_len);
    const std::string_view to = name_of(r.new_name, r.new_name_len);
    VNode &op = dir(r.parent);
    VNode &np = dir(r.new_parent);
    VNode &moved = get(r.ino, "renamed");
    auto src = op.entries.find(std::string(from));
    if (src == op.entries.end() || src->second != r.ino)
        bad(r, fmt::format("no entry '{}' to rename", from));
    auto dst = np.entries.find(std::string(to));
    if (r.parent == r.new_parent && from == to) // the same entry: nothing happens
        return;
    const std::uint64_t other = dst == np.entries.end() ? 0 : dst->second;
    if (r.flags & kRenameExchange) {
        if (!other)
            bad(r, fmt::format("no entry '{}' to exchange with", to));
        VNode &o = get(other, "exchanged");
        src->second = other;
        dst->second = r.ino;
        if (r.parent != r.new_parent) {
            move_dir(moved, op, np, r.new_parent);
            move_dir(o, np, op, r.parent);
        }
        o.ctime = moved.ctime = t;
        op.mtime = op.ctime = np.mtime = np.ctime = t;
        return;
    }
    if (other) {
        if (r.flags & kRenameNoReplace)
            bad(r, fmt::format("'{}' exists (RENAME_NOREPLACE)", to));
        if (other == r.ino)
            bad(r, "rename over another link of itself");
        VNode &o = victim(r, other);
        if (S_ISDIR(o.mode) != S_ISDIR(moved.mode))
            bad(r, "rename between a directory and a file");
        drop_name(np, to, other, t);
        unlink_node(np, o, t);
    }
    drop_name(op, from, r.ino, t);
    add_name(np, r.new_parent, to, r.ino, t);
    if (r.parent != r.new_parent)
        move_dir(moved, op, np, r.new_parent);
    moved.ctime = t;
}

void Overlay::apply_setattr(const daxfs_lrec &r) {
    VNode &n = get(r.ino, "changed");
    if (r.valid & DAXFS_ATTR_MODE)
        n.mode = (n.mode & S_IFMT) | (r.mode & 07777);
    if (r.valid & DAXFS_ATTR_UID)
        n.uid = r.uid;
    if (r.valid & DAXFS_ATTR_GID)
        n.gid = r.gid;
    if (r.valid & DAXFS_ATTR_MTIME)
        n.mtime = timestamp_ns(r.mtime);
    n.ctime = timestamp_ns(r.time);
}

void Overlay::apply(const daxfs_lrec &r) {
    switch (r.type) {
    case DAXFS_REC_WRITE:
        return apply_write(r);
    case DAXFS_REC_TRUNCATE:
        return apply_truncate(r.ino, r.size, timestamp_ns(r.time));
    case DAXFS_REC_CREATE:
    case DAXFS_REC_MKDIR:
    case DAXFS_REC_SYMLINK:
    case DAXFS_REC_MKNOD:
        return apply_create(r);
    case DAXFS_REC_LINK:
        return apply_link(r);
    case DAXFS_REC_UNLINK:
        return apply_unlink(r);
    case DAXFS_REC_RENAME:
        return apply_rename(r);
    case DAXFS_REC_SETATTR:
        return apply_setattr(r);
    default:
        bad(r, "unknown record type");
    }
}

} // namespace daxfs
