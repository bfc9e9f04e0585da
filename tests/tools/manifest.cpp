// daxfs-manifest ROOT [--mmap]: prints one line per path under ROOT, sorted bytewise, so
// that `diff` compares a source tree with a mounted image (on the host or in a guest):
//
//   PATH TYPE MODE UID GID SIZE MTIME NLINK TARGET RDEV SHA256
//
// PATH is relative to ROOT ("." for ROOT itself); TYPE one of f d l c b p s; MODE the
// permission bits in octal; SIZE "-" for directories (their size is filesystem specific);
// MTIME seconds.nanoseconds; TARGET the symlink target, RDEV major:minor of a device, and
// SHA256 the content hash of a regular file ("-" where a field does not apply). PATH and
// TARGET escape bytes outside '!'..'~' and the backslash as \xHH. Contents are read with
// read(2), or with --mmap through MAP_PRIVATE and MAP_SHARED mappings, or with --all both
// ways (the line shows the read() hash; a mapping that differs is an error).
//
// A path that cannot be examined prints "PATH ERROR reason" and the exit status is 1;
// everything else is still listed. Directory cycles and runaway depth are reported as
// errors, not followed.
#include "cli.hpp"
#include "fd.hpp"
#include "sha256.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <fcntl.h>
#include <set>
#include <string>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace daxfs::test {
namespace {

constexpr int max_depth = 256;

std::string escape(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (unsigned char c : raw) {
        if (c > ' ' && c <= '~' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char buf[5];
            std::snprintf(buf, sizeof(buf), "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

char type_char(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG:
        return 'f';
    case S_IFDIR:
        return 'd';
    case S_IFLNK:
        return 'l';
    case S_IFCHR:
        return 'c';
    case S_IFBLK:
        return 'b';
    case S_IFIFO:
        return 'p';
    case S_IFSOCK:
        return 's';
    default:
        return '?';
    }
}

class Walker {
  public:
    enum class Mode { read, mmap, all };
    explicit Walker(Mode mode) : mode_(mode) {}

    void walk_root(const std::string &root) {
        struct stat st {};
        if (::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            throw_errno("not a directory", root);
        Fd dir = open_at(AT_FDCWD, root, O_RDONLY | O_DIRECTORY);
        add_entry(".", st, dir.get(), nullptr);
        walk_dir(dir.get(), "", st, 0);
    }

    std::vector<std::string> take_lines() { return std::move(lines_); }
    bool had_errors() const { return errors_; }

  private:
    void error(const std::string &rel, const std::string &why) {
        lines_.push_back(escape(rel) + " ERROR " + why);
        std::fprintf(stderr, "daxfs-manifest: %s: %s\n", escape(rel).c_str(), why.c_str());
        errors_ = true;
    }

    static std::vector<std::string> list_names(int dirfd) {
        int dup = ::fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
        if (dup < 0)
            throw_errno("cannot dup directory", "");
        DIR *d = ::fdopendir(dup);
        if (!d) {
            ::close(dup);
            throw_errno("cannot read directory", "");
        }
        ::rewinddir(d);
        std::vector<std::string> names;
        errno = 0;
        while (struct dirent *e = ::readdir(d)) {
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                names.emplace_back(e->d_name);
            errno = 0;
        }
        int err = errno;
        ::closedir(d);
        if (err != 0) {
            errno = err;
            throw_errno("cannot read directory", "");
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    void walk_dir(int dirfd, const std::string &prefix, const struct stat &dst, int depth) {
        auto key = std::make_pair(dst.st_dev, dst.st_ino);
        if (!on_path_.insert(key).second) {
            error(prefix.empty() ? "." : prefix.substr(0, prefix.size() - 1), "directory cycle");
            return;
        }
        std::vector<std::string> names;
        try {
            names = list_names(dirfd);
        } catch (const std::system_error &e) {
            error(prefix.empty() ? "." : prefix.substr(0, prefix.size() - 1),
                  std::string("readdir: ") + e.code().message());
            on_path_.erase(key);
            return;
        }
        if (std::adjacent_find(names.begin(), names.end()) != names.end())
            error(prefix.empty() ? "." : prefix.substr(0, prefix.size() - 1),
                  "duplicate names in readdir");
        for (const auto &name : names) {
            std::string rel = prefix + name;
            struct stat st {};
            if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
                error(rel, std::string("stat: ") + std::strerror(errno));
                continue;
            }
            if (S_ISDIR(st.st_mode)) {
                int fd =
                    ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                    error(rel, std::string("open: ") + std::strerror(errno));
                    continue;
                }
                Fd sub(fd);
                add_entry(rel, st, sub.get(), nullptr);
                if (depth + 1 >= max_depth)
                    error(rel, "directory nesting deeper than " + std::to_string(max_depth));
                else
                    walk_dir(sub.get(), rel + "/", st, depth + 1);
            } else {
                add_entry(rel, st, dirfd, &name);
            }
        }
        on_path_.erase(key);
    }

    // FD is the entry itself for a directory, else its parent with NAME.
    void add_entry(const std::string &rel, const struct stat &st, int fd, const std::string *name) {
        std::string size = S_ISDIR(st.st_mode) ? "-" : std::to_string(st.st_size);
        std::string target = "-";
        std::string rdev = "-";
        std::string hash = "-";
        try {
            if (S_ISLNK(st.st_mode)) {
                std::string buf(4097, '\0');
                ssize_t n = ::readlinkat(fd, name->c_str(), buf.data(), buf.size());
                if (n < 0)
                    throw_errno("readlink", rel);
                buf.resize(static_cast<std::size_t>(n));
                target = escape(buf);
            } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
                rdev = std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev));
            } else if (S_ISREG(st.st_mode)) {
                Fd file = open_at(fd, *name, O_RDONLY | O_NOFOLLOW);
                const auto size = static_cast<std::uint64_t>(st.st_size);
                hash = mode_ == Mode::mmap ? sha256_mmap(file.get(), size, rel)
                                           : sha256_read(file.get(), rel);
                if (mode_ == Mode::all) {
                    std::string mapped = sha256_mmap(file.get(), size, rel);
                    if (mapped != hash)
                        throw std::runtime_error("read() gives " + hash + ", mmap " + mapped);
                }
            }
        } catch (const std::system_error &e) {
            error(rel, e.what());
            return;
        } catch (const std::exception &e) {
            error(rel, e.what());
            return;
        }
        char head[160];
        std::snprintf(head, sizeof(head), " %c %04o %u %u ", type_char(st.st_mode),
                      static_cast<unsigned>(st.st_mode & 07777), static_cast<unsigned>(st.st_uid),
                      static_cast<unsigned>(st.st_gid));
        char when[64];
        std::snprintf(when, sizeof(when), " %lld.%09ld %lu ",
                      static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec,
                      static_cast<unsigned long>(st.st_nlink));
        lines_.push_back(escape(rel) + head + size + when + target + " " + rdev + " " + hash);
    }

    Mode mode_;
    bool errors_ = false;
    std::set<std::pair<dev_t, ino_t>> on_path_;
    std::vector<std::string> lines_;
};

} // namespace
} // namespace daxfs::test

int main(int argc, char **argv) {
    using namespace daxfs::test;
    CLI::App app{"Print a sorted manifest of every path under ROOT (type, mode, owner, size, "
                 "mtime, nlink, link target, rdev, SHA-256 of contents).",
                 "daxfs-manifest"};
    std::string root;
    bool use_mmap = false;
    bool use_all = false;
    app.add_option("ROOT", root, "Directory to describe")->required();
    app.add_flag("--mmap", use_mmap,
                 "Read file contents through MAP_PRIVATE and MAP_SHARED mappings");
    app.add_flag("--all", use_all, "Read contents with read() and through both mappings")
        ->excludes("--mmap");
    if (int rc = parse_cli(app, argc, argv); rc >= 0)
        return rc;

    Walker walker(use_all ? Walker::Mode::all : use_mmap ? Walker::Mode::mmap : Walker::Mode::read);
    try {
        walker.walk_root(root);
    } catch (const std::system_error &e) {
        std::fprintf(stderr, "daxfs-manifest: %s\n", e.what());
        return 1;
    }
    auto lines = walker.take_lines();
    std::sort(lines.begin(), lines.end());
    for (const auto &line : lines) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
    }
    if (std::fflush(stdout) != 0) {
        std::perror("daxfs-manifest: write");
        return 1;
    }
    return walker.had_errors() ? 1 : 0;
}
