// SPDX-License-Identifier: GPL-2.0 OR MIT
// Device numbers as the kernel's new_encode_dev()/new_decode_dev() store them.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace daxfs {

std::uint32_t encode_dev(dev_t dev);
dev_t decode_dev(std::uint32_t encoded);

} // namespace daxfs
