// SPDX-License-Identifier: GPL-2.0 OR MIT
// Shared helpers of the unit tests: temporary trees, in-memory images, running binaries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

#include "daxfs/tree.hpp"

namespace testing_daxfs {

// A directory under $TMPDIR removed (recursively) when the object dies.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &rel) const { return path_ + "/" + rel; }

  private:
    std::string path_;
};

// Deterministic, position-dependent bytes (so shifted or swapped data shows).
std::vector<std::byte> pattern(std::uint64_t size, std::uint32_t seed);
void write_file(const std::string &path, const std::vector<std::byte> &bytes, mode_t mode = 0644);
void make_dir(const std::string &path, mode_t mode = 0755);
// The bytes of the file at PATH; and PATH made of BYTES (an image to change and put back).
std::vector<std::byte> read_bytes(const std::string &path);
void write_bytes(const std::string &path, const std::vector<std::byte> &bytes);
void set_mtime(const std::string &path, std::int64_t sec, long nsec);

// Scan @dir and build its image in memory, as mkdaxfs does.
std::vector<std::byte> build_image(const std::string &dir);
std::vector<std::byte> build_image(daxfs::Tree tree);
// The same with branches (mkdaxfs -b) and a delta region of @delta_size bytes.
std::vector<std::byte> build_branch_image(daxfs::Tree tree, std::uint64_t delta_size);
std::vector<std::byte> build_branch_image(const std::string &dir, std::uint64_t delta_size);

struct RunResult {
    int status; // exit status, or 128 + signal
    std::string out;
    std::string err;
};
// Run a shell command line; stdout and stderr are captured.
RunResult run(const std::string &cmdline);
std::string quote(const std::string &s);

bool is_root();

} // namespace testing_daxfs
