// SPDX-License-Identifier: GPL-2.0 OR MIT
// fsck.daxfs: check an image with fsck(8) conventions. DAXFS base images are read-only
// and never repaired, so -y/-a/-p only change nothing: errors stay uncorrected.
#include <cstring>
#include <fmt/format.h>
#include <string>

#include "commands.hpp"
#include "daxfs/error.hpp"
#include "daxfs/validate.hpp"
#include "describe.hpp"

namespace inspect {

namespace {

enum FsckExit { kClean = 0, kUncorrected = 4, kOperational = 8, kUsage = 16 };

int usage(const std::string &msg) {
    fmt::print(stderr, "fsck.daxfs: {} (see fsck.daxfs --help)\n", msg);
    return kUsage;
}

void help() {
    fmt::print("Usage: fsck.daxfs [-n|-y|-f|-a|-p] [-v] IMAGE\n"
               "       fsck.daxfs [-n|-y|-f|-a|-p] [-v] -D|--dax DEV\n"
               "       fsck.daxfs --version\n"
               "IMAGE is an image file or a block device (/dev/pmem0); -D DEV reads the\n"
               "device-DAX device DEV (/dev/daxX.Y) through a mapping of it.\n"
               "Check a DAXFS image completely with the shared validator; with branches\n"
               "also the branch table, the owner table and every log, replayed (-v counts\n"
               "leaked delta pages, which are not an error).\n"
               "Images are never modified: -y, -a and -p cannot repair anything.\n"
               "Exit status: 0 clean, 4 errors left uncorrected, 8 operational error,\n"
               "16 usage error.\n");
}

} // namespace

int fsck_main(int argc, char **argv) {
    std::string image, dax;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!std::strcmp(arg, "-D") || !std::strcmp(arg, "--dax")) {
            if (i + 1 == argc)
                return usage(fmt::format("{} needs a DEV", arg));
            dax = argv[++i];
            continue;
        }
        if (!std::strncmp(arg, "--dax=", 6)) {
            dax = arg + 6;
            continue;
        }
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            help();
            return kClean;
        }
        if (!std::strcmp(arg, "--version")) {
            fmt::print("fsck.daxfs {}\n", DAXFS_RELEASE);
            return kClean;
        }
        if (arg[0] == '-' && arg[1]) {
            for (const char *c = arg + 1; *c; c++) {
                if (*c == 'v')
                    verbose = true;
                else if (!std::strchr("nyfap", *c))
                    return usage(fmt::format("unknown option -{}", *c));
            }
            continue;
        }
        if (!image.empty())
            return usage(fmt::format("unexpected argument {}", arg));
        image = arg;
    }
    if (!image.empty() && !dax.empty())
        return usage("give an IMAGE or -D DEV, not both");
    if (image.empty() && dax.empty())
        return usage("need an IMAGE (or -D DEV)");
    if (image.empty())
        image = dax; // how messages name it
    try {
        SourceSpec spec;
        (dax.empty() ? spec.image : spec.dax) = image;
        Source source(spec);
        std::uint64_t leaked = 0;
        const daxfs::Validation v = daxfs::validate_all(source.bytes(), leaked);
        if (!v.ok) {
            fmt::print("fsck.daxfs: {}: {} ({}), not corrected\n", image, v.message,
                       errno_name(v.err));
            return kUncorrected;
        }
        if (verbose)
            fmt::print("fsck.daxfs: {}: clean{}\n", image,
                       leaked ? fmt::format(", {} leaked delta pages", leaked) : "");
        return kClean;
    } catch (const std::exception &e) {
        fmt::print(stderr, "fsck.daxfs: {}\n", e.what());
        return kOperational;
    }
}

} // namespace inspect
