// SPDX-License-Identifier: GPL-2.0 OR MIT
// daxfs-branch: create, commit, abort, list and diff DAXFS branches; fold main's history.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <functional>

#include "commands.hpp"
#include "daxfs/cli.hpp"
#include "daxfs/error.hpp"
#include "daxfs/size.hpp"

namespace {

constexpr const char *kProg = "daxfs-branch";

int usage_error(const std::string &msg) { return daxfs::usage_error(kProg, msg); }

struct Options {
    branch::CreateArgs create;
    branch::Where where;
    std::vector<std::string> operands;
    std::string mnt;
    bool json = false;
    bool watch = false;
};

void add_where(CLI::App *sub, Options &o, const std::string &operands) {
    sub->add_option("operands", o.operands, operands)->type_name("");
    daxfs::add_region_options(*sub, o.where, true);
    sub->add_flag("--json", o.json, "JSON output");
}

// The image operand or other source of list/diff; @n operands come before it.
int settle_where(Options &o, std::size_t n, const char *cmd) {
    if (o.operands.size() > n + 1)
        return usage_error(fmt::format("{}: unexpected argument {}", cmd, o.operands.back()));
    if (o.operands.size() == n + 1) {
        o.where.image = o.operands.back();
        o.operands.pop_back();
    }
    if (const std::string why = o.where.usage_error(); !why.empty())
        return usage_error(fmt::format("{}: {}", cmd, why));
    return -1;
}

// create NAME -p PARENT -m MNT, or attach NAME -m MNT (an existing branch).
void add_mount_command(CLI::App &app, Options &o, std::function<int()> &run, bool attach) {
    auto *sub = app.add_subcommand(
        attach ? "attach" : "create",
        attach ? "Mount the existing active branch NAME (that has no mount) writable at MNT "
                 "(mount(2) of -t daxfs -o phys=..,size=..,branch=NAME)"
               : "Create branch NAME under PARENT and mount it writable at MNT (mount(2) of "
                 "-t daxfs -o phys=..,size=..,branch=NAME,parent=PARENT)");
    sub->add_option("name", o.create.name, "Branch name: 1..47 bytes of [A-Za-z0-9._-]")
        ->required();
    if (!attach)
        sub->add_option("-p,--parent", o.create.parent,
                        "Parent branch: main (default) or a branch name")
            ->type_name("PARENT");
    sub->add_option("-m,--mount", o.create.mnt, "Mount point (an existing directory)")
        ->type_name("MNT")
        ->required();
    auto *cp = sub->add_option("--phys", o.create.region.phys, "Physical address of the region")
                   ->type_name("ADDR");
    auto *cs =
        sub->add_option("--size", o.create.region.size, "Bytes of the region (K/M/G, 0x hex)")
            ->type_name("SIZE");
    auto *cf = sub->add_option("--from", o.create.region.mount,
                               "Take phys and size (and dax=, the block device, or the "
                               "dma-buf) from the daxfs mount at MNT2")
                   ->type_name("MNT2");
    auto *cd = sub->add_option("-D,--dax", o.create.region.dax,
                               "The region is the device-DAX device DEV (its range from "
                               "libdaxctl; mounted with dax=DEV)")
                   ->type_name("DEV");
    cp->excludes(cf);
    cs->excludes(cf);
    cd->excludes(cp);
    cd->excludes(cf);
    sub->footer("Without --phys/--size, -D or --from, the region comes from /proc/mounts if "
                "exactly one daxfs region is mounted (e.g. main at /mnt). A region inside a "
                "device-DAX device is mounted with dax=NAME.");
    sub->callback([&o, &run, attach] {
        run = [&o, attach] {
            if (const std::string why = o.create.region.usage_error(); !why.empty())
                return usage_error(why);
            if (attach)
                o.create.parent.clear();
            return branch::cmd_create(o.create);
        };
    });
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app("Create, attach, commit, abort, list and diff the branches of a DAXFS region; "
                 "fold main's history (gc).",
                 kProg);
    app.require_subcommand(1);
    app.allow_extras();
    Options o;
    std::function<int()> run;

    add_mount_command(app, o, run, false);
    add_mount_command(app, o, run, true);

    for (const char *name : {"commit", "abort"}) {
        const bool commit = std::string(name) == "commit";
        auto *sub = app.add_subcommand(
            name, commit ? "Make the branch mounted at MNT (and its chain) the new main, in "
                           "one atomic step; fails with \"commit lost\" if another branch "
                           "was committed first"
                         : "Discard the branch mounted at MNT and its uncommitted ancestors; "
                           "the mount returns ESTALE until unmounted");
        sub->add_option("-m,--mount", o.mnt, "Mount point of the branch")
            ->type_name("MNT")
            ->required();
        sub->callback([&o, &run, commit] {
            run = [&o, commit] {
                return commit ? branch::cmd_commit(o.mnt) : branch::cmd_abort(o.mnt);
            };
        });
    }

    auto *info = app.add_subcommand("info", "What the mount at MNT shows (DAXFS_IOC_INFO)");
    info->add_option("-m,--mount", o.mnt, "Mount point")->type_name("MNT")->required();
    info->add_flag("--json", o.json, "JSON output");
    info->callback([&] { run = [&] { return branch::cmd_info(o.mnt, o.json); }; });

    auto *gc = app.add_subcommand(
        "gc", "Fold main's history now (DAXFS_IOC_FOLD through the mount of main, or of a "
              "committed branch, at MNT): main's chain becomes one log, and the slots and pages "
              "of the history it replaces are freed once every mount has seen the fold");
    gc->add_option("-m,--mount", o.mnt, "Mount point of main (or of a committed branch)")
        ->type_name("MNT")
        ->required();
    gc->add_flag("--json", o.json, "JSON output");
    gc->callback([&] { run = [&] { return branch::cmd_gc(o.mnt, o.json); }; });

    auto *list = app.add_subcommand(
        "list", "List the branches: name, parent, state (main, active, stale: invalidated by "
                "another commit or an abort, committed, fold: where main's chain starts, "
                "folded: history a fold replaced, being freed, dead), bytes used, mounts; then "
                "main's history. Reads IMAGE, --phys/--size, the region of -m MNT, or the one "
                "region mounted");
    add_where(list, o, "[IMAGE]: an image file");
    list->add_flag("--watch", o.watch,
                   "Look twice, a lease (5 s) apart: a mount whose heartbeat did not move is "
                   "shown as stopped (its kernel stopped or died), one whose heartbeat moved as "
                   "beating; without it a mounted branch's holder is unwatched");
    list->callback([&] {
        run = [&] {
            if (int rc = settle_where(o, 0, "list"); rc >= 0)
                return rc;
            return branch::cmd_list(o.where, o.json, o.watch);
        };
    });

    auto *diff = app.add_subcommand(
        "diff", "What branch NAME added, modified and deleted against its parent (as it was "
                "when NAME was created), with sizes. NAME may be left out with -m MNT");
    add_where(diff, o, "NAME [IMAGE]: the branch, then an image file");
    diff->callback([&] {
        run = [&] {
            // NAME [IMAGE]; with -m MNT the NAME may be left out (the mounted branch).
            const std::size_t names =
                !o.where.mount.empty() && o.operands.size() <= 1 ? o.operands.size() : 1;
            if (int rc = settle_where(o, names, "diff"); rc >= 0)
                return rc;
            if (o.operands.empty() && o.where.mount.empty())
                return usage_error("diff needs a branch NAME (or -m MNT of a branch mount)");
            return branch::cmd_diff(o.where, o.operands.empty() ? "" : o.operands[0], o.json);
        };
    });

    app.footer("Examples:\n"
               "  mkdaxfs -d rootfs -b -p 0x40000000 -s 1G\n"
               "  mount -t daxfs -o phys=0x40000000,size=1G none /mnt        (main, read-only)\n"
               "  daxfs-branch create work -p main -m /mnt/work\n"
               "  daxfs-branch diff work -m /mnt/work\n"
               "  daxfs-branch commit -m /mnt/work\n"
               "  daxfs-branch gc -m /mnt\n"
               "  daxfs-branch list --json image.daxfs\n"
               "Exit status: 0 success, 1 error (a lost commit too), 2 bad command line.");
    if (auto stop = daxfs::parse_command_line(app, argc, argv, kProg))
        return *stop;
    try {
        return run();
    } catch (const daxfs::Error &e) {
        fmt::print(stderr, "{}: {}\n", kProg, e.what());
        return 1;
    } catch (const std::exception &e) {
        fmt::print(stderr, "{}: {}\n", kProg, e.what());
        return 1;
    }
}
