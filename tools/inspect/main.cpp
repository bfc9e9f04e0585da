// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-inspect: check, summarise, list, print and extract DAXFS images offline, from a
// file or a physical memory range. Run as fsck.daxfs it behaves as fsck(8) expects.
#include <CLI/CLI.hpp>
#include <cstring>
#include <fmt/format.h>
#include <functional>
#include <libgen.h>
#include <utility>

#include "commands.hpp"
#include "daxfs/cli.hpp"
#include "daxfs/error.hpp"
#include "daxfs/region.hpp"

namespace {

int usage_error(const std::string &msg) { return daxfs::usage_error("daxfs-inspect", msg); }

bool invoked_as_fsck(const char *argv0) {
    const char *slash = std::strrchr(argv0, '/');
    return !std::strcmp(slash ? slash + 1 : argv0, "fsck.daxfs");
}

struct Options {
    inspect::SourceSpec src;
    std::vector<std::string> args; // [IMAGE] then the subcommand's own operands
    bool json = false;
    bool long_format = false;
    std::string branch = "main";
};

struct Command {
    const char *name;
    const char *help;
    const char *operands; // after IMAGE
    std::size_t min, max; // operand counts, IMAGE excluded
    bool json;
    std::function<int(const Options &)> run;
    bool image = true;   // takes an IMAGE (or --phys/--size)
    bool branch = false; // reads a view: --branch NAME
};

std::string operand(const Options &o, std::size_t i, const char *fallback) {
    return i < o.args.size() ? o.args[i] : fallback;
}

const std::vector<Command> &commands() {
    static const std::vector<Command> list = {
        {"check",
         "Validate the whole image with the shared checker (with branches: the branch "
         "table, owner table and every log, replayed); prints OK or the reason",
         "", 0, 0, true, [](const Options &o) { return inspect::cmd_check(o.src, o.json); }},
        {"info", "Summary: sizes, counts, uuid, features; the branches and live words", "", 0, 0,
         true, [](const Options &o) { return inspect::cmd_info(o.src, o.json); }},
        {"ls", "List a directory (default /)", "[PATH]", 0, 1, false,
         [](const Options &o) {
             return inspect::cmd_ls(o.src, o.branch, operand(o, 0, "/"), o.long_format);
         },
         true, true},
        {"cat", "Print a regular file", "PATH", 1, 1, false,
         [](const Options &o) { return inspect::cmd_cat(o.src, o.branch, o.args[0]); }, true, true},
        {"stat", "Show an inode", "PATH", 1, 1, true,
         [](const Options &o) { return inspect::cmd_stat(o.src, o.branch, o.args[0], o.json); },
         true, true},
        {"extract",
         "Recreate the whole tree in DIR (types, modes, owners, mtimes, links); "
         "without root, device nodes are skipped with a warning and the exit status is 1",
         "DIR", 1, 1, false,
         [](const Options &o) { return inspect::cmd_extract(o.src, o.branch, o.args[0]); }, true,
         true},
        {"log",
         "Print the log records of a view's chain, oldest first (--branch NAME; default main: "
         "the committed chain)",
         "", 0, 0, true, [](const Options &o) { return inspect::cmd_log(o.src, o.branch, o.json); },
         true, true},
        {"devices", "List persistent-memory ranges and DAX devices an image can be written to", "",
         0, 0, true, [](const Options &o) { return inspect::cmd_devices(o.json); }, false},
    };
    return list;
}

bool is_command(const char *arg) {
    for (const Command &c : commands())
        if (!std::strcmp(arg, c.name))
            return true;
    return false;
}

} // namespace

int main(int argc, char **argv) {
    if (argc > 0 && invoked_as_fsck(argv[0]))
        return inspect::fsck_main(argc, argv);
    // "daxfs-inspect IMAGE check" reads as "daxfs-inspect check IMAGE".
    if (argc > 2 && argv[1][0] != '-' && !is_command(argv[1]) && is_command(argv[2]))
        std::swap(argv[1], argv[2]);

    CLI::App app("Inspect a DAXFS image offline: an image file (IMAGE operand) or physical "
                 "memory (--phys ADDR --size SIZE, then no IMAGE operand).",
                 "daxfs-inspect");
    app.require_subcommand(1);
    app.fallthrough();
    app.allow_extras();
    Options o;
    daxfs::add_region_options(app, o.src, false);
    app.footer("Examples:\n"
               "  daxfs-inspect check rootfs.daxfs       (or: daxfs-inspect rootfs.daxfs check)\n"
               "  daxfs-inspect ls -l rootfs.daxfs /etc\n"
               "  daxfs-inspect --phys 0x40000000 --size 256M cat /etc/os-release\n"
               "Exit status: 0 success, 1 error or invalid image, 2 bad command line.\n"
               "Installed also as fsck.daxfs, which follows fsck(8) exit codes.");
    const Command *chosen = nullptr;
    for (const Command &c : commands()) {
        auto *sub = app.add_subcommand(c.name, c.help);
        sub->allow_extras();
        if (c.image)
            sub->add_option("operands", o.args, std::string("IMAGE (unless --phys) ") + c.operands);
        if (c.json)
            sub->add_flag("--json", o.json, "JSON output");
        if (std::string(c.name) == "ls")
            sub->add_flag("-l", o.long_format, "Long listing");
        if (c.branch)
            sub->add_option("--branch", o.branch,
                            "Read what branch NAME shows (default main: the base image plus "
                            "every committed branch)")
                ->type_name("NAME");
        sub->callback([&chosen, &c]() { chosen = &c; });
    }
    if (auto stop = daxfs::parse_command_line(app, argc, argv, "daxfs-inspect"))
        return *stop;
    if (!chosen)
        return usage_error("need a subcommand");
    if (const std::string why = o.src.usage_error(); !why.empty())
        return usage_error(why);
    if (o.src.empty() && chosen->image) {
        if (o.args.empty())
            return usage_error(fmt::format("{} needs an IMAGE", chosen->name));
        o.src.image = o.args.front();
        o.args.erase(o.args.begin());
    }
    if (o.args.size() < chosen->min || o.args.size() > chosen->max)
        return usage_error(fmt::format("usage: {} {}", chosen->name, chosen->operands));
    try {
        return chosen->run(o);
    } catch (const std::exception &e) {
        fmt::print(stderr, "daxfs-inspect: {}\n", e.what());
        return 1;
    }
}
