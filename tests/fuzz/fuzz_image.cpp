// SPDX-License-Identifier: GPL-2.0 OR MIT
// libFuzzer target: the input is an image. The validator runs on it and, whatever it says,
// the reader walks every inode, entry, file byte and link target. Nothing may crash, hang
// or read outside the input (ASan). An image the validator accepts must also rebuild into
// an image it accepts, byte-identical when rebuilt again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <sys/stat.h>
#include <vector>

#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"

namespace {

volatile std::uint8_t sink_byte; // keeps the reads of file bytes from being optimised away

void touch(std::span<const std::byte> bytes) {
    std::uint8_t x = 0;
    for (std::byte b : bytes)
        x ^= static_cast<std::uint8_t>(b);
    sink_byte = x;
}

void read_inode_contents(const daxfs::Image &img, const daxfs_ino &in) {
    if (S_ISREG(in.mode))
        touch(img.file_data(in));
    else if (S_ISLNK(in.mode))
        touch(std::as_bytes(std::span(img.link_target(in))));
}

// Every inode of the table, by number.
void walk_table(const daxfs::Image &img) {
    for (std::uint64_t ino = 1; ino <= img.geo().inode_count; ino++) {
        try {
            read_inode_contents(img, img.inode(ino));
        } catch (const daxfs::Error &) {
        }
    }
}

// The directory graph from the root; each directory is entered once, so cycles end.
void walk_tree(const daxfs::Image &img) {
    std::vector<bool> seen(img.geo().inode_count + 1);
    std::vector<daxfs_ino> dirs{img.root()};
    seen[DAXFS_ROOT_INO] = true;
    for (std::size_t d = 0; d < dirs.size(); d++) {
        const daxfs_ino dir = dirs[d];
        const std::uint64_t count = img.entry_count(dir);
        for (std::uint64_t i = 0; i < count; i++) {
            try {
                const daxfs::Dirent de = img.entry(dir, i);
                img.find(dir, de.name);
                const daxfs_ino child = img.child(de);
                read_inode_contents(img, child);
                if (S_ISDIR(child.mode) && !seen[child.ino]) {
                    seen[child.ino] = true;
                    dirs.push_back(child);
                }
            } catch (const daxfs::Error &) {
            }
        }
    }
}

std::vector<std::byte> rebuild(const daxfs::Image &img) {
    const daxfs::Tree tree = daxfs::tree_from_image(img);
    const daxfs::Layout layout = daxfs::plan_layout(tree);
    daxfs::VectorSink out;
    daxfs::write_image(tree, layout, out);
    return std::move(out.bytes);
}

void check_one(std::span<const std::byte> region) {
    const daxfs::Validation v = daxfs::validate_image(region);
    try {
        const daxfs::Image img(region);
        walk_table(img);
        walk_tree(img);
        if (v.ok) {
            const std::vector<std::byte> once = rebuild(img);
            const daxfs::Image again(once);
            if (!daxfs::validate_image(once).ok || rebuild(again) != once)
                std::abort(); // the writer made an image the validator refuses, or unstable
        }
    } catch (const daxfs::Error &) {
        if (v.ok)
            std::abort(); // a validated image must read without error
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    const std::span<const std::byte> input(reinterpret_cast<const std::byte *>(data), size);
    check_one(input);
    // Most mutations break the superblock checksum; check the same bytes with a correct one
    // too, so the fuzzer gets past it into the inodes and directories.
    if (size >= sizeof(daxfs_super)) {
        std::vector<std::byte> fixed(input.begin(), input.end());
        daxfs_super sb;
        std::memcpy(&sb, fixed.data(), sizeof(sb));
        const std::uint32_t csum = cpu_to_le32(daxfs_super_csum(&sb));
        if (csum != sb.checksum) {
            sb.checksum = csum;
            std::memcpy(fixed.data(), &sb, sizeof(sb));
            check_one(fixed);
        }
    }
    return 0;
}
