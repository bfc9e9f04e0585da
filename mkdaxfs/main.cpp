// SPDX-License-Identifier: GPL-2.0 OR MIT
// mkdaxfs: build a DAXFS image from a directory (or an existing image) into a file or
// straight into physical memory.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfs/cli.hpp"
#include "daxfs/dax_claim.hpp"
#include "daxfs/dedup.hpp"
#include "daxfs/error.hpp"
#include "daxfs/from_image.hpp"
#include "daxfs/layout.hpp"
#include "daxfs/mount_line.hpp"
#include "daxfs/physmem.hpp"
#include "daxfs/progress.hpp"
#include "daxfs/reader.hpp"
#include "daxfs/region.hpp"
#include "daxfs/scan.hpp"
#include "daxfs/sink.hpp"
#include "daxfs/size.hpp"
#include "daxfs/summary.hpp"
#include "daxfs/validate.hpp"
#include "daxfs/writer.hpp"
#include "heap.hpp"

namespace {

constexpr std::uint64_t kProgressMin = 64u << 20;        // a bar only for images this big
constexpr std::uint64_t kFileDeltaDefault = 64ull << 20; // -b without SIZE, into a file

struct Args {
    std::string directory, output, from, phys, size;
    std::string dax;         // -D DEV: a device-DAX device
    std::string heap, mount; // -H HEAP -m MNT: a new dma-buf, mounted
    bool branching = false;
    std::string delta; // -b SIZE, empty: automatic
    bool quiet = false, json = false;
    bool no_huge_align = false;
    bool no_fold = false;
};

int usage_error(const std::string &msg) { return daxfs::usage_error("mkdaxfs", msg); }

// One line for any command-line problem, exit status 2. Returns -1 to go on.
int parse(int argc, char **argv, Args &a) {
    CLI::App app("Build a DAXFS image from a directory tree, into a file or straight into "
                 "physical memory.",
                 "mkdaxfs");
    app.allow_extras();
    auto *d =
        app.add_option("-d,--directory", a.directory, "Source directory tree")->type_name("DIR");
    auto *f = app.add_option("--from", a.from,
                             "Rebuild from an existing image (fully validated first) instead "
                             "of a directory; of an image with branches, main (the base plus "
                             "every committed branch)")
                  ->type_name("IMAGE");
    auto *o =
        app.add_option("-o,--output", a.output, "Write the image to this file")->type_name("FILE");
    // mkfs(8) runs "mkfs.daxfs [options] FILE": the last operand is the output.
    std::string operand;
    auto *target =
        app.add_option("FILE", operand, "The same as -o FILE (as mkfs -t daxfs passes it)")
            ->type_name("");
    auto *p = app.add_option("-p,--phys", a.phys,
                             "Write the image into physical memory at ADDR through /dev/mem")
                  ->type_name("ADDR");
    app.add_option("-s,--size", a.size,
                   "Bytes of physical memory at ADDR, or of the dma-buf (K/M/G or 0x hex)")
        ->type_name("SIZE");
    auto *dax = app.add_option("-D,--dax", a.dax,
                               "Write the image into the device-DAX device DEV (/dev/daxX.Y) "
                               "through a mapping of it; refused while daxfs is mounted from it")
                    ->type_name("DEV");
    auto *h = app.add_option("-H,--heap", a.heap,
                             "Allocate a dma-buf of SIZE bytes from HEAP (/dev/dma_heap/NAME, "
                             "or /dev/udmabuf for a memfd's pages), write the image into it "
                             "and mount it at MNT (-m)")
                  ->type_name("HEAP");
    auto *m = app.add_option("-m,--mount", a.mount, "Where -H mounts the image (a directory)")
                  ->type_name("MNT");
    auto *b = app.add_option("-b,--branching", a.delta,
                             "Make an image with branches: a branch table and a delta region "
                             "of SIZE bytes for the branches' changes (K/M/G or 0x hex). "
                             "Without SIZE: the rest of the region (-p/-s), of the device (-D, "
                             "or -o of a block device), 64M for a file")
                  ->type_name("[SIZE]")
                  ->expected(0, 1);
    app.add_flag("--no-huge-align", a.no_huge_align,
                 "Pack every file's data one after another (4 KiB aligned) instead of "
                 "starting files of 2 MiB or more on a 2 MiB boundary: a smaller image, "
                 "but the kernel maps those files 4 KiB at a time");
    auto *nf = app.add_flag("--no-fold", a.no_fold,
                            "With branches: leave out folding (feature INCOMPAT_FOLD), for kernels "
                            "older than it. Main's history then never folds: at most 255 commits, "
                            "and their pages stay until the image is rebuilt (mkdaxfs --from)");
    nf->needs(b);
    app.add_flag("-q,--quiet", a.quiet, "Print nothing but errors");
    app.add_flag("--json", a.json, "Print a JSON summary on stdout");
    d->excludes(f);
    o->excludes(p);
    target->excludes(o);
    target->excludes(p);
    dax->excludes(o);
    dax->excludes(p);
    dax->excludes(target);
    h->excludes(o);
    h->excludes(p);
    h->excludes(target);
    h->excludes(dax);
    m->needs(h);
    app.footer(
        "Examples:\n"
        "  mkdaxfs -d rootfs -o rootfs.daxfs\n"
        "  mkdaxfs -d rootfs -p 0x40000000 -s 256M   (then mount the printed line)\n"
        "  mkdaxfs -d rootfs -b -p 0x40000000 -s 1G   (branches in the rest of 1G)\n"
        "  mkdaxfs -d rootfs -b 256M -o rootfs.daxfs  (a 256M delta region)\n"
        "  mkdaxfs -d rootfs -o /dev/pmem0           (fsdax: mount -t daxfs /dev/pmem0 /mnt)\n"
        "  mkdaxfs -d rootfs -b -D /dev/dax0.0       (devdax; prints the mount line)\n"
        "  mkdaxfs -d rootfs -H /dev/dma_heap/system -s 256M -m /mnt -b\n"
        "                                (a new dma-buf, with branches, mounted)\n"
        "  mkdaxfs --from old.daxfs -o new.daxfs     (main of old, flattened)\n\n"
        "The same tree always gives a byte-identical image; timestamps later than\n"
        "SOURCE_DATE_EPOCH (if set) are clamped to it. Modes, owners, timestamps,\n"
        "symlinks, hard links and device nodes/FIFOs/sockets are kept. The data of a\n"
        "file of 2 MiB or more starts on a 2 MiB boundary (smaller files fill the\n"
        "gaps) so that it can be mapped 2 MiB at a time; --no-huge-align packs it.\n"
        "Exit status: 0 success, 1 error, 2 bad command line.");
    if (auto stop = daxfs::parse_command_line(app, argc, argv, "mkdaxfs"))
        return *stop;
    a.branching = b->count() > 0;
    if (!operand.empty())
        a.output = operand;
    if (a.directory.empty() && a.from.empty())
        return usage_error("need -d DIR or --from IMAGE");
    if (a.output.empty() && a.phys.empty() && a.dax.empty() && a.heap.empty())
        return usage_error("need -o FILE, -p ADDR -s SIZE, -D DEV or -H HEAP -s SIZE -m MNT");
    if (!a.heap.empty() && (a.size.empty() || a.mount.empty()))
        return usage_error("-H HEAP needs -s SIZE and -m MNT");
    daxfs::RegionSpec region; // the physical range written to, checked as every tool does
    region.phys = a.phys;
    if (a.heap.empty())
        region.size = a.size;
    if (const std::string why = region.usage_error(); !why.empty())
        return usage_error(why);
    try {
        if (!a.delta.empty())
            daxfs::parse_size(a.delta);
        if (!a.heap.empty())
            daxfs::parse_size(a.size);
    } catch (const daxfs::Error &e) {
        return usage_error(e.what());
    }
    return -1;
}

std::string mount_size(std::uint64_t size) {
    if (size % (1u << 20) == 0)
        return fmt::format("{}M", size >> 20);
    return fmt::format("{}", size);
}

std::string mount_line(const Args &a) {
    if (!a.heap.empty()) // mounted already
        return "";
    if (!a.dax.empty())
        return daxfs::dax_mount_line(a.dax);
    if (!a.output.empty())
        return daxfs::block_mount_line(a.output);
    return fmt::format("mount -t daxfs -o phys=0x{:x},size={} none /mnt", daxfs::parse_size(a.phys),
                       mount_size(daxfs::parse_size(a.size)));
}

// The output must not be the image we read from: truncating it would pull the tree away.
void refuse_same_file(const std::string &from, const std::string &out) {
    struct stat a, b;
    if (!::stat(from.c_str(), &a) && !::stat(out.c_str(), &b) && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        throw daxfs::Error(EINVAL, fmt::format("'{}' is both input and output", out));
}

void print_summary(const Args &a, const daxfs::Layout &l, double seconds) {
    const daxfs::Counts &c = l.counts;
    if (a.json) {
        nlohmann::json j = daxfs::counts_json(c);
        j["image_bytes"] = l.image_size;
        j["huge_files"] = l.huge_files;
        j["huge_pad_bytes"] = l.huge_pad;
        if (l.branching())
            j["delta_bytes"] = l.delta_size;
        j["seconds"] = seconds;
        if (!a.output.empty())
            j["output"] = a.output;
        if (!a.dax.empty())
            j["dax"] = a.dax;
        if (!a.heap.empty())
            j["mounted"] = a.mount;
        else if (const std::string line = mount_line(a); !line.empty())
            j["mount"] = line;
        fmt::print("{}\n", j.dump());
    } else if (!a.quiet) {
        fmt::print(stderr,
                   "mkdaxfs: {} inodes ({} files, {} dirs, {} symlinks, {} hard links, {} "
                   "special), {} of data, image {} ({} bytes){}{}, {:.2f} s\n",
                   c.inodes, c.files, c.dirs, c.symlinks, c.hardlinks, c.specials,
                   daxfs::human_bytes(c.data_bytes), daxfs::human_bytes(l.image_size), l.image_size,
                   l.huge_pad ? fmt::format(" ({} of it padding before {} files of 2 MiB or more)",
                                            daxfs::human_bytes(l.huge_pad), l.huge_files)
                              : "",
                   l.branching()
                       ? fmt::format(" with a {} delta region", daxfs::human_bytes(l.delta_size))
                       : "",
                   seconds);
    }
}

// The delta region -b asks for: SIZE, else the rest of the region (-s) or a default.
void size_delta_region(const Args &a, daxfs::Layout &l) {
    std::uint64_t want = kFileDeltaDefault;
    if (!a.delta.empty()) {
        want = daxfs::parse_size(a.delta);
    } else if (const auto device = daxfs::block_device_size(a.output);
               !a.phys.empty() || !a.dax.empty() || !a.heap.empty() || device) {
        const std::uint64_t region = !a.phys.empty() || !a.heap.empty() ? daxfs::parse_size(a.size)
                                     : device                           ? *device
                                              : daxfs::find_dax_device(a.dax).size;
        daxfs::check_fits(l.base_size + daxfs::kMinDeltaSize, region);
        want = region - l.base_size;
    }
    daxfs::set_delta_size(l, want);
}

int run(const Args &a) {
    const auto start = std::chrono::steady_clock::now();
    std::optional<daxfs::DaxDevice> dax; // checked before the tree is read
    if (!a.dax.empty())
        dax = daxfs::dax_device_for_writing(a.dax);
    std::optional<daxfs::Image> source;
    daxfs::Tree tree;
    if (!a.from.empty()) {
        if (!a.output.empty())
            refuse_same_file(a.from, a.output);
        source.emplace(daxfs::Image::open_file(a.from));
        tree = daxfs::tree_from_image(*source);
    } else {
        daxfs::ScanOptions opts{daxfs::source_date_epoch(), {}};
        struct stat out;
        if (!a.output.empty() && !::stat(a.output.c_str(), &out) && S_ISREG(out.st_mode))
            opts.exclude = {out.st_dev, out.st_ino}; // an older image inside the tree
        tree = daxfs::scan_tree(a.directory, opts);
    }
    daxfs::find_duplicates(tree);
    daxfs::Layout layout = daxfs::plan_layout(tree, a.branching,
                                              a.no_huge_align ? daxfs::Placement::packed
                                                              : daxfs::Placement::huge_aligned);
    if (a.branching)
        size_delta_region(a, layout);
    layout.fold = !a.no_fold;

    std::unique_ptr<daxfs::ProgressBar> bar;
    if (!a.quiet && layout.base_size >= kProgressMin && ::isatty(STDERR_FILENO))
        bar = std::make_unique<daxfs::ProgressBar>(stderr);
    daxfs::ProgressFn progress;
    if (bar)
        progress = [&](std::uint64_t done, std::uint64_t total) { bar->update(done, total); };

    // Write the image into memory and check that it reads back.
    auto write_memory = [&](std::span<std::byte> mem, const char *what) {
        daxfs::MemorySink sink(mem);
        daxfs::write_image(tree, layout, sink, progress);
        bar.reset();
        std::uint64_t leaked = 0;
        auto v = daxfs::validate_all(mem, leaked);
        if (!v.ok)
            throw daxfs::Error(EIO,
                               fmt::format("image in {} does not read back: {}", what, v.message));
    };
    if (!a.heap.empty()) {
        const std::uint64_t size = daxfs::parse_size(a.size);
        daxfs::check_fits(layout.image_size, size); // before allocating
        mkdaxfs::write_to_heap(a.heap, size, a.mount,
                               [&](std::span<std::byte> mem) { write_memory(mem, "the dma-buf"); });
    } else if (!a.phys.empty()) {
        const std::uint64_t addr = daxfs::parse_size(a.phys);
        const std::uint64_t size = daxfs::parse_size(a.size);
        daxfs::check_fits(layout.image_size, size); // before touching memory
        daxfs::Mapping mem = daxfs::map_phys(addr, size, true);
        write_memory(mem.bytes(), "physical memory");
    } else if (dax) {
        daxfs::check_fits(layout.image_size, dax->size); // before touching the device
        daxfs::Mapping mem = daxfs::claim_dax_device(*dax);
        write_memory(mem.bytes(), dax->path().c_str());
    } else {
        daxfs::FileSink sink(a.output);
        daxfs::write_image(tree, layout, sink, progress);
        bar.reset();
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    print_summary(a, layout, took.count());
    if (const std::string line = mount_line(a); !line.empty() && !a.json && !a.quiet)
        fmt::print("{}\n", line);
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    Args a;
    if (int rc = parse(argc, argv, a); rc >= 0)
        return rc;
    try {
        return run(a);
    } catch (const std::exception &e) {
        fmt::print(stderr, "mkdaxfs: {}\n", e.what());
        return 1;
    }
}
