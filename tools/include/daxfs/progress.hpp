// SPDX-License-Identifier: GPL-2.0 OR MIT
// A one-line progress bar on a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>

namespace daxfs {

class ProgressBar {
  public:
    explicit ProgressBar(std::FILE *out) : out_(out) {}
    ~ProgressBar();
    void update(std::uint64_t done, std::uint64_t total);

  private:
    std::FILE *out_;
    std::chrono::steady_clock::time_point last_{};
    bool drawn_ = false;
};

} // namespace daxfs
