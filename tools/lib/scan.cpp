// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/scan.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

#include "daxfs/devnum.hpp"
#include "daxfs/error.hpp"
#include "daxfs_format.h"

namespace daxfs {

namespace {

struct DevIno {
    dev_t dev;
    ino_t ino;
    bool operator==(const DevIno &) const = default;
};

struct DevInoHash {
    std::size_t operator()(const DevIno &k) const noexcept {
        return std::hash<std::uint64_t>()(static_cast<std::uint64_t>(k.ino) * 0x9e3779b97f4a7c15u ^
                                          static_cast<std::uint64_t>(k.dev));
    }
};

class DirCloser {
  public:
    explicit DirCloser(DIR *d) : d_(d) {}
    ~DirCloser() { ::closedir(d_); }
    DirCloser(const DirCloser &) = delete;
    DirCloser &operator=(const DirCloser &) = delete;

  private:
    DIR *d_;
};

class Scanner {
  public:
    Scanner(const ScanOptions &opts) : opts_(opts) {}
    Tree run(const std::string &root);

  private:
    void scan_dir(std::uint32_t dir, const std::string &path);
    std::uint32_t add_node(int dirfd, const char *name, const std::string &path,
                           const struct stat &st);
    Timestamp clamp(const struct timespec &ts) const;

    const ScanOptions &opts_;
    Tree tree_;
    std::unordered_map<DevIno, std::uint32_t, DevInoHash> links_;
    std::deque<std::pair<std::uint32_t, std::string>> pending_; // directories to read
};

Timestamp Scanner::clamp(const struct timespec &ts) const {
    if (opts_.clamp_time && ts.tv_sec >= *opts_.clamp_time)
        return {*opts_.clamp_time, 0};
    return {ts.tv_sec, static_cast<std::uint32_t>(ts.tv_nsec)};
}

std::uint32_t Scanner::add_node(int dirfd, const char *name, const std::string &path,
                                const struct stat &st) {
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto [it, fresh] = links_.try_emplace(DevIno{st.st_dev, st.st_ino},
                                              static_cast<std::uint32_t>(tree_.nodes.size()));
        if (!fresh)
            return it->second;
    }
    if (tree_.nodes.size() >= UINT32_MAX - 1)
        throw Error(EFBIG, fmt::format("too many inodes (the format holds {})", UINT32_MAX - 1));
    Node n;
    n.mode = st.st_mode & (S_IFMT | 07777);
    n.uid = st.st_uid;
    n.gid = st.st_gid;
    n.mtime = clamp(st.st_mtim);
    n.ctime = clamp(st.st_ctim);
    switch (st.st_mode & S_IFMT) {
    case S_IFREG:
        n.size = static_cast<std::uint64_t>(st.st_size);
        n.source.path = path;
        if (n.size && ::faccessat(dirfd, name, R_OK, AT_EACCESS))
            throw_sys(errno, "cannot read", path);
        break;
    case S_IFLNK: {
        char buf[DAXFS_SYMLINK_MAX + 2];
        ssize_t len = ::readlinkat(dirfd, name, buf, sizeof(buf));
        if (len < 0)
            throw_sys(errno, "cannot read", path);
        if (len > DAXFS_SYMLINK_MAX)
            throw Error(ENAMETOOLONG, fmt::format("symlink '{}': target longer than {} bytes", path,
                                                  DAXFS_SYMLINK_MAX));
        n.target.assign(buf, static_cast<std::size_t>(len));
        n.size = n.target.size();
        break;
    }
    case S_IFCHR:
    case S_IFBLK:
        n.rdev = encode_dev(st.st_rdev);
        break;
    case S_IFDIR:
    case S_IFIFO:
    case S_IFSOCK:
        break;
    default:
        throw Error(EINVAL, fmt::format("'{}': unknown file type", path));
    }
    auto index = static_cast<std::uint32_t>(tree_.nodes.size());
    tree_.nodes.push_back(std::move(n));
    if (S_ISDIR(st.st_mode))
        pending_.emplace_back(index, path);
    return index;
}

void Scanner::scan_dir(std::uint32_t dir, const std::string &path) {
    DIR *d = ::opendir(path.c_str());
    if (!d)
        throw_sys(errno, "cannot read", path);
    DirCloser closer(d);
    std::vector<Entry> entries;
    const int fd = ::dirfd(d);
    for (;;) {
        errno = 0;
        struct dirent *de = ::readdir(d);
        if (!de) {
            if (errno)
                throw_sys(errno, "cannot read", path);
            break;
        }
        std::string_view name(de->d_name);
        if (name == "." || name == "..")
            continue;
        std::string child = path == "/" ? "/" + std::string(name) : path + "/" + std::string(name);
        if (name.size() > DAXFS_NAME_MAX)
            throw Error(ENAMETOOLONG,
                        fmt::format("'{}': name longer than {} bytes", child, DAXFS_NAME_MAX));
        struct stat st;
        if (::fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
            throw_sys(errno, "cannot read", child);
        if (opts_.exclude && opts_.exclude->first == st.st_dev &&
            opts_.exclude->second == st.st_ino)
            continue;
        std::uint32_t node = add_node(fd, de->d_name, child, st);
        entries.push_back({std::string(name), node});
    }
    sort_entries(entries);
    tree_.nodes[dir].entries = std::move(entries);
}

Tree Scanner::run(const std::string &root) {
    struct stat st;
    if (::lstat(root.c_str(), &st))
        throw_sys(errno, "cannot read", root);
    if (!S_ISDIR(st.st_mode))
        throw Error(ENOTDIR, fmt::format("'{}' is not a directory", root));
    add_node(AT_FDCWD, root.c_str(), root, st);
    while (!pending_.empty()) {
        auto [dir, path] = std::move(pending_.front());
        pending_.pop_front();
        scan_dir(dir, path);
    }
    return std::move(tree_);
}

} // namespace

std::optional<std::int64_t> source_date_epoch() {
    const char *s = std::getenv("SOURCE_DATE_EPOCH");
    if (!s || !*s)
        return std::nullopt;
    std::int64_t v = 0;
    std::string_view sv(s);
    auto [end, ec] = std::from_chars(sv.data(), sv.data() + sv.size(), v);
    if (ec != std::errc() || end != sv.data() + sv.size())
        throw Error(EINVAL, fmt::format("SOURCE_DATE_EPOCH '{}' is not a number of seconds", sv));
    return v;
}

Tree scan_tree(const std::string &root, const ScanOptions &opts) { return Scanner(opts).run(root); }

} // namespace daxfs
