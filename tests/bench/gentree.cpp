// SPDX-License-Identifier: GPL-2.0 OR MIT
// A deterministic benchmark tree, for guests where build/bin/daxfs-mktree is not available:
//   large/    LARGE_COUNT files of LARGE_SIZE pseudo-random bytes (the data tests)
//   big/      BIG_ENTRIES empty files with names of 7 to 60 bytes (the lookup test)
//   tree/     FANOUT^1 + ... + FANOUT^DEPTH directories, FILES_PER_DIR small files and a
//             symlink in each, one hard link (stat and readdir tests)
//   one file with a 255-byte name
#include "bench.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace bench {
namespace {

void check(bool ok, const std::string &what) {
    if (!ok)
        throw Error(what + ": " + std::strerror(errno));
}

void make_dir(const fs::path &p) { check(::mkdir(p.c_str(), 0755) == 0, "mkdir " + p.string()); }

// Writes SIZE bytes from RNG in 1 MiB pieces.
void write_file(const fs::path &p, std::uint64_t size, std::mt19937_64 &rng,
                std::vector<std::uint64_t> &buf) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    check(fd >= 0, "create " + p.string());
    std::uint64_t left = size;
    while (left > 0) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size() * sizeof(buf[0])));
        for (std::size_t i = 0; i < (n + 7) / 8; i++)
            buf[i] = rng();
        const ssize_t w = ::write(fd, buf.data(), n);
        if (w != static_cast<ssize_t>(n)) {
            ::close(fd);
            throw Error("write " + p.string() + ": " +
                        (w < 0 ? std::strerror(errno) : "short write"));
        }
        left -= n;
    }
    check(::close(fd) == 0, "close " + p.string());
}

std::string random_name(std::mt19937_64 &rng, std::size_t len) {
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789_-.";
    std::string s;
    for (std::size_t i = 0; i < len; i++)
        s += alphabet[rng() % (sizeof(alphabet) - 1)];
    return s;
}

void nested(const fs::path &dir, unsigned level, const GenOptions &opt, std::mt19937_64 &rng,
            std::vector<std::uint64_t> &buf) {
    // Mostly small files, as in a rootfs: sizes picked from this list.
    static constexpr std::uint64_t sizes[] = {0,    37,   512,   1000,  3000,  4096,
                                              4097, 9000, 20000, 45000, 70000, 300000};
    for (unsigned i = 0; i < opt.files_per_dir; i++) {
        const std::uint64_t size = sizes[rng() % std::size(sizes)];
        write_file(dir / ("f" + std::to_string(i) + "-" + random_name(rng, rng() % 20)), size, rng,
                   buf);
    }
    check(::symlink("../some/target", (dir / "link").c_str()) == 0, "symlink in " + dir.string());
    if (level == opt.depth)
        return;
    for (unsigned i = 0; i < opt.fanout; i++) {
        const fs::path sub = dir / ("d" + std::to_string(i));
        make_dir(sub);
        nested(sub, level + 1, opt, rng, buf);
    }
}

} // namespace

void generate_tree(const fs::path &dir, const GenOptions &opt) {
    std::mt19937_64 rng(opt.seed);
    std::vector<std::uint64_t> buf((1 << 20) / sizeof(std::uint64_t));
    make_dir(dir);

    make_dir(dir / "large");
    for (unsigned i = 0; i < opt.large_count; i++)
        write_file(dir / "large" / ("file" + std::to_string(i)), opt.large_size, rng, buf);

    make_dir(dir / "big");
    for (unsigned i = 0; i < opt.big_entries; i++) {
        const std::string name = "e" + std::to_string(i) + "-" + random_name(rng, rng() % 54);
        const fs::path p = dir / "big" / name;
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        check(fd >= 0, "create " + p.string());
        ::close(fd);
    }

    make_dir(dir / "tree");
    nested(dir / "tree", 1, opt, rng, buf);
    write_file(dir / "tree" / "hardlinked", 5000, rng, buf);
    check(::link((dir / "tree" / "hardlinked").c_str(),
                 (dir / "tree" / "d0" / "hardlink").c_str()) == 0,
          "link in " + dir.string());

    write_file(dir / std::string(255, 'n'), 100, rng, buf);
}

} // namespace bench
