// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "hostile_corpus.hpp"

#include <functional>
#include <sys/stat.h>

#include "daxfs/reader.hpp"
#include "helpers.hpp"
#include "log_writer.hpp"

namespace testing_daxfs {

namespace {

// The inodes of the base tree every case starts from.
struct Base {
    std::vector<std::byte> image;
    std::uint64_t f = 0, keep = 0, d = 0, b = 0, sub = 0, delta_pages = 0;
};

Base make_base(const std::string &workdir) {
    const std::string src = workdir + "/hostile-src";
    make_dir(src);
    write_file(src + "/f", pattern(9000, 1));
    write_file(src + "/keep", pattern(10, 2));
    make_dir(src + "/d");
    write_file(src + "/d/b", pattern(100, 3));
    make_dir(src + "/d/sub");
    Base base;
    base.image = build_branch_image(src, 1u << 20);
    const daxfs::Image image(base.image);
    base.f = image.lookup("/f").ino;
    base.keep = image.lookup("/keep").ino;
    base.d = image.lookup("/d").ino;
    base.b = image.lookup("/d/b").ino;
    base.sub = image.lookup("/d/sub").ino;
    base.delta_pages = image.geo().delta_pages;
    return base;
}

using Build = std::function<void(LogWriter &, const Base &)>;

struct Spec {
    const char *name;
    const char *mount;
    const char *reason;
    Build build;
};

constexpr std::uint64_t kRoot = DAXFS_ROOT_INO;

// A committed branch "c" that wrote page 0 of /f; returns its slot and the data page.
std::pair<std::uint32_t, std::uint64_t> committed_write(LogWriter &w, const Base &b) {
    const std::uint32_t c = w.branch("c");
    const std::uint64_t page = w.alloc(c);
    w.write_pages(c, b.f, 9000, {{0, page}});
    w.commit(c);
    return {c, page};
}

const std::vector<Spec> &specs() {
    static const std::vector<Spec> all = {
        {"good-branch", "branch=x", "",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t x = w.branch("x");
             const std::uint64_t n = w.create(x, DAXFS_REC_CREATE, kRoot, "new", S_IFREG | 0644);
             w.write(x, n, 5000, {{0, pattern(4096, 7)}, {1, pattern(4096, 8)}});
             w.rename(x, b.sub, b.d, "sub", kRoot, "moved");
             w.symlink(x, kRoot, "ln", "new");
         }},
        {"good-main", "", "", [](LogWriter &w, const Base &b) { committed_write(w, b); }},
        {"rename-cycle", "branch=x", "RENAME makes a cycle",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.d, kRoot, "d", b.sub, "inside");
         }},
        {"commit-rename-cycle", "", "RENAME makes a cycle",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t c = w.branch("c");
             w.rename(c, b.d, kRoot, "d", b.sub, "inside");
             w.commit(c);
         }},
        {"write-committed-data", "branch=x", "not owned by the slot",
         [](LogWriter &w, const Base &b) {
             auto [c, page] = committed_write(w, b);
             w.write_pages(w.branch("x", c), b.keep, 10, {{0, page}});
         }},
        {"write-committed-log", "branch=x", "not owned by the slot",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t c = committed_write(w, b).first;
             w.write_pages(w.branch("x", c), b.keep, 10, {{0, w.log_head(c)}});
         }},
        {"write-free-page", "branch=x", "not owned by the slot",
         [](LogWriter &w, const Base &b) {
             w.write_pages(w.branch("x"), b.f, 9000, {{0, b.delta_pages - 1}});
         }},
        {"write-own-log", "branch=x", "named twice (or a log page)",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t x = w.branch("x");
             w.truncate(x, b.keep, 10);
             w.write_pages(x, b.f, 9000, {{0, w.log_head(x)}});
         }},
        {"write-page-twice", "branch=x", "named twice (or a log page)",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t x = w.branch("x");
             const std::uint64_t page = w.alloc(x);
             w.write_pages(x, b.f, 9000, {{0, page}});
             w.write_pages(x, b.b, 100, {{0, page}});
         }},
        {"write-past-size", "branch=x", "WRITE maps a page past the size",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t x = w.branch("x");
             w.write_pages(x, b.f, 100, {{5, w.alloc(x)}});
         }},
        {"write-to-dir", "branch=x", "WRITE to a non-regular file",
         [](LogWriter &w, const Base &b) { w.write_pages(w.branch("x"), b.d, 10, {}); }},
        {"truncate-dir", "branch=x", "TRUNCATE of a non-regular file",
         [](LogWriter &w, const Base &b) { w.truncate(w.branch("x"), b.d, 0); }},
        {"symlink-nul-committed", "", "symlink target holds a NUL",
         [](LogWriter &w, const Base &) {
             const std::uint32_t c = w.branch("c");
             w.symlink(c, kRoot, "ln", std::string_view("a\0b", 3));
             w.commit(c);
         }},
        {"create-dangling-parent", "branch=x", "unknown parent directory",
         [](LogWriter &w, const Base &) {
             w.create(w.branch("x"), DAXFS_REC_CREATE, 999999, "orphan", S_IFREG | 0644);
         }},
        {"create-under-file", "branch=x", "parent is not a live directory",
         [](LogWriter &w, const Base &b) {
             w.create(w.branch("x"), DAXFS_REC_MKDIR, b.f, "under", S_IFDIR | 0755);
         }},
        {"create-exists", "branch=x", "name exists",
         [](LogWriter &w, const Base &) {
             w.create(w.branch("x"), DAXFS_REC_CREATE, kRoot, "f", S_IFREG | 0644);
         }},
        {"link-dir", "branch=x", "LINK of a directory or an unlinked inode",
         [](LogWriter &w, const Base &b) { w.link(w.branch("x"), b.d, kRoot, "dlink"); }},
        {"link-unknown", "branch=x", "LINK of an unknown inode",
         [](LogWriter &w, const Base &) { w.link(w.branch("x"), 777777, kRoot, "l"); }},
        {"unlink-missing", "branch=x", "UNLINK of a missing name",
         [](LogWriter &w, const Base &b) { w.unlink(w.branch("x"), b.f, kRoot, "nosuch"); }},
        {"unlink-other", "branch=x", "UNLINK names another inode",
         [](LogWriter &w, const Base &b) { w.unlink(w.branch("x"), b.keep, kRoot, "f"); }},
        {"unlink-twice", "branch=x", "UNLINK of a missing name",
         [](LogWriter &w, const Base &b) {
             const std::uint32_t x = w.branch("x");
             w.unlink(x, b.f, kRoot, "f");
             w.unlink(x, b.f, kRoot, "f");
         }},
        {"rmdir-not-empty", "branch=x", "directory removed is not empty",
         [](LogWriter &w, const Base &b) { w.unlink(w.branch("x"), b.d, kRoot, "d"); }},
        {"rename-missing", "branch=x", "RENAME of a missing name",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.f, kRoot, "nosuch", kRoot, "g");
         }},
        {"rename-noreplace", "branch=x", "RENAME_NOREPLACE over a name",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.f, kRoot, "f", kRoot, "keep", DAXFS_RENAME_NOREPLACE);
         }},
        {"rename-dir-over-file", "branch=x", "RENAME between a directory and a file",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.sub, b.d, "sub", kRoot, "keep");
         }},
        {"exchange-missing", "branch=x", "RENAME_EXCHANGE with a missing target",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.f, kRoot, "f", kRoot, "nosuch", DAXFS_RENAME_EXCHANGE);
         }},
        {"exchange-cycle", "branch=x", "RENAME makes a cycle",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.sub, b.d, "sub", kRoot, "d", DAXFS_RENAME_EXCHANGE);
         }},
        {"setattr-unknown", "branch=x", "unknown inode",
         [](LogWriter &w, const Base &) {
             w.setattr(w.branch("x"), 888888, DAXFS_ATTR_MODE, 0600, 0, 0, 0);
         }},
        {"active-bad-validate", "validate", "UNLINK of a missing name",
         [](LogWriter &w, const Base &b) { w.unlink(w.branch("x"), b.f, kRoot, "nosuch"); }},
        {"child-of-bad", "branch=y,parent=x", "RENAME makes a cycle",
         [](LogWriter &w, const Base &b) {
             w.rename(w.branch("x"), b.d, kRoot, "d", b.sub, "inside");
         }},
    };
    return all;
}

} // namespace

std::vector<HostileCase> hostile_corpus(const std::string &workdir) {
    const Base base = make_base(workdir);
    std::vector<HostileCase> out;
    for (const Spec &s : specs()) {
        HostileCase c{s.name, s.mount, s.reason, base.image};
        LogWriter w(c.image);
        s.build(w, base);
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace testing_daxfs
