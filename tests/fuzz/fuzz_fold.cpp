// SPDX-License-Identifier: GPL-2.0 OR MIT
// libFuzzer target over folding (common/daxfs_fold.c): the input is a program
// (replay_program.hpp) of branches and records over a fixed small base image. When main's
// view of the image it builds is one the rules accept, the view is folded, the fold becomes
// main alone, and main's view is compared with the one before (tests/unit/fold_check.cpp):
// the fold must never fail, its records must fit, and the views must be the same, else the
// target aborts with the difference printed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "../unit/fold_check.hpp"
#include "daxfs/error.hpp"
#include "daxfs/replay.hpp"
#include "replay_program.hpp"

namespace {

constexpr std::int64_t kFoldTime = 1900000000000000001;

[[noreturn]] void failed(const char *what, const std::string &why) {
    std::fprintf(stderr, "fuzz_fold: %s: %s\n", what, why.c_str());
    std::abort();
}

// Main's view of @image is one the rules accept (so it can be folded).
bool foldable(const std::vector<std::byte> &image) {
    try {
        const daxfs::Image img(image);
        (void)daxfs::replay_view(img, "main");
        return true;
    } catch (const daxfs::Error &) {
        return false;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static daxfs_fuzz::Built built;
    daxfs_fuzz::build({data, size}, built);
    if (!foldable(built.image))
        return 0;
    testing_daxfs::Folded f;
    try {
        f = testing_daxfs::fold_main(built.image, kFoldTime);
    } catch (const daxfs::Error &e) {
        failed("fold refused", e.what());
    } catch (const std::runtime_error &e) {
        return 0; // the delta region has no room for the fold's log
    }
    if (!f.diff.empty())
        failed("views differ", f.diff);
    return 0;
}
