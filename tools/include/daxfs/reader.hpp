// SPDX-License-Identifier: GPL-2.0 OR MIT
// Read access to an image in memory (a mapped file or a /dev/mem range). Every value is
// decoded and checked by the shared checker (common/daxfs_check.h) when it is read, so a
// corrupt image gives daxfs::Error(EUCLEAN), never a read outside the region.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daxfs/error.hpp"
#include "daxfs_check.h"

namespace daxfs {

class Mapping;

struct Dirent {
    std::uint64_t ino;
    std::uint32_t type; // DT_*
    std::string_view name;
};

class Image {
  public:
    // Checks the superblock (daxfs_check_super) of @region; @keep owns the memory if set.
    explicit Image(std::span<const std::byte> region, std::shared_ptr<const void> keep = {});
    static Image open_file(const std::string &path);
    static Image open_phys(std::uint64_t addr, std::uint64_t size);

    std::span<const std::byte> region() const noexcept { return region_; }
    const daxfs_geo &geo() const noexcept { return geo_; }

    daxfs_ino inode(std::uint64_t ino) const;
    daxfs_ino root() const { return inode(DAXFS_ROOT_INO); }
    std::uint64_t entry_count(const daxfs_ino &dir) const;
    Dirent entry(const daxfs_ino &dir, std::uint64_t index) const;
    // The inode an entry names, checked to be of the entry's type.
    daxfs_ino child(const Dirent &de) const;
    std::optional<Dirent> find(const daxfs_ino &dir, std::string_view name) const;
    // Resolve "/a/b" or "a/b" from the root without following symlinks; ENOENT/ENOTDIR.
    daxfs_ino lookup(std::string_view path) const;
    std::span<const std::byte> file_data(const daxfs_ino &file) const;
    std::string_view link_target(const daxfs_ino &link) const;

  private:
    std::shared_ptr<const void> keep_;
    std::span<const std::byte> region_;
    daxfs_geo geo_{};
};

} // namespace daxfs
