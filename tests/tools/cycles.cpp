// daxfs-cycles --phys P --size S --main MNT --work DIR --cycles N [--seed S] [--files F]
//              [--max-pages K] [--nested-every X] [--verify-every V] [--report-every R]
//              [--gc]: commits without end, checked. Each cycle creates a branch of main
// (mount(2) of daxfs with branch=,parent=main at DIR/b), changes the files under w/ of it
// (or --tree DIR) with seeded operations (rewrites whole and in part, appends, truncations,
// renames, deletions, new files, hard links, directories made and removed), commits it
// (DAXFS_IOC_COMMIT) and unmounts it. Every X cycles the changes go into a branch of that
// branch, and the child's commit makes both main. The changes are kept in a model in memory;
// every V cycles, and at the end, the tree under w/ of main, mounted at MNT all along (it
// follows commits and folds without a remount), must equal the model byte for byte.
//
// Every R cycles a line "cycle N used U live L written W" (delta pages in use, pages of
// live data, pages written so far); with --gc the end folds main now (DAXFS_IOC_FOLD on MNT)
// and prints what it did; the last line is a JSON summary. A difference exits 1, a usage
// error 2, a failed system call 3.
#include "cli.hpp"
#include "daxfs_ioctl.h"
#include "fd.hpp"
#include "rng.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace daxfs::test {
namespace {

constexpr std::size_t kPage = 4096;
using Bytes = std::vector<unsigned char>;

struct Options {
    std::string phys, size, main, work, tree = "w";
    std::uint64_t cycles = 0, seed = 1, files = 16, max_pages = 16;
    std::uint64_t nested_every = 10, verify_every = 100, report_every = 200;
    bool gc = false;
};

[[noreturn]] void sys_fail(const std::string &what) {
    throw std::system_error(errno, std::generic_category(), what);
}

struct Mismatch : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What w/ of main must hold: files (path -> bytes, hard links share an inode id) and dirs.
struct Model {
    std::map<std::string, std::uint64_t> names; // path -> inode id
    std::map<std::uint64_t, Bytes> inodes;
    std::set<std::string> dirs;
    std::uint64_t next_id = 1;
};

std::uint64_t live_pages(const Model &m) {
    std::uint64_t n = 0;
    for (const auto &[id, b] : m.inodes)
        n += (b.size() + kPage - 1) / kPage;
    return n;
}

Bytes read_all(const std::string &path) {
    Fd fd = open_at(AT_FDCWD, path, O_RDONLY);
    Bytes out;
    unsigned char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof(buf));
        if (n < 0)
            sys_fail("read " + path);
        if (n == 0)
            return out;
        out.insert(out.end(), buf, buf + n);
    }
}

void pwrite_all(const std::string &path, const Bytes &data, off_t off, bool trunc) {
    Fd fd = open_at(AT_FDCWD, path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), 0644);
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd.get(), data.data() + done, data.size() - done,
                             off + static_cast<off_t>(done));
        if (n <= 0)
            sys_fail("write " + path);
        done += static_cast<std::size_t>(n);
    }
}

Bytes pattern(Rng &rng, std::size_t len) {
    Bytes b(len);
    std::uint64_t v = rng.next();
    for (std::size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            v = v * 6364136223846793005ULL + 1442695040888963407ULL;
        b[i] = static_cast<unsigned char>(v >> (8 * (i % 8)));
    }
    return b;
}

class Cycles {
  public:
    explicit Cycles(const Options &o) : o_(o), rng_(o.seed) { m_.dirs.insert(o.tree); }

    int run();

  private:
    void mount_branch(const std::string &name, const std::string &parent, const std::string &at);
    void ioctl_on(const std::string &at, unsigned long cmd, void *arg, const char *what);
    void change(const std::string &root);
    void one(const std::string &root);
    void verify(std::uint64_t cycle);
    void walk(const std::string &rel, std::set<std::string> &dirs,
              std::map<std::string, Bytes> &files);
    std::uint64_t used_pages();

    std::string pick_name(const std::string &prefix) {
        return fmt::format("{}/f{}", pick_dir(), prefix + std::to_string(rng_.below(1000000)));
    }
    std::string pick_dir() {
        auto it = m_.dirs.begin();
        std::advance(it, static_cast<long>(rng_.below(m_.dirs.size())));
        return *it;
    }
    std::string pick_file() {
        auto it = m_.names.begin();
        std::advance(it, static_cast<long>(rng_.below(m_.names.size())));
        return it->first;
    }

    const Options &o_;
    Rng rng_;
    Model m_;
    std::uint64_t written_ = 0, max_used_ = 0, cycle_ = 0;
};

void Cycles::mount_branch(const std::string &name, const std::string &parent,
                          const std::string &at) {
    ::mkdir(at.c_str(), 0755);
    const std::string opts =
        fmt::format("phys={},size={},branch={},parent={}", o_.phys, o_.size, name, parent);
    if (::mount("daxfs", at.c_str(), "daxfs", 0, opts.c_str()))
        sys_fail("mount " + opts);
}

void Cycles::ioctl_on(const std::string &at, unsigned long cmd, void *arg, const char *what) {
    Fd fd = open_dir(AT_FDCWD, at);
    if (::ioctl(fd.get(), cmd, arg))
        sys_fail(fmt::format("{} on {} (cycle {})", what, at, cycle_));
}

// One operation on the tree under ROOT/, mirrored in the model.
void Cycles::one(const std::string &root) {
    std::uint64_t op = rng_.below(100);
    const std::size_t max_len = o_.max_pages * kPage;
    // The live data stays small however long the run: past 4x --files names, what would
    // add a name (a new file, a hard link) deletes one instead.
    if (m_.names.size() >= 4 * o_.files && (op < 8 || (op >= 90 && op < 94)))
        op = 85;
    if (m_.names.size() < o_.files || op < 8) { // a new file
        const std::string p = pick_name("n");
        if (m_.names.count(p))
            return;
        Bytes b = pattern(rng_, 1 + rng_.below(max_len));
        pwrite_all(root + "/" + p, b, 0, true);
        written_ += b.size();
        m_.names[p] = m_.next_id;
        m_.inodes[m_.next_id++] = std::move(b);
        return;
    }
    const std::string p = pick_file();
    Bytes &cur = m_.inodes[m_.names[p]];
    if (op < 45) { // rewrite whole
        Bytes b = pattern(rng_, 1 + rng_.below(max_len));
        pwrite_all(root + "/" + p, b, 0, true);
        written_ += b.size();
        cur = std::move(b);
    } else if (op < 65) { // overwrite a part (inside or past the end)
        const std::size_t off = rng_.below(cur.size() + kPage);
        Bytes b = pattern(rng_, 1 + rng_.below(2 * kPage));
        if (off + b.size() > max_len)
            return;
        pwrite_all(root + "/" + p, b, static_cast<off_t>(off), false);
        written_ += b.size();
        if (cur.size() < off + b.size())
            cur.resize(off + b.size(), 0);
        std::copy(b.begin(), b.end(), cur.begin() + static_cast<long>(off));
    } else if (op < 72) { // truncate
        const std::size_t len = rng_.below(cur.size() + kPage);
        if (::truncate((root + "/" + p).c_str(), static_cast<off_t>(len)))
            sys_fail("truncate " + p);
        cur.resize(len, 0);
    } else if (op < 82) { // rename, sometimes over another file
        const std::string q = rng_.chance(30) ? pick_file() : pick_name("r");
        if (q == p)
            return;
        if (::rename((root + "/" + p).c_str(), (root + "/" + q).c_str()))
            sys_fail("rename " + p + " " + q);
        // Two names of one inode: rename(2) does nothing, and both stay (POSIX).
        if (auto same = m_.names.find(q); same != m_.names.end() && same->second == m_.names[p])
            return;
        const std::uint64_t id = m_.names[p];
        m_.names.erase(p);
        m_.names[q] = id;
    } else if (op < 90) { // delete
        if (::unlink((root + "/" + p).c_str()))
            sys_fail("unlink " + p);
        m_.names.erase(p);
    } else if (op < 94) { // a hard link
        const std::string q = pick_name("l");
        if (m_.names.count(q))
            return;
        if (::link((root + "/" + p).c_str(), (root + "/" + q).c_str()))
            sys_fail("link " + p + " " + q);
        m_.names[q] = m_.names[p];
    } else if (op < 97 && m_.dirs.size() < 6) { // a directory
        const std::string d = fmt::format("{}/d{}", o_.tree, rng_.below(1000000));
        if (m_.dirs.count(d))
            return;
        if (::mkdir((root + "/" + d).c_str(), 0755))
            sys_fail("mkdir " + d);
        m_.dirs.insert(d);
    } else { // remove an empty directory
        for (const std::string &d : m_.dirs) {
            const bool empty =
                d != o_.tree && std::none_of(m_.names.begin(), m_.names.end(), [&](const auto &n) {
                    return n.first.rfind(d + "/", 0) == 0;
                });
            if (empty) {
                if (::rmdir((root + "/" + d).c_str()))
                    sys_fail("rmdir " + d);
                m_.dirs.erase(d);
                return;
            }
        }
    }
    // inodes without names are gone
    for (auto it = m_.inodes.begin(); it != m_.inodes.end();) {
        const std::uint64_t id = it->first;
        const bool named = std::any_of(m_.names.begin(), m_.names.end(),
                                       [&](const auto &n) { return n.second == id; });
        it = named ? std::next(it) : m_.inodes.erase(it);
    }
}

void Cycles::change(const std::string &root) {
    const std::uint64_t n = 1 + rng_.below(4);
    for (std::uint64_t i = 0; i < n; i++)
        one(root);
}

void Cycles::walk(const std::string &rel, std::set<std::string> &dirs,
                  std::map<std::string, Bytes> &files) {
    dirs.insert(rel);
    const std::string path = o_.main + "/" + rel;
    DIR *d = ::opendir(path.c_str());
    if (!d)
        sys_fail("opendir " + path);
    std::vector<std::pair<std::string, bool>> ents;
    while (dirent *e = ::readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..")
            ents.emplace_back(n, e->d_type == DT_DIR);
    }
    ::closedir(d);
    for (const auto &[n, is_dir] : ents) {
        if (is_dir)
            walk(rel + "/" + n, dirs, files);
        else
            files[rel + "/" + n] = read_all(o_.main + "/" + rel + "/" + n);
    }
}

void Cycles::verify(std::uint64_t cycle) {
    std::set<std::string> dirs;
    std::map<std::string, Bytes> files;
    walk(o_.tree, dirs, files);
    if (dirs != m_.dirs)
        throw Mismatch(fmt::format("cycle {}: main has {} directories under w/, the model {}",
                                   cycle, dirs.size(), m_.dirs.size()));
    for (const auto &[p, bytes] : files)
        if (!m_.names.count(p))
            throw Mismatch(fmt::format("cycle {}: main has {}, the model does not ({} files "
                                       "under w/, the model {})",
                                       cycle, p, files.size(), m_.names.size()));
    for (const auto &[p, id] : m_.names) {
        auto it = files.find(p);
        if (it == files.end())
            throw Mismatch(fmt::format("cycle {}: main lacks {}", cycle, p));
        const Bytes &want = m_.inodes.at(id);
        if (it->second != want) {
            const auto at =
                std::mismatch(it->second.begin(), it->second.end(), want.begin(), want.end());
            throw Mismatch(fmt::format("cycle {}: {} differs at byte {} (main {} bytes, model {})",
                                       cycle, p, at.first - it->second.begin(), it->second.size(),
                                       want.size()));
        }
    }
}

std::uint64_t Cycles::used_pages() {
    daxfs_ioc_info info{};
    ioctl_on(o_.main, DAXFS_IOC_INFO, &info, "DAXFS_IOC_INFO");
    const std::uint64_t meta = (info.delta_pages * 4 + kPage - 1) / kPage;
    return info.delta_pages - meta - info.free_pages;
}

int Cycles::run() {
    const std::string b = o_.work + "/b", c = o_.work + "/c";
    const auto start = std::chrono::steady_clock::now();
    for (cycle_ = 1; cycle_ <= o_.cycles; cycle_++) {
        const std::string name = fmt::format("c{}", cycle_);
        mount_branch(name, "main", b);
        const bool nested = o_.nested_every && cycle_ % o_.nested_every == 0;
        if (cycle_ == 1 && ::mkdir((b + "/" + o_.tree).c_str(), 0755) && errno != EEXIST)
            sys_fail("mkdir " + o_.tree);
        change(b);
        std::string top = b;
        if (nested) {
            mount_branch(name + "n", name, c);
            change(c);
            top = c;
        }
        ioctl_on(top, DAXFS_IOC_COMMIT, nullptr, "DAXFS_IOC_COMMIT");
        if (nested && ::umount(c.c_str()))
            sys_fail("umount " + c);
        if (::umount(b.c_str()))
            sys_fail("umount " + b);
        if (o_.verify_every && cycle_ % o_.verify_every == 0)
            verify(cycle_);
        const std::uint64_t used = used_pages();
        max_used_ = std::max(max_used_, used);
        if (o_.report_every && cycle_ % o_.report_every == 0) {
            fmt::print("cycle {} used {} live {} written {}\n", cycle_, used, live_pages(m_),
                       written_ / kPage);
            std::fflush(stdout); // progress shows as it comes, through a pipe too
        }
    }
    cycle_ = o_.cycles;
    verify(cycle_);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    daxfs_ioc_fold st{};
    if (o_.gc) {
        ioctl_on(o_.main, DAXFS_IOC_FOLD, &st, "DAXFS_IOC_FOLD");
        fmt::print("gc: fold slot {} records {} log_pages {} slots_freed {} pages_freed {} "
                   "runs {} pending {} ns {}\n",
                   st.fold_slot, st.records, st.log_pages, st.slots_freed, st.pages_freed, st.runs,
                   st.pending, st.ns);
        verify(cycle_);
    }
    fmt::print("{{\"cycles\": {}, \"seconds\": {:.1f}, \"written_pages\": {}, \"live_pages\": "
               "{}, \"used_pages\": {}, \"max_used_pages\": {}}}\n",
               o_.cycles, secs, written_ / kPage, live_pages(m_), used_pages(), max_used_);
    return 0;
}

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    Options o;
    CLI::App app{"daxfs-cycles: create, change, commit and unmount branches in a loop, with "
                 "main checked against a model"};
    app.add_option("--phys", o.phys, "phys= of the region")->required();
    app.add_option("--size", o.size, "size= of the region")->required();
    app.add_option("--main", o.main, "A mount of main, kept mounted")->required();
    app.add_option("--work", o.work, "A directory for the branch mount points")->required();
    app.add_option("--cycles", o.cycles, "Cycles")->required();
    app.add_option("--seed", o.seed, "Seed");
    app.add_option("--tree", o.tree, "The directory of main the cycles change (new, or empty)");
    app.add_option("--files", o.files,
                   "Files kept at least (and names at most 4x this: the live data stays small)");
    app.add_option("--max-pages", o.max_pages, "Largest file, in pages");
    app.add_option("--nested-every", o.nested_every, "Every X cycles a branch of the branch");
    app.add_option("--verify-every", o.verify_every, "Compare main with the model every V");
    app.add_option("--report-every", o.report_every, "Print the space used every R cycles");
    app.add_flag("--gc", o.gc, "Fold main at the end (DAXFS_IOC_FOLD)");
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    try {
        return Cycles(o).run();
    } catch (const Mismatch &e) {
        std::fprintf(stderr, "daxfs-cycles: MISMATCH: %s\n", e.what());
        return 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "daxfs-cycles: %s\n", e.what());
        return 3;
    }
}
