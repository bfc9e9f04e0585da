// SPDX-License-Identifier: GPL-2.0 OR MIT
// Random programs of records that all fit the view they go into: a small model of the tree
// (names, directories, link counts) picks each operation's arguments so that the shared
// rules accept it, and a LogWriter appends it. For tests that need many valid views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace daxfs {
class Overlay;
}

namespace testing_daxfs {

// Write @ops random records into branches of @img (an image with branches whose main is
// @base, main's view of it), committing them into main as it goes, from @seed.
void write_random_program(std::vector<std::byte> &img, const daxfs::Overlay &base,
                          std::uint32_t seed, int ops);

} // namespace testing_daxfs
