// SPDX-License-Identifier: GPL-2.0 OR MIT
// mkdaxfs -H HEAP -s SIZE -m MNT: the image in a new dma-buf, mounted in one step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace mkdaxfs {

// Allocate a dma-buf of @size bytes from @heap (/dev/dma_heap/NAME or /dev/udmabuf), let
// @write fill it from the CPU, and mount it read-only at @mnt. The mount then holds the
// only reference to the buffer: unmounting the last mount of it frees it.
void write_to_heap(const std::string &heap, std::uint64_t size, const std::string &mnt,
                   const std::function<void(std::span<std::byte>)> &write);

} // namespace mkdaxfs
