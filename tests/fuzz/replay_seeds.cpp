// SPDX-License-Identifier: GPL-2.0 OR MIT
// replay_seeds DIR: write the seed programs of fuzz_replay (replay_program.hpp) into DIR.
// Pool positions are those of the fixed base: inodes 1 /, 2 chr, 3 d, 4 e, 5 f (and d/hl),
// 6 fifo, 7 keep, 8 ln, 9 d/b, 10 d/sub, then the created ones; directories /, d, e, sub;
// regular files f, keep, d/b; names f keep d b sub hl ln e fifo chr F Keep n0 n1 n2 x; base entries
// / (chr d e f fifo keep ln) then d (b hl sub).
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "replay_program.hpp"

namespace {

using daxfs_fuzz::Op;

// Pool positions, as the comment above.
enum : std::uint8_t { kRootDir = 0, kDirD = 1, kDirE = 2, kDirSub = 3 };
enum : std::uint8_t { iKeep = 6, iD = 2, iSub = 9, iLn = 7 };
enum : std::uint8_t { fF = 0, fKeep = 1, fB = 2, fNew = 3, kNotFile = 200 };
enum : std::uint8_t { nF, nKeep, nD, nB, nSub, nHl, nLn, nE, nFifo, nChr, nCapF, nCapKeep, n0 };
enum : std::uint8_t { eRootD = 1, eRootF = 3, eRootKeep = 5, eDSub = 9 };
constexpr std::uint8_t kSize9000 = 7, kSize100 = 2, kSize0 = 0;

struct Program {
    std::vector<std::uint8_t> bytes;
    Program &op(Op kind, std::initializer_list<std::uint8_t> args) {
        bytes.push_back(static_cast<std::uint8_t>(kind));
        bytes.insert(bytes.end(), args);
        return *this;
    }
};

void save(const std::string &dir, const std::string &name, const Program &p) {
    std::ofstream out(dir + "/" + name, std::ios::binary);
    out.write(reinterpret_cast<const char *>(p.bytes.data()),
              static_cast<std::streamsize>(p.bytes.size()));
    if (!out)
        throw std::runtime_error("cannot write " + dir + "/" + name);
}

} // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: replay_seeds DIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    using daxfs_fuzz::kFreshPage, daxfs_fuzz::kFreePage, daxfs_fuzz::kLogHead,
        daxfs_fuzz::kOtherSlot;
    // A branch that creates, writes, moves and links: everything fits.
    save(dir, "good-branch",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Create, {0, kRootDir, n0, 0})
             .op(Op::Write, {0, fNew, kSize9000, 2, 0, kFreshPage, 0, 1, kFreshPage, 0})
             .op(Op::Rename, {0, 0, eDSub, kRootDir, n0 + 3, 0})
             .op(Op::Symlink, {0, kRootDir, n0 + 1, 0, 0, 1})
             .op(Op::Mkdir, {0, kDirE, n0 + 2, 0})
             .op(Op::Link, {0, fB, kDirE, nCapF})
             .op(Op::Setattr, {0, iKeep, 0x1f, 0x55, 0x01, 7, 8, 3, 250})
             .op(Op::Truncate, {0, fF, kSize100}));
    // A committed branch, and a child of it that unlinks and renames over names.
    save(dir, "commit-child",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Write, {0, fF, kSize9000, 1, 2, kFreshPage, 0})
             .op(Op::Mknod, {0, kDirD, n0, 0, 1})
             .op(Op::Commit, {0})
             .op(Op::Branch, {1})
             .op(Op::Time, {130})
             .op(Op::Unlink, {1, 0, eRootKeep})
             .op(Op::Rename, {1, 0, eRootF, kRootDir, nLn, 0})
             .op(Op::Rename, {1, 0, eRootD, kDirE, nCapKeep, 2}));
    // WRITE records naming pages the slot does not own: another slot's, a log page, a
    // free one; in two files, so the page check meets two faults.
    save(dir, "foreign-pages",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Write, {0, fF, kSize9000, 1, 0, kFreshPage, 0})
             .op(Op::Branch, {0})
             .op(Op::Write, {1, fKeep, kSize9000, 2, 0, kOtherSlot, 0, 1, kLogHead, 0})
             .op(Op::Write, {1, fB, kSize9000, 1, 0, kFreePage, 0}));
    // Two faults in one slot's page check: a symlink target with a NUL (inode 11) and a
    // free page (inode 7). Every view names inode 7, the first in number order.
    save(dir, "page-faults",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Symlink, {0, kRootDir, n0, 0, 1, 1})
             .op(Op::Write, {0, fKeep, kSize9000, 1, 0, kFreePage, 0}));
    // A rename cycle, then what a child of it would do.
    save(dir, "rename-cycle",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Rename, {0, 0, eRootD, kDirSub, n0, 0})
             .op(Op::Branch, {1})
             .op(Op::Create, {1, kDirSub, n0 + 1, 0}));
    // Names that differ from existing ones only in case, hard links, directories removed.
    save(dir, "names",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Create, {0, kRootDir, nCapF, 0})
             .op(Op::Link, {0, fF, kDirD, nCapKeep})
             .op(Op::Unlink, {0, 0, eRootF})
             .op(Op::Unlink, {0, 0, eDSub})
             .op(Op::Mkdir, {0, kDirSub, n0, 0})
             .op(Op::Rename, {0, 0, eRootKeep, kRootDir, nCapKeep, 1})
             .op(Op::Create, {0, kRootDir, nF, 0})
             .op(Op::Symlink, {0, kDirE, nE, 0, 1, 1}));
    // Records that do not fit: a symlink target with a NUL, a WRITE past the size, a
    // directory linked, an inode number in use.
    save(dir, "misfits",
         Program{}
             .op(Op::Branch, {0})
             .op(Op::Branch, {0})
             .op(Op::Branch, {0})
             .op(Op::Symlink, {0, kRootDir, n0, 0, 1, 1})
             .op(Op::Write, {1, fF, kSize0, 1, 3, kFreshPage, 0})
             .op(Op::Link, {2, kNotFile, iD, kRootDir, n0})
             .op(Op::Create, {2, kRootDir, n0 + 1, 255, iSub})
             .op(Op::Setattr, {2, iLn, 0x10, 0, 0, 0, 0, 0, 128}));
    return 0;
}
