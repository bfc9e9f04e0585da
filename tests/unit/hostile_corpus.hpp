// SPDX-License-Identifier: GPL-2.0 OR MIT
// The hostile-log corpus: images whose branch logs are well formed (right crc, seq and
// shape) but mean something that must be refused (cycles, dangling parents, pages the
// slot does not own, ...), and a few good ones. The unit tests run each through the tools'
// checker; tests/vm/branch-hostile-logs.sh runs each through the kernel, and both must give the
// same verdict and the same reason (they run the same code, common/daxfs_apply.c).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace testing_daxfs {

struct HostileCase {
    std::string name;
    std::string mount;  // mount options beyond phys= and size= ("" mounts main)
    std::string reason; // part of the reason every checker gives; "" for a good image
    std::vector<std::byte> image;
};

// Build the corpus, using @workdir for the base tree.
std::vector<HostileCase> hostile_corpus(const std::string &workdir);

} // namespace testing_daxfs
