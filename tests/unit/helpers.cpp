// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "helpers.hpp"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfs/dedup.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/scan.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/writer.hpp"

namespace testing_daxfs {

TempDir::TempDir() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/daxfs-test-XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    // Make read-only directories of the test trees removable first.
    for (auto it = std::filesystem::recursive_directory_iterator(
             path_, std::filesystem::directory_options::skip_permission_denied, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
        if (it->is_directory(ec) && !it->is_symlink(ec))
            ::chmod(it->path().c_str(), 0755);
    std::filesystem::remove_all(path_, ec);
}

std::vector<std::byte> pattern(std::uint64_t size, std::uint32_t seed) {
    std::vector<std::byte> v(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto &b : v) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b = static_cast<std::byte>(x);
    }
    return v;
}

void write_file(const std::string &path, const std::vector<std::byte> &bytes, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0) << path;
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        ASSERT_GT(n, 0);
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

void make_dir(const std::string &path, mode_t mode) {
    ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

void set_mtime(const std::string &path, std::int64_t sec, long nsec) {
    const struct timespec ts[2] = {{static_cast<time_t>(sec), nsec},
                                   {static_cast<time_t>(sec), nsec}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), 0) << path;
}

std::vector<std::byte> build_image(daxfs::Tree tree) {
    daxfs::find_duplicates(tree);
    const daxfs::Layout layout = daxfs::plan_layout(tree);
    daxfs::VectorSink sink;
    daxfs::write_image(tree, layout, sink);
    return std::move(sink.bytes);
}

std::vector<std::byte> build_image(const std::string &dir) {
    return build_image(daxfs::scan_tree(dir));
}

std::vector<std::byte> build_branch_image(daxfs::Tree tree, std::uint64_t delta_size) {
    daxfs::find_duplicates(tree);
    daxfs::Layout layout = daxfs::plan_layout(tree, true);
    daxfs::set_delta_size(layout, delta_size);
    daxfs::VectorSink sink;
    daxfs::write_image(tree, layout, sink);
    return std::move(sink.bytes);
}

std::vector<std::byte> build_branch_image(const std::string &dir, std::uint64_t delta_size) {
    return build_branch_image(daxfs::scan_tree(dir), delta_size);
}

std::string quote(const std::string &s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

namespace {

std::string slurp(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

RunResult run(const std::string &cmdline) {
    TempDir io;
    const std::string out = io / "out", err = io / "err";
    int st = std::system((cmdline + " >" + quote(out) + " 2>" + quote(err)).c_str());
    RunResult r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

bool is_root() { return ::geteuid() == 0; }

std::vector<std::byte> read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::byte> b(c.size());
    std::memcpy(b.data(), c.data(), c.size());
    return b;
}

void write_bytes(const std::string &path, const std::vector<std::byte> &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char *>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

} // namespace testing_daxfs
