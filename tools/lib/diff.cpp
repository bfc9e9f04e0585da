// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/diff.hpp"

#include <algorithm>
#include <sys/stat.h>

#include "daxfs/replay.hpp"

namespace daxfs {

namespace {

class Differ {
  public:
    Differ(const Overlay &before, const Overlay &after) : a_(before), b_(after) {}
    void dirs(std::uint64_t a, std::uint64_t b, const std::string &path);
    std::vector<Change> out;

  private:
    void whole(const Overlay &v, std::uint64_t ino, const std::string &path, Change::Kind k);
    void both(std::uint64_t a, std::uint64_t b, const std::string &path);
    bool same_content(const VNode &x, const VNode &y) const;
    static std::uint64_t bytes(const VNode &n) {
        return S_ISREG(n.mode) || S_ISLNK(n.mode) ? n.size : 0;
    }

    const Overlay &a_, &b_;
};

std::string join(const std::string &dir, const std::string &name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

void Differ::whole(const Overlay &v, std::uint64_t ino, const std::string &path, Change::Kind k) {
    const VNode &n = v.node(ino);
    out.push_back({k, path, n.mode, bytes(n), 0, {}});
    if (S_ISDIR(n.mode))
        for (const auto &[name, child] : n.entries)
            whole(v, child, join(path, name), k);
}

bool Differ::same_content(const VNode &x, const VNode &y) const {
    if (x.size != y.size)
        return false;
    if (!Overlay::data_changed(x) && !Overlay::data_changed(y) && x.base.data() == y.base.data())
        return true;
    std::vector<std::byte> bx, by;
    const auto cx = a_.content(x, bx), cy = b_.content(y, by);
    return std::equal(cx.begin(), cx.end(), cy.begin(), cy.end());
}

void Differ::both(std::uint64_t a, std::uint64_t b, const std::string &path) {
    const VNode &x = a_.node(a), &y = b_.node(b);
    Change c{Change::kModified, path, y.mode, bytes(y), bytes(x), {}};
    if ((x.mode & S_IFMT) != (y.mode & S_IFMT)) {
        c.what.push_back("type");
    } else {
        if (S_ISREG(y.mode) && !same_content(x, y))
            c.what.push_back("content");
        if (S_ISLNK(y.mode) && a_.target(x) != b_.target(y))
            c.what.push_back("target");
        if ((S_ISCHR(y.mode) || S_ISBLK(y.mode)) && x.rdev != y.rdev)
            c.what.push_back("rdev");
    }
    if ((x.mode & 07777) != (y.mode & 07777))
        c.what.push_back("mode");
    if (x.uid != y.uid || x.gid != y.gid)
        c.what.push_back("owner");
    if (!S_ISDIR(y.mode) && !(timestamp(x.mtime) == timestamp(y.mtime)))
        c.what.push_back("mtime");
    if (!c.what.empty())
        out.push_back(c);
    if (S_ISDIR(x.mode) && S_ISDIR(y.mode))
        dirs(a, b, path);
    else if (S_ISDIR(x.mode))
        for (const auto &[name, child] : x.entries)
            whole(a_, child, join(path, name), Change::kDeleted);
    else if (S_ISDIR(y.mode))
        for (const auto &[name, child] : y.entries)
            whole(b_, child, join(path, name), Change::kAdded);
}

void Differ::dirs(std::uint64_t a, std::uint64_t b, const std::string &path) {
    const auto &ea = a_.node(a).entries, &eb = b_.node(b).entries;
    auto ia = ea.begin(), ib = eb.begin();
    while (ia != ea.end() || ib != eb.end()) {
        if (ib == eb.end() || (ia != ea.end() && ia->first < ib->first)) {
            whole(a_, ia->second, join(path, ia->first), Change::kDeleted);
            ++ia;
        } else if (ia == ea.end() || ib->first < ia->first) {
            whole(b_, ib->second, join(path, ib->first), Change::kAdded);
            ++ib;
        } else {
            both(ia->second, ib->second, join(path, ia->first));
            ++ia;
            ++ib;
        }
    }
}

} // namespace

std::vector<Change> diff_views(const Overlay &before, const Overlay &after) {
    Differ d(before, after);
    d.dirs(DAXFS_ROOT_INO, DAXFS_ROOT_INO, "/");
    return std::move(d.out);
}

std::vector<Change> diff_branch(const Image &image, std::string_view branch) {
    // The base is validated and loaded once: the branch's view is its parent's plus its
    // own log.
    const Overlay before = replay_parent_view(image, branch);
    Overlay after = before;
    const BranchTable table(image);
    after.replay(table.slot(table.find(branch).slot));
    return diff_views(before, after);
}

std::string change_kind_name(Change::Kind kind) {
    switch (kind) {
    case Change::kAdded:
        return "added";
    case Change::kModified:
        return "modified";
    default:
        return "deleted";
    }
}

nlohmann::json changes_json(const std::vector<Change> &changes) {
    nlohmann::json j = nlohmann::json::array();
    for (const Change &c : changes) {
        nlohmann::json e = {{"change", change_kind_name(c.kind)},
                            {"path", c.path},
                            {"mode", c.mode},
                            {"size", c.size}};
        if (c.kind == Change::kModified) {
            e["old_size"] = c.old_size;
            e["what"] = c.what;
        }
        j.push_back(e);
    }
    return j;
}

} // namespace daxfs
