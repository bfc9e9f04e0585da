// SPDX-License-Identifier: GPL-2.0 OR MIT
// mount.daxfs: the mount(8) helper for daxfs. mount(8) runs it as
//   mount.daxfs SOURCE DIR [-sfnv] [-N NS] [-o OPTIONS] [-t daxfs]
// When the mount names a device-DAX device (-o dax=/dev/dax0.0, or /dev/dax0.0 as the
// SOURCE) and no phys=, it asks libdaxctl for the device's physical range and adds
// phys=,size=,dax=; everything else passes through. libmount does the mount(2) (flags such
// as ro or nosuid, /run/mount/utab). Exit status as mount(8)'s: 0, 1 usage or permissions,
// 32 the mount failed.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fmt/format.h>
#include <libmount/libmount.h>
#include <memory>
#include <sys/stat.h>

#include "daxfs/cli.hpp"
#include "daxfs/daxdev.hpp"
#include "daxfs/error.hpp"
#include "daxfs/mount_errors.hpp"
#include "daxfs/mount_options.hpp"

namespace {

constexpr const char *kProg = "mount.daxfs";

struct Args {
    std::string source, dir, options, type = "daxfs", ns;
    bool sloppy = false, fake = false, no_mtab = false, verbose = false;
};

int usage(const std::string &msg) { return daxfs::usage_error(kProg, msg, MNT_EX_USAGE); }

bool is_char_device(const std::string &path) {
    struct stat st;
    return !::stat(path.c_str(), &st) && S_ISCHR(st.st_mode);
}

// The options mount(2) gets: with a device-DAX device's range when it is named.
std::string mount_options(const Args &a) {
    const std::string dax = daxfs::dax_to_resolve(a.source, is_char_device(a.source), a.options);
    if (dax.empty())
        return a.options;
    const daxfs::DaxDevice dev = daxfs::find_dax_device(dax);
    if (!dev.start)
        throw daxfs::Error(EACCES, fmt::format("the physical range of {} is hidden: mounting "
                                               "needs root",
                                               dev.path()));
    return daxfs::with_dax_range(a.options, dev.name, dev.start, dev.size);
}

struct ContextFree {
    void operator()(libmnt_context *c) const { mnt_free_context(c); }
};

int do_mount(const Args &a, const std::string &options) {
    std::unique_ptr<libmnt_context, ContextFree> cxt(mnt_new_context());
    if (!cxt) {
        fmt::print(stderr, "{}: out of memory\n", kProg);
        return MNT_EX_SYSERR;
    }
    libmnt_context *c = cxt.get();
    mnt_context_set_optsmode(c, MNT_OMODE_NOTAB); // SOURCE and DIR given: no fstab lookup
    mnt_context_disable_helpers(c, 1);            // we are the helper
    mnt_context_set_fstype(c, a.type.c_str());
    mnt_context_set_source(c, a.source.c_str());
    mnt_context_set_target(c, a.dir.c_str());
    if (!options.empty())
        mnt_context_set_options(c, options.c_str());
    mnt_context_enable_sloppy(c, a.sloppy);
    mnt_context_enable_fake(c, a.fake);
    mnt_context_disable_mtab(c, a.no_mtab);
    if (!a.ns.empty() && mnt_context_set_target_ns(c, a.ns.c_str())) {
        fmt::print(stderr, "{}: cannot use the mount namespace {}\n", kProg, a.ns);
        return MNT_EX_USAGE;
    }
    if (a.verbose)
        fmt::print("{}: mount -t {} -o {} {} {}{}\n", kProg, a.type, options, a.source, a.dir,
                   a.fake ? " (not done: -f)" : "");
    const int rc = mnt_context_mount(c);
    const int err = mnt_context_syscall_called(c) ? mnt_context_get_syscall_errno(c) : 0;
    char msg[BUFSIZ] = "";
    const int ex = mnt_context_get_excode(c, rc, msg, sizeof msg);
    const std::string why = err ? daxfs::mount_failure_reason(err, options) : "";
    if (ex != MNT_EX_SUCCESS && !why.empty())
        fmt::print(stderr, "{}: cannot mount {}: {} (the kernel log has more: dmesg)\n", kProg,
                   a.dir, why);
    else if (ex != MNT_EX_SUCCESS && *msg)
        fmt::print(stderr, "{}: {}\n", kProg, msg);
    return ex;
}

} // namespace

int main(int argc, char **argv) {
    CLI::App app("Mount a daxfs region; run by mount(8) for -t daxfs. A device-DAX device "
                 "(-o dax=/dev/daxX.Y, or /dev/daxX.Y as SOURCE) is mounted without "
                 "computing addresses: its physical range comes from libdaxctl and is "
                 "passed as phys=,size=,dax=. Other options pass through.",
                 kProg);
    Args a;
    app.add_option("SOURCE", a.source,
                   "none (with -o phys=.. or dax=..), a block device (/dev/pmem0) or a "
                   "device-DAX device (/dev/daxX.Y)");
    app.add_option("DIR", a.dir, "Mount point");
    app.allow_extras();
    app.add_option("-o", a.options, "Mount options, comma separated (daxfs(5))")
        ->type_name("OPTIONS");
    app.add_option("-t", a.type, "Filesystem type (daxfs)")->type_name("TYPE");
    app.add_option("-N", a.ns, "Mount in the mount namespace NS (a PID or a path)")
        ->type_name("NS");
    app.add_flag("-s", a.sloppy, "Ignore mount options the kernel does not know");
    app.add_flag("-f", a.fake, "Do everything but the mount(2) call (with -v: show it)");
    app.add_flag("-n", a.no_mtab, "Do not record the mount in /run/mount/utab");
    app.add_flag("-v", a.verbose, "Print the mount that is done");
    app.footer("Examples:\n"
               "  mount -t daxfs -o dax=/dev/dax0.0 none /mnt\n"
               "  mount -t daxfs /dev/dax0.0 /mnt\n"
               "  mount.daxfs -fv none /mnt -o dax=dax0.0,validate   (show, do not mount)\n"
               "Exit status (as mount(8)): 0 success, 1 bad command line or permissions,\n"
               "32 mount failure.");
    if (auto stop = daxfs::parse_command_line(app, argc, argv, kProg, MNT_EX_USAGE))
        return *stop;
    if (a.dir.empty())
        return usage("need SOURCE and DIR");
    if (a.type != "daxfs" && !a.type.starts_with("daxfs."))
        return usage(fmt::format("-t {}: this helper mounts daxfs only", a.type));
    std::string options;
    try {
        options = mount_options(a);
    } catch (const daxfs::Error &e) {
        fmt::print(stderr, "{}: {}\n", kProg, e.what());
        return e.code() == EACCES ? MNT_EX_USAGE : MNT_EX_FAIL;
    }
    return do_mount(a, options);
}
