// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "describe.hpp"

#include <cerrno>
#include <ctime>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "daxfs/devnum.hpp"

namespace inspect {

std::string mode_string(std::uint32_t mode) {
    std::string s = "?rwxrwxrwx";
    switch (mode & S_IFMT) {
    case S_IFREG:
        s[0] = '-';
        break;
    case S_IFDIR:
        s[0] = 'd';
        break;
    case S_IFLNK:
        s[0] = 'l';
        break;
    case S_IFCHR:
        s[0] = 'c';
        break;
    case S_IFBLK:
        s[0] = 'b';
        break;
    case S_IFIFO:
        s[0] = 'p';
        break;
    case S_IFSOCK:
        s[0] = 's';
        break;
    }
    for (int i = 0; i < 9; i++)
        if (!(mode & (1u << (8 - i))))
            s[static_cast<std::size_t>(i) + 1] = '-';
    auto special = [&](std::size_t at, std::uint32_t bit, char set, char unset_x) {
        if (mode & bit)
            s[at] = s[at] == 'x' ? set : unset_x;
    };
    special(3, S_ISUID, 's', 'S');
    special(6, S_ISGID, 's', 'S');
    special(9, S_ISVTX, 't', 'T');
    return s;
}

std::string errno_name(int err) {
    switch (err) {
    case 0:
        return "OK";
    case EINVAL:
        return "EINVAL";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case EUCLEAN:
        return "EUCLEAN";
    case ENOMEM:
        return "ENOMEM";
    case ENOENT:
        return "ENOENT";
    case ENOTDIR:
        return "ENOTDIR";
    default:
        return fmt::format("errno {}", err);
    }
}

std::string uuid_string(const std::uint8_t (&u)[16]) {
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-"
                       "{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
                       u[12], u[13], u[14], u[15]);
}

namespace {

const char *type_name(std::uint32_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "file";
    case S_IFDIR:
        return "directory";
    case S_IFLNK:
        return "symlink";
    case S_IFCHR:
        return "char";
    case S_IFBLK:
        return "block";
    case S_IFIFO:
        return "fifo";
    case S_IFSOCK:
        return "socket";
    }
    return "unknown";
}

} // namespace

nlohmann::json inode_json(const daxfs::Image &image, const daxfs_ino &in) {
    nlohmann::json j = {{"ino", in.ino},
                        {"type", type_name(in.mode)},
                        {"mode", fmt::format("{:04o}", in.mode & 07777)},
                        {"nlink", in.nlink},
                        {"uid", in.uid},
                        {"gid", in.gid},
                        {"size", in.size},
                        {"data", in.data},
                        {"mtime", in.mtime},
                        {"mtime_nsec", in.mtime_nsec},
                        {"ctime", in.ctime},
                        {"ctime_nsec", in.ctime_nsec}};
    if (S_ISCHR(in.mode) || S_ISBLK(in.mode)) {
        dev_t dev = daxfs::decode_dev(in.rdev);
        j["rdev_major"] = major(dev);
        j["rdev_minor"] = minor(dev);
    }
    if (S_ISDIR(in.mode)) {
        j["parent"] = in.parent;
        j["entries"] = image.entry_count(in);
    }
    if (S_ISLNK(in.mode))
        j["target"] = std::string(image.link_target(in));
    return j;
}

std::string long_line(const daxfs::Image &image, const daxfs_ino &in, std::string_view name) {
    char when[32] = "?";
    const time_t t = static_cast<time_t>(in.mtime);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        std::strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
    std::string size;
    if (S_ISCHR(in.mode) || S_ISBLK(in.mode)) {
        dev_t dev = daxfs::decode_dev(in.rdev);
        size = fmt::format("{}, {}", major(dev), minor(dev));
    } else {
        size = fmt::format("{}", in.size);
    }
    std::string line = fmt::format("{} {:>3} {:>5} {:>5} {:>10} {} {}", mode_string(in.mode),
                                   in.nlink, in.uid, in.gid, size, when, name);
    if (S_ISLNK(in.mode))
        line += fmt::format(" -> {}", image.link_target(in));
    return line;
}

} // namespace inspect
