// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/error.hpp"

#include <cstring>

namespace daxfs {

void throw_sys(int err, const std::string &action, const std::string &path) {
    throw Error(err, action + " '" + path + "': " + std::strerror(err));
}

} // namespace daxfs
