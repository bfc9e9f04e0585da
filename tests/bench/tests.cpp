// SPDX-License-Identifier: GPL-2.0 OR MIT
// The timed tests. Each one does the same work on both targets, with the same file list
// and the same random sequence; repetitions alternate which target goes first.
#include "bench.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace bench {
namespace {

constexpr std::size_t kPage = 4096;
constexpr double kMiB = 1024.0 * 1024.0;

// Keeps the compiler from dropping loads whose values nobody reads.
volatile std::uint64_t g_sink;

// An owned file descriptor.
Fd open_at(int dirfd, const std::string &path, int flags, const std::string &shown) {
    int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno_msg(shown + "/" + path));
    return Fd(fd);
}

Fd open_root(const Target &t) {
    int fd = ::open(t.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw Error(errno_msg(t.root.string()));
    return Fd(fd);
}

// A page-aligned buffer.
struct Buffer {
    struct Free {
        void operator()(char *q) const { std::free(q); }
    };
    explicit Buffer(std::size_t n) : size(n), p(static_cast<char *>(std::aligned_alloc(kPage, n))) {
        if (!p)
            throw Error("out of memory");
        std::memset(p.get(), 0, n);
    }
    std::size_t size;
    std::unique_ptr<char, Free> p;
    char *data() const { return p.get(); }
};

std::uint64_t read_whole(int fd, const Buffer &buf, const std::string &shown) {
    std::uint64_t total = 0;
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size);
        if (n < 0)
            throw Error(errno_msg("read " + shown));
        if (n == 0)
            return total;
        total += static_cast<std::uint64_t>(n);
    }
}

// Sequential read() of every large file in blocks of BS bytes.
std::int64_t seq_read(const Tree &tree, const Target &t, std::size_t bs) {
    Buffer buf(bs);
    Fd root = open_root(t);
    std::uint64_t total = 0;
    const std::int64_t t0 = now_ns();
    for (const Tree::File &f : tree.large) {
        Fd fd = open_at(root.get(), f.path, O_RDONLY, t.root.string());
        total += read_whole(fd.get(), buf, f.path);
    }
    const std::int64_t t1 = now_ns();
    if (total != tree.large_bytes)
        throw Error(t.name + ": read " + std::to_string(total) +
                    " bytes of large files, expected " + std::to_string(tree.large_bytes));
    return t1 - t0;
}

struct RandomRead {
    std::uint32_t file;
    std::uint64_t offset;
};

std::vector<RandomRead> random_reads(const Tree &tree, std::uint64_t ops, std::uint64_t seed) {
    // Pick a page uniformly over all large-file pages, so every byte is equally likely.
    std::vector<std::uint64_t> first_page;
    std::uint64_t pages = 0;
    for (const Tree::File &f : tree.large) {
        first_page.push_back(pages);
        pages += f.size / kPage;
    }
    if (pages == 0)
        throw Error("large files are smaller than a page");
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::uint64_t> dist(0, pages - 1);
    std::vector<RandomRead> out;
    out.reserve(ops);
    for (std::uint64_t i = 0; i < ops; i++) {
        const std::uint64_t p = dist(rng);
        const auto it = std::upper_bound(first_page.begin(), first_page.end(), p) - 1;
        const auto file = static_cast<std::uint32_t>(it - first_page.begin());
        out.push_back({file, (p - *it) * kPage});
    }
    return out;
}

// pread() of 4 KiB at random page-aligned offsets; files are opened before the clock starts.
std::int64_t rand_read(const Tree &tree, const Target &t, const std::vector<RandomRead> &ops) {
    Buffer buf(kPage);
    Fd root = open_root(t);
    std::vector<Fd> fds;
    for (const Tree::File &f : tree.large)
        fds.push_back(open_at(root.get(), f.path, O_RDONLY, t.root.string()));
    const std::int64_t t0 = now_ns();
    for (const RandomRead &r : ops) {
        if (::pread(fds[r.file].get(), buf.data(), kPage, static_cast<off_t>(r.offset)) !=
            static_cast<ssize_t>(kPage))
            throw Error(errno_msg(t.name + ": pread " + tree.large[r.file].path));
    }
    return now_ns() - t0;
}

enum class MapAccess { touch, copy };

// mmap() every large file read-only and shared, then either load one byte of every page
// (the cost is the page faults) or memcpy() the whole mapping out in 1 MiB pieces.
std::int64_t mmap_read(const Tree &tree, const Target &t, MapAccess how) {
    Buffer buf(1 << 20);
    Fd root = open_root(t);
    std::uint64_t sum = 0;
    const std::int64_t t0 = now_ns();
    for (const Tree::File &f : tree.large) {
        Fd fd = open_at(root.get(), f.path, O_RDONLY, t.root.string());
        void *m = ::mmap(nullptr, f.size, PROT_READ, MAP_SHARED, fd.get(), 0);
        if (m == MAP_FAILED)
            throw Error(errno_msg(t.name + ": mmap " + f.path));
        const auto *p = static_cast<const volatile unsigned char *>(m);
        if (how == MapAccess::touch) {
            for (std::uint64_t off = 0; off < f.size; off += kPage)
                sum += p[off];
        } else {
            for (std::uint64_t off = 0; off < f.size; off += buf.size) {
                const std::size_t n = std::min<std::uint64_t>(buf.size, f.size - off);
                std::memcpy(buf.data(), static_cast<const char *>(m) + off, n);
                sum += static_cast<unsigned char>(buf.data()[n - 1]);
            }
        }
        ::munmap(m, f.size);
    }
    const std::int64_t t1 = now_ns();
    g_sink = sum;
    return t1 - t0;
}

// lstat() of every path of the tree, relative to the root.
std::int64_t stat_all(const Tree &tree, const Target &t) {
    Fd root = open_root(t);
    struct stat st {};
    const std::int64_t t0 = now_ns();
    for (const std::string &p : tree.entries)
        if (::fstatat(root.get(), p.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw Error(errno_msg(t.name + ": stat " + p));
    return now_ns() - t0;
}

// Entries of one directory through getdents64, "." and ".." included.
std::uint64_t count_dir(int fd, char *buf, std::size_t len, const std::string &shown) {
    std::uint64_t n = 0;
    for (;;) {
        long got = ::syscall(SYS_getdents64, fd, buf, len);
        if (got < 0)
            throw Error(errno_msg("getdents64 " + shown));
        if (got == 0)
            return n;
        for (long off = 0; off < got;) {
            unsigned short reclen;
            std::memcpy(&reclen, buf + off + 16, sizeof(reclen)); // d_reclen of linux_dirent64
            off += reclen;
            n++;
        }
    }
}

// open + getdents64 until the end + close, for every directory of the tree.
std::int64_t readdir_all(const Tree &tree, const Target &t, std::uint64_t *entries) {
    Buffer buf(32768);
    Fd root = open_root(t);
    std::uint64_t n = 0;
    const std::int64_t t0 = now_ns();
    for (const std::string &d : tree.dirs) {
        Fd fd = open_at(root.get(), d, O_RDONLY | O_DIRECTORY, t.root.string());
        n += count_dir(fd.get(), buf.data(), buf.size, d);
    }
    const std::int64_t t1 = now_ns();
    if (entries)
        *entries = n;
    return t1 - t0;
}

// lstat() of names of the big directory, relative to an open fd of it.
std::int64_t lookup(const Tree &tree, const Target &t, const std::vector<std::uint32_t> &order) {
    Fd root = open_root(t);
    Fd dir = open_at(root.get(), tree.big_dir, O_RDONLY | O_DIRECTORY, t.root.string());
    struct stat st {};
    const std::int64_t t0 = now_ns();
    for (std::uint32_t i : order)
        if (::fstatat(dir.get(), tree.big_names[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw Error(errno_msg(t.name + ": stat " + tree.big_dir + "/" + tree.big_names[i]));
    return now_ns() - t0;
}

// Every name once in a random order, repeated until OPS lookups.
std::vector<std::uint32_t> lookup_order(std::size_t names, std::uint64_t ops, std::uint64_t seed) {
    std::vector<std::uint32_t> perm(names);
    for (std::size_t i = 0; i < names; i++)
        perm[i] = static_cast<std::uint32_t>(i);
    std::mt19937_64 rng(seed);
    std::vector<std::uint32_t> out;
    out.reserve(ops);
    while (out.size() < ops) {
        std::shuffle(perm.begin(), perm.end(), rng);
        const std::size_t take = std::min<std::size_t>(perm.size(), ops - out.size());
        out.insert(out.end(), perm.begin(), perm.begin() + static_cast<std::ptrdiff_t>(take));
    }
    return out;
}

// Drops unused dentries and inodes. tmpfs pins its dentries, so only DAXFS loses them:
// this measures DAXFS's own lookup/iget instead of the dcache both share.
bool drop_dentries() {
    int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, "2", 1) == 1;
    ::close(fd);
    return ok;
}

struct Test {
    std::string name, what, unit;
    double work;                                     // MiB or kops per repetition
    std::function<std::int64_t(const Target &)> run; // returns elapsed ns
    bool cold = false;                               // drop dentries before each sample
    std::string note;
};

std::string mib_str(std::uint64_t bytes) {
    return std::to_string((bytes + (1 << 19)) >> 20) + " MiB";
}

} // namespace

std::int64_t median(std::vector<std::int64_t> v) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::vector<Result> run_all(const Tree &tree, const Target &base, const Target &subject,
                            const RunOptions &opt) {
    const auto rnd = random_reads(tree, opt.rand_ops, opt.seed);
    const auto order = lookup_order(tree.big_names.size(), opt.lookup_ops, opt.seed + 1);
    const std::string files = std::to_string(tree.large.size()) + " files, ";
    const double large_mib = static_cast<double>(tree.large_bytes) / kMiB;
    const double nentries = static_cast<double>(tree.entries.size()) / 1000.0;
    const double ndirs = static_cast<double>(tree.dirs.size()) / 1000.0;
    const double nlookup = static_cast<double>(order.size()) / 1000.0;
    const std::string big =
        "in " + tree.big_dir + " (" + std::to_string(tree.big_names.size()) + " entries)";

    std::vector<Test> tests;
    auto add = [&tests](std::string name, std::string what, std::string unit, double work,
                        std::function<std::int64_t(const Target &)> run, bool cold = false,
                        std::string note = {}) {
        tests.push_back({std::move(name), std::move(what), std::move(unit), work, std::move(run),
                         cold, std::move(note)});
    };
    add("seq-read-4k", files + mib_str(tree.large_bytes), "MiB/s", large_mib,
        [&](const Target &t) { return seq_read(tree, t, 4096); });
    add("seq-read-1m", files + mib_str(tree.large_bytes), "MiB/s", large_mib,
        [&](const Target &t) { return seq_read(tree, t, 1 << 20); });
    add("rand-read-4k", std::to_string(rnd.size()) + " preads", "MiB/s",
        static_cast<double>(rnd.size() * kPage) / kMiB,
        [&](const Target &t) { return rand_read(tree, t, rnd); });
    add("mmap-touch", files + mib_str(tree.large_bytes), "MiB/s", large_mib,
        [&](const Target &t) { return mmap_read(tree, t, MapAccess::touch); });
    add("mmap-memcpy", files + mib_str(tree.large_bytes), "MiB/s", large_mib,
        [&](const Target &t) { return mmap_read(tree, t, MapAccess::copy); });
    add("stat-all", std::to_string(tree.entries.size()) + " paths", "kop/s", nentries,
        [&](const Target &t) { return stat_all(tree, t); });
    add("readdir-all", std::to_string(tree.dirs.size()) + " dirs", "kop/s", ndirs,
        [&](const Target &t) { return readdir_all(tree, t, nullptr); });
    add("lookup", std::to_string(order.size()) + " stats " + big, "kop/s", nlookup,
        [&](const Target &t) { return lookup(tree, t, order); });
    if (opt.cold) {
        if (drop_dentries()) {
            const std::string why =
                "dentries and inodes dropped before each sample: DAXFS does its own lookup "
                "(binary search) and inode read;\n  tmpfs pins its dentries, so its figure is "
                "the warm one: shown for DAXFS's cold cost, not a like-for-like ratio";
            add(
                "stat-all-cold", std::to_string(tree.entries.size()) + " paths", "kop/s", nentries,
                [&](const Target &t) { return stat_all(tree, t); }, true, why);
            // One pass, each name once: a second pass would hit the dentries of the first.
            const std::size_t once = std::min(order.size(), tree.big_names.size());
            const std::vector<std::uint32_t> first(
                order.begin(), order.begin() + static_cast<std::ptrdiff_t>(once));
            add(
                "lookup-cold", std::to_string(once) + " stats " + big, "kop/s",
                static_cast<double>(once) / 1000.0,
                [&tree, first](const Target &t) { return lookup(tree, t, first); }, true, why);
        } else {
            std::cerr << "daxfs-bench: cannot write /proc/sys/vm/drop_caches: "
                         "skipping the cold tests\n";
        }
    }

    std::vector<Result> results;
    for (const Test &test : tests) {
        std::cerr << "daxfs-bench: " << test.name << " (" << test.what << ")" << std::endl;
        Result r{test.name, test.what, test.unit, test.work, {}, {}, test.note};
        if (!test.cold) { // one untimed pass each: instantiate inodes, fault in libc, ...
            test.run(base);
            test.run(subject);
        }
        for (int rep = 0; rep < opt.reps; rep++) {
            const bool base_first = rep % 2 == 0;
            for (int k = 0; k < 2; k++) {
                const bool is_base = (k == 0) == base_first;
                if (test.cold)
                    drop_dentries();
                const std::int64_t ns = test.run(is_base ? base : subject);
                (is_base ? r.base_ns : r.subject_ns).push_back(ns);
            }
        }
        results.push_back(std::move(r));
    }
    return results;
}

void verify_same(const Tree &tree, const Target &base, const Target &subject) {
    // Same directory entry counts everywhere, and every path of the baseline exists.
    std::uint64_t nb = 0, ns = 0;
    readdir_all(tree, base, &nb);
    readdir_all(tree, subject, &ns);
    if (nb != ns)
        throw Error("directories differ: " + base.name + " lists " + std::to_string(nb) +
                    " entries, " + subject.name + " " + std::to_string(ns));
    stat_all(tree, subject);

    // Same bytes in every large file.
    Buffer a(1 << 20), b(1 << 20);
    Fd rb = open_root(base), rs = open_root(subject);
    for (const Tree::File &f : tree.large) {
        Fd fa = open_at(rb.get(), f.path, O_RDONLY, base.root.string());
        Fd fb = open_at(rs.get(), f.path, O_RDONLY, subject.root.string());
        for (std::uint64_t off = 0;;) {
            const ssize_t na = ::read(fa.get(), a.data(), a.size);
            const ssize_t nbytes = ::read(fb.get(), b.data(), b.size);
            if (na < 0 || nbytes < 0)
                throw Error(errno_msg("read " + f.path));
            if (na != nbytes || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(na)))
                throw Error(f.path + ": content differs between " + base.name + " and " +
                            subject.name + " in the MiB at offset " + std::to_string(off));
            if (na == 0)
                break;
            off += static_cast<std::uint64_t>(na);
        }
    }
}

} // namespace bench
