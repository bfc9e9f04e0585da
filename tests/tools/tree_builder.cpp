#include "tree_builder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <tuple>
#include <unistd.h>
#include <utility>

namespace daxfs::test {
namespace {

constexpr std::uint64_t MiB = 1 << 20;

// splitmix64 step: the tree's only source of randomness.
std::uint64_t mix(std::uint64_t &state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// FNV-1a of a relative path, for per-path attributes independent of creation order.
std::uint64_t path_hash(const std::string &rel, std::uint64_t seed) {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (unsigned char c : rel)
        h = (h ^ c) * 0x100000001b3ULL;
    std::uint64_t s = h;
    return mix(s);
}

void write_all(int fd, const char *p, std::size_t n, const std::string &name) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("cannot write", name);
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

} // namespace

TreeBuilder::TreeBuilder(std::string root, TreeProfile profile)
    : root_(std::move(root)), profile_(profile), state_(profile.seed) {}

std::uint64_t TreeBuilder::next() { return mix(state_); }

std::string TreeBuilder::random_bytes(std::uint64_t n) {
    std::string out(n, '\0');
    std::uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t v = next();
        std::memcpy(out.data() + i, &v, 8);
    }
    if (i < n) {
        std::uint64_t v = next();
        std::memcpy(out.data() + i, &v, n - i);
    }
    return out;
}

std::string TreeBuilder::random_name(std::size_t min_len, std::size_t max_len) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789._-";
    std::size_t len = min_len + next() % (max_len - min_len + 1);
    std::string name;
    for (std::size_t i = 0; i < len; i++)
        name += alphabet[next() % (sizeof(alphabet) - 1)];
    return name;
}

Fd TreeBuilder::make_dir(int parent, const std::string &name, const std::string &rel) {
    if (::mkdirat(parent, name.c_str(), 0755) != 0)
        throw_errno("cannot create directory", rel);
    stats_.entries++;
    return open_dir(parent, name);
}

void TreeBuilder::make_file(int dir, const std::string &name, const std::string &content) {
    Fd fd = open_at(dir, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    write_all(fd.get(), content.data(), content.size(), name);
    stats_.entries++;
    stats_.bytes += content.size();
}

void TreeBuilder::make_symlink(int dir, const std::string &name, const std::string &target) {
    if (::symlinkat(target.c_str(), dir, name.c_str()) != 0)
        throw_errno("cannot create symlink", name);
    stats_.entries++;
}

void TreeBuilder::make_node(int dir, const std::string &name, mode_t mode, dev_t dev) {
    if (::mknodat(dir, name.c_str(), mode, dev) != 0)
        throw_errno("cannot create node (run as root)", name);
    stats_.entries++;
}

void TreeBuilder::make_socket(int dir, const std::string &name) {
    // bind() takes a path shorter than sun_path: bind relative to the directory.
    Fd cwd = open_at(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY);
    if (::fchdir(dir) != 0)
        throw_errno("cannot enter directory for", name);
    Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock)
        throw_errno("cannot create socket", name);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, name.c_str(), sizeof(addr.sun_path) - 1);
    int rc = ::bind(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
    int err = errno;
    if (::fchdir(cwd.get()) != 0)
        throw_errno("cannot return to directory", ".");
    if (rc != 0) {
        errno = err;
        throw_errno("cannot bind socket", name);
    }
    ::fchmodat(dir, name.c_str(), 0755, 0);
    stats_.entries++;
}

void TreeBuilder::hard_link(int from_dir, const std::string &from, int to_dir,
                            const std::string &to) {
    if (::linkat(from_dir, from.c_str(), to_dir, to.c_str(), 0) != 0)
        throw_errno("cannot hard link", to);
    stats_.entries++;
}

// A chain of directories with long names whose deepest file has a path (relative to the
// root) of about 3900 bytes: near PATH_MAX while leaving room for the mount point.
void TreeBuilder::build_deep(int root) {
    std::string rel = "deep";
    Fd dir = make_dir(root, "deep", rel);
    const std::size_t limit = profile_.small ? 600 : 3900;
    int level = 0;
    while (rel.size() + 1 + 250 + 1 + 100 < limit) {
        std::string name = "level" + std::to_string(level++) + "-";
        name += std::string(250 - name.size(), static_cast<char>('a' + level % 26));
        rel += "/" + name;
        dir = make_dir(dir.get(), name, rel);
    }
    std::size_t left = limit - rel.size() - 1;
    std::string name = "bottom-" + std::string(std::min<std::size_t>(left, 255) - 7, 'z');
    make_file(dir.get(), name, "the bottom of a deep path\n");
}

// Names at the limits: 255 bytes, multibyte UTF-8, spaces, control bytes, a newline, a
// backslash, bytes >= 0x80 that are not UTF-8, and names that sort differently by byte.
void TreeBuilder::build_names(int root) {
    Fd dir = make_dir(root, "names", "names");
    std::vector<std::string> names = {
        std::string(255, 'a'),
        std::string(254, 'b') + "Z",
        "with space",
        " leading-space",
        "new\nline",
        "back\\slash",
        "tab\there",
        "\x01"
        "control",
        "high\xff\xfe"
        "bytes",
        "-dash",
        ".hidden",
        "...",
        "Case",
        "case",
        "a",
        "a.",
        "a-",
        "a~",
        "\xc3\xa9t\xc3\xa9",
    };
    std::string utf8;
    while (utf8.size() + 2 <= 254)
        utf8 += "\xc3\xa9"; // é
    names.push_back(utf8 + "x");
    std::string cjk;
    while (cjk.size() + 3 <= 255)
        cjk += "\xe6\x96\x87"; // 文
    names.push_back(cjk);
    for (std::size_t i = 0; i < names.size(); i++)
        make_file(dir.get(), names[i], random_bytes(next() % 300));
    // A 255-byte directory name holding a 255-byte file name.
    Fd sub = make_dir(dir.get(), std::string(255, 'D'), "names/D...");
    make_file(sub.get(), std::string(255, 'F'), "inside\n");
}

// One directory of 20,000 entries (300 in the small profile): mostly empty files, some
// with a little content, some subdirectories and symlinks.
void TreeBuilder::build_bigdir(int root) {
    Fd dir = make_dir(root, "bigdir", "bigdir");
    const unsigned count = profile_.small ? 300 : 20000;
    for (unsigned i = 0; i < count; i++) {
        char prefix[16];
        std::snprintf(prefix, sizeof(prefix), "e%05u", i);
        std::string name = std::string(prefix) + random_name(0, 40);
        if (i % 97 == 5)
            make_dir(dir.get(), name, "bigdir/" + name);
        else if (i % 333 == 7)
            make_symlink(dir.get(), name, "../sizes/s4096");
        else if (i % 50 == 3)
            make_file(dir.get(), name, random_bytes(1 + next() % 100));
        else
            make_file(dir.get(), name, "");
    }
}

void TreeBuilder::build_empty(int root) {
    Fd dir = make_dir(root, "empty", "empty");
    make_file(dir.get(), "file", "");
    make_dir(dir.get(), "dir", "empty/dir");
    Fd nest = make_dir(dir.get(), "nest", "empty/nest");
    nest = make_dir(nest.get(), "nest", "empty/nest/nest");
    make_dir(nest.get(), "nest", "empty/nest/nest/nest");
}

// Large files: random content, mostly-hole content with scattered data, and all holes.
void TreeBuilder::build_large(int root) {
    Fd dir = make_dir(root, "large", "large");
    // Full: 32 MiB random, 24 MiB sparse, 8 MiB of holes; small: 256 KiB, 384 KiB, 64 KiB.
    const std::uint64_t unit = profile_.small ? MiB / 8 : 16 * MiB;
    {
        Fd fd = open_at(dir.get(), "random", O_WRONLY | O_CREAT | O_EXCL, 0644);
        for (std::uint64_t i = 0; i < 2 * unit / std::min(unit, MiB); i++) {
            std::string chunk = random_bytes(std::min(unit, MiB));
            write_all(fd.get(), chunk.data(), chunk.size(), "large/random");
        }
        stats_.entries++;
        stats_.bytes += 2 * unit;
    }
    {
        const std::uint64_t size = 3 * unit / 2 + 1234;
        Fd fd = open_at(dir.get(), "sparse", O_WRONLY | O_CREAT | O_EXCL, 0644);
        for (std::uint64_t off = 0; off < size; off += unit / 32 + 4096 * (next() % 64)) {
            std::string chunk =
                random_bytes(std::min<std::uint64_t>(1000 + next() % 70000, size - off));
            if (::pwrite(fd.get(), chunk.data(), chunk.size(), static_cast<off_t>(off)) < 0)
                throw_errno("cannot write", "large/sparse");
        }
        if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
            throw_errno("cannot truncate", "large/sparse");
        stats_.entries++;
        stats_.bytes += size;
    }
    {
        Fd fd = open_at(dir.get(), "holes", O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (::ftruncate(fd.get(), static_cast<off_t>(unit / 2 + 1)) != 0)
            throw_errno("cannot truncate", "large/holes");
        stats_.entries++;
    }
}

// Sizes around page, 64 KiB and huge-page boundaries.
void TreeBuilder::build_sizes(int root) {
    Fd dir = make_dir(root, "sizes", "sizes");
    std::vector<std::uint64_t> sizes = {1, 2, 511, 512, 4095, 4096, 4097, 8191, 8192, 8193, 12288};
    if (!profile_.small) {
        for (std::uint64_t big : {std::uint64_t{64 << 10}, MiB, 2 * MiB}) {
            sizes.push_back(big - 1);
            sizes.push_back(big);
            sizes.push_back(big + 1);
        }
    }
    for (auto size : sizes)
        make_file(dir.get(), "s" + std::to_string(size), random_bytes(size));
    // A file of one repeated byte and one of zeros only.
    make_file(dir.get(), "ones", std::string(10000, '\xff'));
    make_file(dir.get(), "zeros", std::string(10000, '\0'));
}

// Hard links within a directory, across directories, to an empty file, to a symlink and
// to a FIFO.
void TreeBuilder::build_links(int root) {
    Fd dir = make_dir(root, "links", "links");
    Fd other = make_dir(dir.get(), "other", "links/other");
    make_file(dir.get(), "orig", random_bytes(10000));
    hard_link(dir.get(), "orig", dir.get(), "orig.link1");
    hard_link(dir.get(), "orig", other.get(), "orig.link2");
    hard_link(dir.get(), "orig", root, "top-link-to-orig");
    make_file(dir.get(), "empty", "");
    hard_link(dir.get(), "empty", dir.get(), "empty.link1");
    hard_link(dir.get(), "empty", other.get(), "empty.link2");
    make_symlink(dir.get(), "sym", "orig");
    hard_link(dir.get(), "sym", other.get(), "sym.link");
    make_node(dir.get(), "fifo", S_IFIFO | 0644, 0);
    hard_link(dir.get(), "fifo", other.get(), "fifo.link");
}

void TreeBuilder::build_symlinks(int root) {
    Fd dir = make_dir(root, "symlinks", "symlinks");
    make_symlink(dir.get(), "relative", "../sizes/s4096");
    make_symlink(dir.get(), "absolute", "/etc/passwd");
    make_symlink(dir.get(), "dangling", "does/not/exist");
    make_symlink(dir.get(), "to-dir", "../empty");
    make_symlink(dir.get(), "dot", ".");
    make_symlink(dir.get(), "one", "x");
    make_symlink(dir.get(), "loop-a", "loop-b");
    make_symlink(dir.get(), "loop-b", "loop-a");
    std::string longest;
    while (longest.size() < 4095)
        longest += "seg" + std::to_string(longest.size() % 10) + "/";
    longest.resize(4095);
    make_symlink(dir.get(), "target-4095", longest);
    make_symlink(dir.get(), "target-odd\xff", "with space/and\nnewline");
}

void TreeBuilder::build_special(int root) {
    Fd dir = make_dir(root, "special", "special");
    make_node(dir.get(), "null", S_IFCHR | 0666, makedev(1, 3));
    make_node(dir.get(), "tty-like", S_IFCHR | 0620, makedev(4, 64));
    make_node(dir.get(), "big-minor", S_IFCHR | 0600, makedev(250, 1048575));
    make_node(dir.get(), "big-major", S_IFCHR | 0600, makedev(4095, 7));
    make_node(dir.get(), "zero-dev", S_IFCHR | 0600, makedev(0, 0));
    make_node(dir.get(), "sda", S_IFBLK | 0660, makedev(8, 0));
    make_node(dir.get(), "nvme", S_IFBLK | 0660, makedev(259, 65536));
    make_node(dir.get(), "fifo", S_IFIFO | 0600, 0);
    make_socket(dir.get(), "socket");
}

// Permission bits the image must keep: none, all, setuid/setgid/sticky on files and dirs.
void TreeBuilder::build_modes(int root) {
    Fd dir = make_dir(root, "modes", "modes");
    const std::pair<const char *, mode_t> files[] = {
        {"m0000", 0000},  {"m0777", 0777},  {"m4755", 04755}, {"m2755", 02755}, {"m1755", 01755},
        {"m6711", 06711}, {"m7777", 07777}, {"m0444", 0444},  {"m0200", 0200},
    };
    for (auto [name, mode] : files) {
        make_file(dir.get(), name, random_bytes(64));
        if (::fchmodat(dir.get(), name, mode, 0) != 0)
            throw_errno("cannot chmod", name);
    }
    const std::pair<const char *, mode_t> dirs[] = {
        {"d1777", 01777}, {"d0000", 0000}, {"d0500", 0500}, {"d2775", 02775}, {"d0711", 0711},
    };
    for (auto [name, mode] : dirs) {
        Fd sub = make_dir(dir.get(), name, std::string("modes/") + name);
        make_file(sub.get(), "inside", "x\n");
        if (::fchmodat(dir.get(), name, mode, 0) != 0)
            throw_errno("cannot chmod", name);
    }
}

void TreeBuilder::build_owners(int root) {
    Fd dir = make_dir(root, "owners", "owners");
    const std::tuple<const char *, uid_t, gid_t, mode_t> files[] = {
        {"root", 0, 0, 0644},
        {"daemon", 1, 1, 0644},
        {"user", 1000, 1000, 0640},
        {"nobody", 65534, 65534, 0600},
        {"large-ids", 123456789, 987654321, 0644},
        {"max-ids", 4294967294u, 4294967294u, 0644},
        {"setuid-user", 1000, 100, 04750},
        {"setgid-group", 0, 50, 02755},
    };
    for (auto [name, uid, gid, mode] : files) {
        make_file(dir.get(), name, random_bytes(32));
        if (::fchownat(dir.get(), name, uid, gid, 0) != 0)
            throw_errno("cannot chown (run as root)", name);
        if (::fchmodat(dir.get(), name, mode, 0) != 0)
            throw_errno("cannot chmod", name);
    }
    make_symlink(dir.get(), "link-owned", "user");
    if (::fchownat(dir.get(), "link-owned", 4242, 4343, AT_SYMLINK_NOFOLLOW) != 0)
        throw_errno("cannot chown", "link-owned");
    Fd sub = make_dir(dir.get(), "dir-owned", "owners/dir-owned");
    if (::fchownat(dir.get(), "dir-owned", 2000, 3000, 0) != 0)
        throw_errno("cannot chown", "dir-owned");
}

// Gives every entry below DIR an mtime derived from its path (with nanoseconds, some
// before 1970), children before their directory so later steps do not disturb it.
void TreeBuilder::stamp_times(int dir, const std::string &rel) {
    std::vector<std::pair<std::string, bool>> entries;
    {
        int dup = ::fcntl(dir, F_DUPFD_CLOEXEC, 0);
        DIR *d = dup >= 0 ? ::fdopendir(dup) : nullptr;
        if (!d)
            throw_errno("cannot read directory", rel);
        ::rewinddir(d); // the duplicate shares the file offset
        while (struct dirent *e = ::readdir(d)) {
            std::string name = e->d_name;
            if (name != "." && name != "..")
                entries.emplace_back(name, false);
        }
        ::closedir(d);
    }
    std::sort(entries.begin(), entries.end());
    for (auto &[name, is_dir] : entries) {
        struct stat st {};
        if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw_errno("cannot stat", name);
        is_dir = S_ISDIR(st.st_mode);
    }
    for (const auto &[name, is_dir] : entries) {
        std::string child = rel.empty() ? name : rel + "/" + name;
        if (is_dir) {
            Fd sub = open_dir(dir, name);
            stamp_times(sub.get(), child);
        }
        std::uint64_t h = path_hash(child, profile_.seed);
        timespec times[2];
        times[0].tv_sec = 1700000000;
        times[0].tv_nsec = 0;
        times[1].tv_sec =
            static_cast<time_t>(1000000000 + h % 1000000000) - (h % 13 == 0 ? 1500000000 : 0);
        times[1].tv_nsec = static_cast<long>((h >> 32) % 1000000000);
        if (::utimensat(dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            throw_errno("cannot set times of", child);
    }
}

// Timestamps at the edges: the epoch, before it, 2038 and far future, maximal nanoseconds.
namespace {
const std::tuple<const char *, time_t, long> time_edges[] = {
    {"epoch", 0, 0},
    {"before-epoch", -1234567891, 500000000},
    {"one-ns", 0, 1},
    {"y2038-minus", 2147483647, 999999999},
    {"y2038-plus", 2147483648LL, 1},
    {"year-2300", 10413792000LL, 123456789},
};
} // namespace

void TreeBuilder::build_times(int root) {
    Fd dir = make_dir(root, "times", "times");
    for (auto [name, sec, nsec] : time_edges)
        make_file(dir.get(), name, "t\n");
}

void TreeBuilder::stamp_time_edges(int root) {
    Fd dir = open_dir(root, "times");
    for (auto [name, sec, nsec] : time_edges) {
        timespec times[2] = {{sec, nsec}, {sec, nsec}};
        if (::utimensat(dir.get(), name, times, 0) != 0)
            throw_errno("cannot set times of", name);
    }
}

TreeStats TreeBuilder::build() {
    if (::mkdir(root_.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("cannot create", root_);
    Fd root = open_at(AT_FDCWD, root_, O_RDONLY | O_DIRECTORY);
    {
        int dup = ::fcntl(root.get(), F_DUPFD_CLOEXEC, 0);
        DIR *d = dup >= 0 ? ::fdopendir(dup) : nullptr;
        if (!d)
            throw_errno("cannot read", root_);
        int seen = 0;
        while (struct dirent *e = ::readdir(d))
            seen += std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0;
        ::closedir(d);
        if (seen != 0)
            throw std::runtime_error("'" + root_ + "' is not empty");
    }
    build_sizes(root.get());
    build_empty(root.get());
    build_names(root.get());
    build_deep(root.get());
    build_large(root.get());
    build_links(root.get());
    build_symlinks(root.get());
    build_special(root.get());
    build_bigdir(root.get());
    build_owners(root.get());
    build_modes(root.get());
    build_times(root.get());
    stamp_times(root.get(), "");
    stamp_time_edges(root.get());
    timespec times[2] = {{1700000000, 0}, {1699999999, 999999999}};
    if (::fchmod(root.get(), 0755) != 0 || ::futimens(root.get(), times) != 0)
        throw_errno("cannot set attributes of", root_);
    return stats_;
}

} // namespace daxfs::test
