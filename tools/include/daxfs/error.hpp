// SPDX-License-Identifier: GPL-2.0 OR MIT
// The one error type of the tool library: a one-line message and an errno.
#pragma once

#include <stdexcept>
#include <string>

namespace daxfs {

class Error : public std::runtime_error {
  public:
    Error(int err, const std::string &msg) : std::runtime_error(msg), errno_(err) {}
    // The positive errno that best describes the failure (EUCLEAN for corruption).
    int code() const noexcept { return errno_; }

  private:
    int errno_;
};

// "ACTION 'PATH': strerror(err)", e.g. "cannot read '/x': Permission denied".
[[noreturn]] void throw_sys(int err, const std::string &action, const std::string &path);

} // namespace daxfs
