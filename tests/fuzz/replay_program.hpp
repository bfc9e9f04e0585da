// SPDX-License-Identifier: GPL-2.0 OR MIT
// The programs of fuzz_replay: bytes that say which branches to make and which records to
// write into their logs, over one fixed small base image. Every record written is well
// formed (right crc and seq, written by tests/unit/log_writer.cpp as the kernel would), so
// it reaches the rules of common/daxfs_apply.c; its inode numbers, parents and names come
// mostly from small pools of existing ones, so it often fits the view and sometimes not.
//
// A program is a sequence of at most 128 operations, each one byte of kind (Op, modulo
// kOpCount) and its arguments, one byte each unless said; missing bytes read as 0. Bytes
// that pick from a pool are taken modulo the pool's size.
//   Branch   parent                 a new ACTIVE branch (6 at most) under main or a slot
//   Commit   slot                   make the slot's chain main
//   Time     step                   the time of the next records (255: before 1970)
//   Write    slot file size count (index page)*(count % 4)  index % 5
//   Truncate slot file size
//   Create, Mkdir  slot dir name newino
//   Mknod    slot dir name newino type
//   Symlink  slot dir name newino target how [page]   how % 4 != 0: a page of its own
//                                                       holding the target, else page
//   Link     slot file dir name
//   Unlink   slot entry
//   Rename   slot entry dir name flags                 flags % 4 (3: the decoder refuses)
//   Setattr  slot ino valid mode(2) uid gid mtime atime
// where
//   slot   a branch made before (the first record makes one if there is none)
//   ino    < 208: the inode pool (base inodes 1.., then created ones); < 240: a created
//          inode; else 0 (the decoder refuses the record) or a number naming nothing
//   newino < 200: the next free number; else an ino byte follows (a number in use)
//   dir    < 192: the directory pool (/, d, e, sub, then created ones); else an ino byte
//   file   < 192: the regular file pool (f, keep, d/b, then created ones); else an ino byte
//   name   one of 16 names: the base's, two differing from them only in case, new ones
//   size   one of 12 sizes around page boundaries
//   page   two bytes: a PageKind (modulo 16) and which page of that kind
//   entry  < 230 then an index into the names records or the base made (maybe gone since);
//          else a dir, a name and an ino byte
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace daxfs_fuzz {

enum class Op : std::uint8_t {
    Branch,
    Commit,
    Time,
    Write,
    Truncate,
    Create,
    Mkdir,
    Symlink,
    Mknod,
    Link,
    Unlink,
    Rename,
    Setattr,
    Write2, // more weight for the records that change the most
    Rename2,
    Unlink2,
    Count
};
inline constexpr unsigned kOpCount = static_cast<unsigned>(Op::Count);

// What a WRITE record names for one page (the byte modulo 16).
enum PageKind : std::uint8_t {
    kFreshPage = 0,    // 0..8: a page the slot takes for it
    kOwnAgain = 9,     // 9, 10: a page the slot named before (named twice)
    kOtherSlot = 11,   // a page another slot named
    kLogHead = 12,     // the first log page of some slot
    kFreePage = 13,    // a page nobody owns
    kOutOfRange = 14,  // an owner-table page: the decoder refuses the record
    kSymlinkPage = 15, // a page a SYMLINK record named
};

// The fixed base image (built once) and its names.
struct BaseImage {
    std::vector<std::byte> image;
    std::uint64_t inode_count = 0;
};
const BaseImage &base_image();

// An image: the base with the program's branches and logs.
struct Built {
    std::vector<std::byte> image;
    std::vector<std::uint64_t> inodes; // every inode number the program's records made
};
// Build @program's image into @out (whose memory is reused: a fresh megabyte per run costs
// the fuzzer a quarter of its time in page faults).
void build(std::span<const std::uint8_t> program, Built &out);

} // namespace daxfs_fuzz
