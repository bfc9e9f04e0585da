// daxfs-fsops run --seed S --ops N --procs P [--log FILE] DIR: a seeded random sequence of
// file operations on DIR, for differential tests (the same seed on a DAXFS branch and on
// tmpfs must give the same op log and the same tree, see tests/vm/branch-fsops-vs-tmpfs.sh).
//
// The N operations are split between P processes. Process I works in its own subtree
// DIR/fsops.pI (directories a, b, a/c, b/d, a/c/e, names f0..f9 in each) and on its share of
// the entries DIR held before the run (non-directories, grouped by inode so that hard links
// stay with one process, dealt out in sorted path order). No two processes touch the same
// name or inode, so the final tree does not depend on scheduling (directory mtimes aside).
//
// Operations: create (O_EXCL or not), mkdir, symlink, mknod (FIFO, socket; character and
// block devices of unused majors when root), link, unlink, rmdir (also of non-empty
// directories), rename (plain, RENAME_NOREPLACE, RENAME_EXCHANGE), pwrite at random offsets
// (also far past EOF: holes), O_APPEND writes, truncate up and down, O_TRUNC opens, chmod,
// chown (root), utimensat, fsync/fdatasync, MAP_SHARED writes, MAP_PRIVATE writes (must not
// reach the file), reads (hash of the bytes), lstat, readdir. FIFOs, sockets and devices are
// never opened. Each operation's outcome (0 or the errno name, with what it read) is one
// line of the log:  pI SEQ OP ARGS -> RESULT
// The log (per process, in process order) goes to FILE, default stdout.
//
// Exit status: 0 when every process ran its sequence (failed operations are expected and
// logged), 1 when a process died or could not start, 2 on a usage error.
#include "cli.hpp"
#include "rng.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace daxfs::test {
namespace {

std::string err_name(int err) {
    if (err == 0)
        return "0";
    const char *name = ::strerrordesc_np(err) ? ::strerrorname_np(err) : nullptr;
    return name ? name : "E" + std::to_string(err);
}

// FNV-1a, enough to tell contents apart in the log.
std::uint64_t fnv(const unsigned char *p, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ULL) {
    for (std::size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

// Bytes outside ' '..'~' and the backslash as \xHH, so that every log entry is one line.
std::string escape(std::string_view raw) {
    std::string out;
    for (unsigned char c : raw) {
        if (c >= ' ' && c <= '~' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof(buf), "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

std::string hex(std::uint64_t v) {
    char buf[20];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

constexpr std::array own_dirs = {"", "a/", "b/", "a/c/", "b/d/", "a/c/e/"};
constexpr std::array own_leaves = {"f0", "f1", "f2", "f3", "f4", "f5",
                                   "f6", "f7", "f8", "f9", "a",  "b"};
constexpr unsigned unused_major = 240; // 240..254: local/experimental use, no driver

class Worker {
  public:
    Worker(unsigned proc, std::uint64_t seed, std::vector<std::string> base, FILE *log)
        : proc_(proc), rng_(seed * 0x100000001b3ULL + proc * 0x9e3779b97f4a7c15ULL + 1),
          root_("fsops.p" + std::to_string(proc)), base_(std::move(base)), log_(log),
          is_root_(::geteuid() == 0) {}

    void run(std::uint64_t ops) {
        record("setup", root_, ::mkdir(root_.c_str(), 0755) == 0 ? 0 : errno);
        for (seq_ = 1; seq_ <= ops; seq_++)
            one_op();
    }

  private:
    // ---- names
    std::string own_leaf() {
        // Now and then a directory's name, as a file: ENOTDIR/EISDIR cases, but rarely, or
        // most paths below it would fail.
        std::size_t leaf = rng_.chance(4) ? own_leaves.size() - 1 - rng_.below(2)
                                          : rng_.below(own_leaves.size() - 2);
        return root_ + "/" + own_dirs[rng_.below(own_dirs.size())] + own_leaves[leaf];
    }
    std::string own_dir() { // never the subtree root itself
        std::string d = own_dirs[1 + rng_.below(own_dirs.size() - 1)];
        return root_ + "/" + d.substr(0, d.size() - 1);
    }
    std::string any_path() {
        if (!base_.empty() && rng_.chance(25))
            return base_[rng_.below(base_.size())];
        return rng_.chance(20) ? own_dir() : own_leaf();
    }
    std::string file_path() {
        if (!base_.empty() && rng_.chance(30))
            return base_[rng_.below(base_.size())];
        return own_leaf();
    }

    // ---- log
    void record(std::string_view op, const std::string &args, int err,
                const std::string &extra = {}) {
        std::fprintf(log_, "p%u %llu %.*s %s -> %s%s%s\n", proc_,
                     static_cast<unsigned long long>(seq_), static_cast<int>(op.size()), op.data(),
                     escape(args).c_str(), err_name(err).c_str(), extra.empty() ? "" : " ",
                     extra.c_str());
    }
    static int rc(int r) { return r == 0 ? 0 : errno; }

    // Opens PATH unless it is a FIFO, socket or device (returns -1 with *skip set then).
    int open_safe(const std::string &path, int flags, mode_t mode, bool *skip) {
        struct stat st {};
        *skip = false;
        if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
            !S_ISLNK(st.st_mode)) {
            *skip = true;
            return -1;
        }
        return ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode);
    }

    std::vector<unsigned char> pattern(std::size_t n) {
        std::vector<unsigned char> buf(n);
        std::uint64_t v = rng_.next();
        for (std::size_t i = 0; i < n; i++) {
            if (i % 8 == 0)
                v = v * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[i] = static_cast<unsigned char>(v >> (8 * (i % 8)));
        }
        return buf;
    }

    std::size_t write_len() {
        switch (rng_.below(4)) {
        case 0:
            return 1 + rng_.below(64);
        case 1:
            return 1 + rng_.below(4096);
        case 2:
            return 4096 * (1 + rng_.below(4));
        default:
            return 1 + rng_.below(65536);
        }
    }
    off_t write_offset(off_t size) {
        switch (rng_.below(5)) {
        case 0:
            return 0;
        case 1:
            return size; // at EOF
        case 2:
            return static_cast<off_t>(rng_.below(static_cast<std::uint64_t>(size) + 1));
        case 3:
            return size + static_cast<off_t>(rng_.below(65536)); // small hole
        default:
            return static_cast<off_t>(rng_.below(4u << 20)); // anywhere up to 4 MiB
        }
    }
    // The size of a regular file; 0 for anything else (directory sizes differ between
    // filesystems and must not steer the sequence).
    static off_t fd_size(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) != 0)
            return -1;
        return S_ISREG(st.st_mode) ? st.st_size : 0;
    }

    // ---- namespace operations
    void op_create() {
        std::string p = own_leaf();
        bool excl = rng_.chance(50);
        mode_t mode = static_cast<mode_t>(rng_.below(01000));
        bool skip;
        int fd = open_safe(p, O_CREAT | O_WRONLY | (excl ? O_EXCL : 0), mode, &skip);
        if (skip)
            return record("create", p, 0, "special");
        int err = fd < 0 ? errno : 0;
        if (fd >= 0)
            ::close(fd);
        record(excl ? "create-excl" : "create", p + " " + std::to_string(mode), err);
    }
    void op_mkdir() {
        std::string p = rng_.chance(60) ? own_dir() : own_leaf();
        mode_t mode = static_cast<mode_t>(0700 | rng_.below(01000));
        record("mkdir", p, rc(::mkdir(p.c_str(), mode)));
    }
    // Turns the first own directory path that is something else back into a directory (or
    // creates a missing one), so that the subtree does not stay a few files for good.
    void op_fixdir() {
        for (std::size_t i = 1; i < own_dirs.size(); i++) {
            std::string d = own_dirs[i];
            std::string p = root_ + "/" + d.substr(0, d.size() - 1);
            struct stat st {};
            if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
                continue;
            int err = 0;
            if (errno != ENOENT || ::lstat(p.c_str(), &st) == 0)
                err = rc(::unlink(p.c_str()));
            record("fixdir", p, err == 0 ? rc(::mkdir(p.c_str(), 0755)) : err);
            return;
        }
        record("fixdir", root_, 0, "all directories");
    }
    void op_symlink() {
        std::string p = own_leaf();
        static constexpr std::array targets = {"f0", "../f1",      "a/c", "/nonexistent/x",
                                               "",   "fsops.p0/f2"};
        std::string t = targets[rng_.below(targets.size())];
        if (t.empty())
            t = std::string(1 + rng_.below(200), 'x');
        record("symlink", p + " " + t, rc(::symlink(t.c_str(), p.c_str())));
    }
    void op_mknod() {
        std::string p = own_leaf();
        unsigned kind = static_cast<unsigned>(rng_.below(is_root_ ? 4 : 2));
        mode_t type = kind == 0 ? S_IFIFO : kind == 1 ? S_IFSOCK : kind == 2 ? S_IFCHR : S_IFBLK;
        dev_t dev = kind >= 2 ? ::makedev(unused_major + static_cast<unsigned>(rng_.below(15)),
                                          static_cast<unsigned>(rng_.below(1u << 20)))
                              : 0;
        mode_t mode = static_cast<mode_t>(rng_.below(01000));
        record("mknod", p + " " + std::to_string(type | mode) + " " + std::to_string(dev),
               rc(::mknod(p.c_str(), type | mode, dev)));
    }
    void op_link() {
        std::string from = file_path();
        std::string to = own_leaf();
        record("link", from + " " + to, rc(::link(from.c_str(), to.c_str())));
    }
    void op_unlink() {
        std::string p = file_path();
        record("unlink", p, rc(::unlink(p.c_str())));
    }
    void op_rmdir() {
        std::string p = rng_.chance(80) ? own_dir() : own_leaf();
        record("rmdir", p, rc(::rmdir(p.c_str())));
    }
    void op_rename() {
        static constexpr std::array names = {"rename", "rename-noreplace", "rename-exchange"};
        static constexpr std::array<unsigned, 3> flags = {0u, RENAME_NOREPLACE, RENAME_EXCHANGE};
        std::size_t k = rng_.below(3);
        std::string from = any_path();
        std::string to = rng_.chance(70) ? own_leaf() : any_path();
        record(names[k], from + " " + to,
               rc(::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags[k])));
    }

    // ---- data operations
    void op_write(bool append) {
        std::string p = file_path();
        bool skip;
        int fd = open_safe(p, O_RDWR | O_CREAT | (append ? O_APPEND : 0), 0644, &skip);
        if (skip)
            return record(append ? "append" : "pwrite", p, 0, "special");
        if (fd < 0)
            return record(append ? "append" : "pwrite", p, errno);
        off_t off = write_offset(fd_size(fd));
        auto buf = pattern(write_len());
        ssize_t n = append ? ::write(fd, buf.data(), buf.size())
                           : ::pwrite(fd, buf.data(), buf.size(), off);
        int err = n < 0 ? errno : 0;
        std::string args =
            p + (append ? "" : " @" + std::to_string(off)) + " " + std::to_string(buf.size());
        record(append ? "append" : "pwrite", args, err,
               "n=" + std::to_string(n) + " size=" + std::to_string(fd_size(fd)));
        ::close(fd);
    }
    void op_truncate() {
        std::string p = file_path();
        bool skip;
        int fd = open_safe(p, O_RDWR, 0, &skip);
        if (skip)
            return record("truncate", p, 0, "special");
        if (fd < 0)
            return record("truncate", p, errno);
        off_t size = fd_size(fd);
        off_t to = rng_.chance(50)
                       ? static_cast<off_t>(rng_.below(static_cast<std::uint64_t>(size) + 1))
                       : size + static_cast<off_t>(rng_.below(3u << 20));
        record("truncate", p + " " + std::to_string(to), rc(::ftruncate(fd, to)));
        ::close(fd);
    }
    void op_open_trunc() {
        std::string p = file_path();
        bool skip;
        int fd = open_safe(p, O_WRONLY | O_TRUNC, 0, &skip);
        if (skip)
            return record("open-trunc", p, 0, "special");
        int err = fd < 0 ? errno : 0;
        std::string extra = fd < 0 ? "" : "size=" + std::to_string(fd_size(fd));
        if (fd >= 0 && rng_.chance(50)) {
            auto buf = pattern(write_len());
            ssize_t n = ::write(fd, buf.data(), buf.size());
            extra += " wrote=" + (n < 0 ? err_name(errno) : std::to_string(n));
        }
        if (fd >= 0)
            ::close(fd);
        record("open-trunc", p, err, extra);
    }
    void op_read() {
        std::string p = file_path();
        bool skip;
        int fd = open_safe(p, O_RDONLY, 0, &skip);
        if (skip)
            return record("read", p, 0, "special");
        if (fd < 0)
            return record("read", p, errno);
        off_t size = fd_size(fd);
        off_t off = static_cast<off_t>(rng_.below(static_cast<std::uint64_t>(size) + 4097));
        std::vector<unsigned char> buf(1 + rng_.below(rng_.chance(20) ? (2u << 20) : 65536));
        ssize_t n = ::pread(fd, buf.data(), buf.size(), off);
        int err = n < 0 ? errno : 0;
        record("read", p + " @" + std::to_string(off) + " " + std::to_string(buf.size()), err,
               n < 0 ? ""
                     : "n=" + std::to_string(n) +
                           " h=" + hex(fnv(buf.data(), static_cast<std::size_t>(n))));
        ::close(fd);
    }
    void op_mmap_write(bool shared) {
        const char *name = shared ? "mmap-shared" : "mmap-private";
        std::string p = file_path();
        bool skip;
        int fd = open_safe(p, O_RDWR, 0, &skip);
        if (skip)
            return record(name, p, 0, "special");
        if (fd < 0)
            return record(name, p, errno);
        off_t size = fd_size(fd);
        if (size <= 0) {
            ::close(fd);
            return record(name, p, 0, "empty");
        }
        auto off = static_cast<off_t>(rng_.below(static_cast<std::uint64_t>(size)));
        std::size_t len = std::min<std::size_t>(write_len(), static_cast<std::size_t>(size - off));
        off_t map_off = off & ~static_cast<off_t>(4095);
        std::size_t map_len = static_cast<std::size_t>(off - map_off) + len;
        void *m = ::mmap(nullptr, map_len, PROT_READ | PROT_WRITE,
                         shared ? MAP_SHARED : MAP_PRIVATE, fd, map_off);
        std::string args = p + " @" + std::to_string(off) + " " + std::to_string(len);
        if (m == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            return record(name, args, err);
        }
        auto *bytes = static_cast<unsigned char *>(m) + (off - map_off);
        std::vector<unsigned char> before(len);
        ssize_t got = ::pread(fd, before.data(), len, off);
        auto buf = pattern(len);
        std::memcpy(bytes, buf.data(), len);
        std::string extra;
        if (shared && rng_.chance(50))
            extra = "msync=" + err_name(::msync(m, map_len, MS_SYNC) == 0 ? 0 : errno);
        ::munmap(m, map_len);
        std::vector<unsigned char> after(len);
        ssize_t n = ::pread(fd, after.data(), len, off);
        bool as_expected = n == static_cast<ssize_t>(len) && got == n &&
                           std::memcmp(after.data(), shared ? buf.data() : before.data(), len) == 0;
        extra += std::string(extra.empty() ? "" : " ") +
                 (as_expected ? "file-ok" : "FILE-WRONG n=" + std::to_string(n));
        ::close(fd);
        record(name, args, 0, extra);
    }
    void op_fsync() {
        std::string p = rng_.chance(20) ? own_dir() : file_path();
        bool skip;
        int fd = open_safe(p, O_RDONLY, 0, &skip);
        if (skip)
            return record("fsync", p, 0, "special");
        if (fd < 0)
            return record("fsync", p, errno);
        bool data = rng_.chance(50);
        int err = rc(data ? ::fdatasync(fd) : ::fsync(fd));
        ::close(fd);
        record(data ? "fdatasync" : "fsync", p, err);
    }

    // ---- attributes
    void op_chmod() {
        std::string p = any_path();
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
            return record("chmod", p, 0, "symlink"); // chmod would follow it
        mode_t mode = static_cast<mode_t>(rng_.below(010000));
        if (S_ISDIR(st.st_mode))
            mode |= 0700; // keep own directories usable
        record("chmod", p + " " + std::to_string(mode), rc(::chmod(p.c_str(), mode)));
    }
    void op_chown() {
        static constexpr std::array ids = {0u, 1u, 1000u, 65534u};
        std::string p = any_path();
        uid_t uid = ids[rng_.below(ids.size())];
        gid_t gid = ids[rng_.below(ids.size())];
        record("lchown", p + " " + std::to_string(uid) + " " + std::to_string(gid),
               rc(::lchown(p.c_str(), uid, gid)));
    }
    void op_utimes() {
        std::string p = any_path();
        struct timespec ts[2];
        for (auto &t : ts) {
            t.tv_sec = static_cast<time_t>(rng_.below(4000000000ULL));
            t.tv_nsec = static_cast<long>(rng_.below(1000000000));
        }
        int err = rc(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW));
        std::string extra;
        struct stat st {};
        if (err == 0 && ::lstat(p.c_str(), &st) == 0)
            extra = "mtime=" + std::to_string(st.st_mtim.tv_sec) + "." +
                    std::to_string(st.st_mtim.tv_nsec);
        record("utimes", p + " " + std::to_string(ts[1].tv_sec), err, extra);
    }
    void op_stat() {
        std::string p = any_path();
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0)
            return record("lstat", p, errno);
        char buf[160];
        std::snprintf(buf, sizeof(buf), "type=%o mode=%o uid=%u gid=%u nlink=%lu size=%lld",
                      static_cast<unsigned>(st.st_mode & S_IFMT) >> 12,
                      static_cast<unsigned>(st.st_mode & 07777), static_cast<unsigned>(st.st_uid),
                      static_cast<unsigned>(st.st_gid), static_cast<unsigned long>(st.st_nlink),
                      S_ISDIR(st.st_mode) ? 0LL : static_cast<long long>(st.st_size));
        std::string extra = buf;
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
            extra += " rdev=" + std::to_string(st.st_rdev);
        if (S_ISLNK(st.st_mode)) {
            std::string t(4097, '\0');
            ssize_t n = ::readlink(p.c_str(), t.data(), t.size());
            extra +=
                " target=" + (n < 0 ? err_name(errno)
                                    : hex(fnv(reinterpret_cast<const unsigned char *>(t.data()),
                                              static_cast<std::size_t>(n))));
        }
        record("lstat", p, 0, extra);
    }
    void op_readdir() {
        std::string p = rng_.chance(15) ? root_ : own_dir();
        DIR *d = ::opendir(p.c_str());
        if (!d)
            return record("readdir", p, errno);
        std::vector<std::string> names;
        errno = 0;
        while (struct dirent *e = ::readdir(d)) {
            names.emplace_back(e->d_name);
            errno = 0;
        }
        int err = errno;
        ::closedir(d);
        std::sort(names.begin(), names.end());
        std::string all;
        for (const auto &n : names)
            all += n + "/";
        record("readdir", p, err,
               "n=" + std::to_string(names.size()) + " h=" +
                   hex(fnv(reinterpret_cast<const unsigned char *>(all.data()), all.size())));
    }

    void one_op() {
        // Weights: data operations dominate, every kind of namespace change stays frequent.
        unsigned pick = static_cast<unsigned>(rng_.below(100));
        if (rng_.chance(3))
            op_fixdir();
        else if (pick < 8)
            op_create();
        else if (pick < 12)
            op_mkdir();
        else if (pick < 15)
            op_symlink();
        else if (pick < 18)
            op_mknod();
        else if (pick < 22)
            op_link();
        else if (pick < 27)
            op_unlink();
        else if (pick < 30)
            op_rmdir();
        else if (pick < 37)
            op_rename();
        else if (pick < 52)
            op_write(false);
        else if (pick < 57)
            op_write(true);
        else if (pick < 62)
            op_truncate();
        else if (pick < 65)
            op_open_trunc();
        else if (pick < 73)
            op_read();
        else if (pick < 78)
            op_mmap_write(true);
        else if (pick < 80)
            op_mmap_write(false);
        else if (pick < 82)
            op_fsync();
        else if (pick < 86)
            op_chmod();
        else if (pick < 89)
            is_root_ ? op_chown() : op_stat();
        else if (pick < 92)
            op_utimes();
        else if (pick < 97)
            op_stat();
        else
            op_readdir();
    }

    unsigned proc_;
    Rng rng_;
    std::string root_;
    std::vector<std::string> base_;
    FILE *log_;
    bool is_root_;
    std::uint64_t seq_ = 0;
};

// Non-directory entries under "." (the current directory = DIR) outside the fsops.* subtrees
// of earlier runs, grouped by inode, the groups in order of their first path. An inode that
// an earlier run linked into its subtree is left out (two processes would share it).
std::vector<std::vector<std::string>> base_groups() {
    std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> by_inode;
    std::vector<std::string> todo = {"."};
    while (!todo.empty()) {
        std::string dir = todo.back();
        todo.pop_back();
        DIR *d = ::opendir(dir.c_str());
        if (!d)
            continue;
        while (struct dirent *e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name == "." || name == "..")
                continue;
            std::string path = dir == "." ? name : dir + "/" + name;
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0)
                continue;
            if (S_ISDIR(st.st_mode))
                todo.push_back(path);
            else
                by_inode[{st.st_dev, st.st_ino}].push_back(path);
        }
        ::closedir(d);
    }
    std::vector<std::vector<std::string>> groups;
    for (auto &[key, paths] : by_inode) {
        std::sort(paths.begin(), paths.end());
        if (std::any_of(paths.begin(), paths.end(),
                        [](const std::string &p) { return p.rfind("fsops.", 0) == 0; }))
            continue;
        groups.push_back(std::move(paths));
    }
    std::sort(groups.begin(), groups.end());
    return groups;
}

int run(std::uint64_t seed, std::uint64_t ops, unsigned procs, const std::string &dir,
        const std::string &log_path) {
    FILE *out = log_path.empty() ? stdout : std::fopen(log_path.c_str(), "w");
    if (!out) {
        std::fprintf(stderr, "daxfs-fsops: %s: %s\n", log_path.c_str(), std::strerror(errno));
        return 1;
    }
    if (::chdir(dir.c_str()) != 0) {
        std::fprintf(stderr, "daxfs-fsops: %s: %s\n", dir.c_str(), std::strerror(errno));
        return 1;
    }
    ::umask(022);
    auto groups = base_groups();
    std::vector<std::vector<std::string>> shares(procs);
    for (std::size_t g = 0; g < groups.size(); g++)
        for (auto &p : groups[g])
            shares[g % procs].push_back(std::move(p));

    std::vector<std::string> logs;
    std::vector<pid_t> pids;
    for (unsigned i = 0; i < procs; i++) {
        char tmpl[] = "/tmp/daxfs-fsops-log.XXXXXX";
        int fd = ::mkstemp(tmpl);
        if (fd < 0) {
            std::perror("daxfs-fsops: mkstemp");
            return 1;
        }
        logs.emplace_back(tmpl);
        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid < 0) {
            std::perror("daxfs-fsops: fork");
            return 1;
        }
        if (pid == 0) {
            FILE *log = ::fdopen(fd, "w");
            Worker(i, seed, std::move(shares[i]), log).run(ops / procs + (i < ops % procs));
            std::fclose(log);
            std::_Exit(0);
        }
        ::close(fd);
        pids.push_back(pid);
    }
    int status = 0;
    for (unsigned i = 0; i < procs; i++) {
        int ws = 0;
        ::waitpid(pids[i], &ws, 0);
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
            std::fprintf(stderr, "daxfs-fsops: process %u %s %d\n", i,
                         WIFSIGNALED(ws) ? "killed by signal" : "exited",
                         WIFSIGNALED(ws) ? WTERMSIG(ws) : WEXITSTATUS(ws));
            status = 1;
        }
    }
    for (const auto &l : logs) {
        std::ifstream in(l, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            std::fwrite(line.data(), 1, line.size(), out);
            std::fputc('\n', out);
        }
        ::unlink(l.c_str());
    }
    if (out != stdout ? std::fclose(out) != 0 : std::fflush(out) != 0) {
        std::perror("daxfs-fsops: writing the log");
        return 1;
    }
    return status;
}

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Seeded random file operations for differential filesystem tests.", "daxfs-fsops"};
    app.require_subcommand(1);
    auto *cmd = app.add_subcommand("run", "Run the sequence of SEED on DIR");
    std::uint64_t seed = 1, ops = 1000;
    unsigned procs = 1;
    std::string dir, log;
    cmd->add_option("--seed", seed, "Seed of the sequence")->capture_default_str();
    cmd->add_option("--ops", ops, "Operations in total")->capture_default_str();
    cmd->add_option("--procs", procs, "Processes, each on its own subtree and share of DIR")
        ->check(CLI::Range(1u, 64u))
        ->capture_default_str();
    cmd->add_option("--log", log, "Write the op log here instead of stdout (must not be in DIR)");
    cmd->add_option("DIR", dir, "Directory to work in")->required();
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;
    return run(seed, ops, procs, dir, log);
}
