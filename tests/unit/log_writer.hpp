// SPDX-License-Identifier: GPL-2.0 OR MIT
// A test-only writer of branches and delta logs into an image made with branches: claims
// slots, allocates delta pages in the owner table and appends records built from the
// structs of include/daxfs_format.h (crc by daxfs_rec_csum), as the kernel would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daxfs_format.h"

namespace testing_daxfs {

class LogWriter {
  public:
    explicit LogWriter(std::vector<std::byte> &image);

    // A new ACTIVE branch under @parent (a slot); returns its slot.
    std::uint32_t branch(std::string_view name, std::uint32_t parent = DAXFS_MAIN_SLOT);
    // Make @slot's chain main (main_head, COMMITTED states, commit_seq), as a commit does.
    void commit(std::uint32_t slot);
    // Count a mount in @slot whose heartbeat is @beat, as a kernel's mount does.
    void mount(std::uint32_t slot, std::uint64_t beat);
    // Publish @slot (made by branch("fold", main's head slot) and given the records of the
    // view) as main's fold, as a folder does: COMMITTED with DAXFS_BRANCH_F_FOLD, named by
    // live.fold_head, with live.fold_need = @need. Its top is its parent.
    void fold(std::uint32_t slot, std::uint64_t need);
    // Entry @i of live.readers: a mount with heartbeat @beat that has seen commit_seq @seen.
    void reader(std::uint32_t i, std::uint64_t beat, std::uint64_t seen);

    // Records. Each returns what a caller needs next (a new inode number).
    void write(std::uint32_t slot, std::uint64_t ino, std::uint64_t size,
               const std::map<std::uint64_t, std::vector<std::byte>> &pages);
    // A WRITE record naming the delta pages given (index -> page), taking none: for hostile
    // logs that name pages the slot does not own.
    void write_pages(std::uint32_t slot, std::uint64_t ino, std::uint64_t size,
                     const std::map<std::uint64_t, std::uint64_t> &pages);
    void truncate(std::uint32_t slot, std::uint64_t ino, std::uint64_t size);
    // A new inode takes the next number of the live words, or @ino when not 0 (an inode
    // number in use, for hostile logs).
    std::uint64_t create(std::uint32_t slot, std::uint16_t type, std::uint64_t parent,
                         std::string_view name, std::uint32_t mode, std::uint32_t rdev = 0,
                         std::uint64_t ino = 0);
    // The target goes into a page taken for it, or the record names @page (not 0) as it
    // is, for hostile logs.
    std::uint64_t symlink(std::uint32_t slot, std::uint64_t parent, std::string_view name,
                          std::string_view target, std::uint64_t page = 0, std::uint64_t ino = 0);
    void link(std::uint32_t slot, std::uint64_t ino, std::uint64_t parent, std::string_view name);
    void unlink(std::uint32_t slot, std::uint64_t ino, std::uint64_t parent, std::string_view name);
    void rename(std::uint32_t slot, std::uint64_t ino, std::uint64_t old_parent,
                std::string_view old_name, std::uint64_t new_parent, std::string_view new_name,
                std::uint32_t flags = 0);
    void setattr(std::uint32_t slot, std::uint64_t ino, std::uint32_t valid, std::uint32_t mode,
                 std::uint32_t uid, std::uint32_t gid, std::int64_t mtime_ns,
                 std::int64_t atime_ns = 0);

    // Append a record as given (header fields but crc and seq filled by the caller's bytes:
    // @fix_crc false keeps a wrong crc), for corruption tests.
    void append(std::uint32_t slot, std::vector<std::byte> rec, bool fix_crc = true);
    // Byte offset in the image of delta page @page.
    std::uint64_t page_off(std::uint64_t page) const;
    std::uint64_t alloc(std::uint32_t slot);
    // The first log page of @slot (0: none yet).
    std::uint64_t log_head(std::uint32_t slot) const;
    // Region offset where @slot's last record starts.
    std::uint64_t last_record_off(std::uint32_t slot) const { return last_.at(slot); }

    std::int64_t now = 1700000000000000000; // the time records carry, in ns

  private:
    template <typename T> T load(std::uint64_t off) const;
    template <typename T> void store(std::uint64_t off, const T &v);
    std::uint64_t next_ino();
    std::vector<std::byte> header(std::uint16_t type, std::size_t fixed, std::uint64_t ino,
                                  std::size_t var);

    std::vector<std::byte> &img_;
    std::uint64_t branch_off_, delta_off_, delta_pages_, meta_pages_;
    std::map<std::uint32_t, std::uint64_t> seq_;
    std::map<std::uint32_t, std::uint64_t> last_;
};

} // namespace testing_daxfs
