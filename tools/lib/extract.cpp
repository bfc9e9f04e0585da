// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/extract.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

#include "daxfs/devnum.hpp"
#include "daxfs/error.hpp"
#include "daxfs/fd.hpp"
#include "daxfs/validate.hpp"

namespace daxfs {

namespace {

class Extractor {
  public:
    Extractor(const Image &image, const ExtractOptions &opts)
        : image_(image), opts_(opts), root_(::geteuid() == 0) {}
    void run(const std::string &dir);

  private:
    void create(const daxfs_ino &in, const std::string &path);
    void write_file(const daxfs_ino &in, const std::string &path);
    void set_attrs(const daxfs_ino &in, const std::string &path);

    const Image &image_;
    const ExtractOptions &opts_;
    const bool root_;
    std::unordered_map<std::uint64_t, std::string> first_name_; // multiply-linked inodes
    std::vector<std::pair<daxfs_ino, std::string>> dirs_;
};

void Extractor::write_file(const daxfs_ino &in, const std::string &path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd)
        throw_sys(errno, "cannot create", path);
    auto data = image_.file_data(in);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_sys(errno, "cannot write", path);
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
}

void Extractor::set_attrs(const daxfs_ino &in, const std::string &path) {
    if (opts_.owners && ::lchown(path.c_str(), in.uid, in.gid) && (root_ || errno != EPERM))
        throw_sys(errno, "cannot chown", path);
    if (!S_ISLNK(in.mode) && ::chmod(path.c_str(), in.mode & 07777))
        throw_sys(errno, "cannot chmod", path);
    const struct timespec ts[2] = {
        {static_cast<time_t>(in.mtime), static_cast<long>(in.mtime_nsec)},
        {static_cast<time_t>(in.mtime), static_cast<long>(in.mtime_nsec)}};
    if (::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW))
        throw_sys(errno, "cannot set times of", path);
}

void Extractor::create(const daxfs_ino &in, const std::string &path) {
    if (!S_ISDIR(in.mode) && in.nlink > 1) {
        auto [it, fresh] = first_name_.try_emplace(in.ino, path);
        if (!fresh) {
            if (::link(it->second.c_str(), path.c_str()))
                throw_sys(errno, "cannot link", path);
            return;
        }
    }
    int rc = 0;
    switch (in.mode & S_IFMT) {
    case S_IFDIR:
        rc = ::mkdir(path.c_str(), 0700);
        dirs_.emplace_back(in, path);
        break;
    case S_IFREG:
        write_file(in, path);
        break;
    case S_IFLNK:
        rc = ::symlink(std::string(image_.link_target(in)).c_str(), path.c_str());
        break;
    case S_IFCHR:
    case S_IFBLK:
        rc = ::mknod(path.c_str(), (in.mode & S_IFMT) | 0600, decode_dev(in.rdev));
        break;
    case S_IFIFO:
        rc = ::mkfifo(path.c_str(), 0600);
        break;
    case S_IFSOCK:
        rc = ::mknod(path.c_str(), S_IFSOCK | 0600, 0);
        break;
    }
    if (rc && errno == EPERM && !root_ && opts_.warn && (S_ISCHR(in.mode) || S_ISBLK(in.mode))) {
        opts_.warn(fmt::format("'{}': device node not created (needs root)", path));
        return;
    }
    if (rc)
        throw_sys(errno, "cannot create", path);
    if (!S_ISDIR(in.mode))
        set_attrs(in, path);
}

void Extractor::run(const std::string &dir) {
    Validation v = validate_image(image_.region());
    if (!v.ok)
        throw Error(v.err, "invalid image: " + v.message);
    if (::mkdir(dir.c_str(), 0700) && errno != EEXIST)
        throw_sys(errno, "cannot create", dir);
    dirs_.emplace_back(image_.root(), dir);
    // Directories are created before their contents and get their attributes last, so
    // read-only modes and mtimes survive the creation of their entries.
    for (std::size_t d = 0; d < dirs_.size(); d++) {
        const daxfs_ino in = dirs_[d].first;
        const std::string path = dirs_[d].second;
        const std::uint64_t count = image_.entry_count(in);
        for (std::uint64_t i = 0; i < count; i++) {
            const Dirent de = image_.entry(in, i);
            create(image_.child(de), path + "/" + std::string(de.name));
        }
    }
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it)
        set_attrs(it->first, it->second);
}

} // namespace

void extract_image(const Image &image, const std::string &dir, const ExtractOptions &opts) {
    Extractor(image, opts).run(dir);
}

} // namespace daxfs
