// SPDX-License-Identifier: GPL-2.0 OR MIT
// Where daxfs-inspect reads an image from: a file, or a physical range through /dev/mem.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "daxfs/fd.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/region.hpp"

namespace inspect {

// A file, or a physical range with --phys/--size.
using SourceSpec = daxfs::RegionSpec;

// The mapped bytes of an image source, before any check.
class Source {
  public:
    explicit Source(const SourceSpec &spec);
    std::span<const std::byte> bytes() const { return map_->bytes(); }
    // The checked image (superblock checked; daxfs::Error otherwise).
    daxfs::Image image() const { return daxfs::Image(bytes(), map_); }
    // What branch @name shows ("main": the base plus committed logs), as an image: the
    // image itself when nothing was committed, else the view replayed and laid out anew
    // in memory (inode numbers are then those of the new layout).
    daxfs::Image view(const std::string &name) const;

  private:
    std::shared_ptr<daxfs::Mapping> map_;
};

} // namespace inspect
