// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "daxfs/validate.hpp"

#include "daxfs_check.h"

namespace daxfs {

Validation validate_image(std::span<const std::byte> region) {
    daxfs_report rep{};
    int err = daxfs_validate_image(region.data(), region.size(), &rep);
    if (!err)
        return {true, 0, {}};
    return {false, -err, rep.msg[0] ? rep.msg : "corrupt image"};
}

} // namespace daxfs
