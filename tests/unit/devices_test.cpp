// SPDX-License-Identifier: GPL-2.0 OR MIT
// DAX devices on the tool side: naming devices, the options mount.daxfs builds, daxfs
// mounts of devices in /proc/mounts, what a branch mount of such a region passes, and the
// command lines of -D/--dax, of block-device images and of mount.daxfs (no device needed:
// the guest scenario tests/vm/tools-devices.sh writes and reads real ones).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "daxfs/daxdev.hpp"
#include "daxfs/error.hpp"
#include "daxfs/mount_errors.hpp"
#include "daxfs/mount_line.hpp"
#include "daxfs/mount_options.hpp"
#include "daxfs/mounts.hpp"
#include "daxfs/region.hpp"
#include "helpers.hpp"

using namespace testing_daxfs;

namespace {

const std::string mkdaxfs = DAXFS_MKDAXFS;
const std::string inspect = DAXFS_INSPECT;
const std::string fsck = DAXFS_FSCK;
const std::string branch = DAXFS_BRANCH;
const std::string helper = DAXFS_MOUNT_HELPER;

TEST(DaxDevices, Names) {
    EXPECT_EQ(daxfs::dax_device_name("dax0.0"), "dax0.0");
    EXPECT_EQ(daxfs::dax_device_name("/dev/dax12.3"), "dax12.3");
    for (const char *bad : {"", "dax", "dax0", "dax0.", "dax.0", "/dev/pmem0", "dax0.0x",
                            "/dev/dax/0.0", "xdax0.0", "dax0..0"})
        EXPECT_EQ(daxfs::dax_device_name(bad), "") << bad;
}

TEST(DaxDevices, DeviceOfARange) {
    std::vector<daxfs::DaxDevice> devs(2);
    devs[0].name = "dax0.0";
    devs[0].start = 0x140000000;
    devs[0].size = 256u << 20;
    devs[1].name = "dax1.0"; // range hidden (not root): never matches
    devs[1].size = 1u << 30;
    EXPECT_EQ(daxfs::dax_device_of(devs, 0x140000000, 256u << 20), &devs[0]);
    EXPECT_EQ(daxfs::dax_device_of(devs, 0x140200000, 4096), &devs[0]);
    EXPECT_EQ(daxfs::dax_device_of(devs, 0x140000000, (256u << 20) + 4096), nullptr);
    EXPECT_EQ(daxfs::dax_device_of(devs, 0x13ffff000, 8192), nullptr);
    EXPECT_EQ(daxfs::dax_device_of(devs, 0, 4096), nullptr);
}

TEST(DaxDevices, UnknownDeviceIsOneClearError) {
    try {
        daxfs::find_dax_device("/dev/dax97.3");
        FAIL() << "found a device that does not exist";
    } catch (const daxfs::Error &e) {
        EXPECT_EQ(e.code(), ENODEV);
        EXPECT_NE(std::string(e.what()).find("no device-DAX device dax97.3"), std::string::npos)
            << e.what();
    }
    try {
        daxfs::find_dax_device("/dev/null");
        FAIL() << "/dev/null taken for a dax device";
    } catch (const daxfs::Error &e) {
        EXPECT_NE(std::string(e.what()).find("not a device-DAX device"), std::string::npos)
            << e.what();
    }
}

TEST(MountHelper, WhatNeedsARange) {
    EXPECT_EQ(daxfs::dax_to_resolve("none", false, "dax=/dev/dax0.0"), "/dev/dax0.0");
    EXPECT_EQ(daxfs::dax_to_resolve("none", false, "ro,dax=dax1.2,validate"), "dax1.2");
    EXPECT_EQ(daxfs::dax_to_resolve("/dev/dax0.0", true, "validate"), "/dev/dax0.0");
    // phys= given: passed through as it is (the kernel checks dax= against it)
    EXPECT_EQ(daxfs::dax_to_resolve("none", false, "phys=0x1000,size=4096,dax=dax0.0"), "");
    EXPECT_EQ(daxfs::dax_to_resolve("/dev/dax0.0", true, "phys=0x1000,size=4096"), "");
    // nothing names a device: not ours to change
    EXPECT_EQ(daxfs::dax_to_resolve("none", false, "phys=0x1000,size=4096"), "");
    EXPECT_EQ(daxfs::dax_to_resolve("/dev/pmem0", false, ""), "");
    EXPECT_EQ(daxfs::dax_to_resolve("none", false, ""), "");
    EXPECT_THROW(daxfs::dax_to_resolve("none", false, "dax=/dev/dax0.0,size=4096"), daxfs::Error);
    EXPECT_THROW(daxfs::dax_to_resolve("none", false, "dax=/dev/pmem0"), daxfs::Error);
    EXPECT_THROW(daxfs::dax_to_resolve("none", false, "dax="), daxfs::Error);
}

TEST(MountHelper, OptionsGetTheRange) {
    EXPECT_EQ(daxfs::with_dax_range("dax=/dev/dax0.0", "dax0.0", 0x140000000, 266338304),
              "phys=0x140000000,size=266338304,dax=dax0.0");
    EXPECT_EQ(daxfs::with_dax_range("ro,dax=dax0.0,validate,branch=w,parent=main", "dax0.0", 0x1000,
                                    8192),
              "ro,validate,branch=w,parent=main,phys=0x1000,size=8192,dax=dax0.0");
    EXPECT_EQ(daxfs::with_dax_range("", "dax3.1", 0x2000, 4096),
              "phys=0x2000,size=4096,dax=dax3.1");
}

TEST(MountHelper, MountLines) {
    EXPECT_EQ(daxfs::dax_mount_line("dax0.0"), "mount -t daxfs -o dax=/dev/dax0.0 none /mnt");
    EXPECT_EQ(daxfs::dax_mount_line("/dev/dax0.0"), "mount -t daxfs -o dax=/dev/dax0.0 none /mnt");
    EXPECT_EQ(daxfs::block_mount_line("/dev/null"), ""); // a character device
    TempDir d;
    EXPECT_EQ(daxfs::block_mount_line(d.path()), "");
}

TEST(Mounts, DevicesInProcMounts) {
    const auto m = daxfs::parse_mounts(
        "none /mnt/d daxfs ro,phys=0x140000000,size=266338304,dax=dax0.0 0 0\n"
        "/dev/dax0.0 /mnt/e daxfs rw,phys=0x140000000,size=266338304,dax=/dev/dax0.0,branch=w "
        "0 0\n"
        "/dev/pmem0 /mnt/p daxfs ro 0 0\n"
        "none /x daxfs rw 0 0\n");
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].dax, "dax0.0");
    EXPECT_EQ(m[0].source, "none");
    EXPECT_EQ(m[1].dax, "dax0.0");
    EXPECT_EQ(m[1].source, "/dev/dax0.0");
    EXPECT_EQ(m[2].source, "/dev/pmem0");
    EXPECT_EQ(m[2].phys, 0u);
    EXPECT_TRUE(m[2].read_only);

    // A branch of each: the devdax region keeps its dax=, the block device its source.
    const daxfs::RegionMount d = daxfs::region_mount(m[0]);
    EXPECT_EQ(d.source, "none");
    EXPECT_EQ(daxfs::branch_mount_options(d, "w", std::string("main")),
              "phys=0x140000000,size=266338304,dax=dax0.0,branch=w,parent=main");
    const daxfs::RegionMount p = daxfs::region_mount(m[2]);
    EXPECT_EQ(p.source, "/dev/pmem0");
    EXPECT_EQ(daxfs::branch_mount_options(p, "w", std::nullopt), "branch=w");
}

TEST(Region, DaxSpec) {
    daxfs::RegionSpec s;
    s.dax = "/dev/dax0.0";
    EXPECT_EQ(s.usage_error(), "");
    EXPECT_FALSE(s.empty());
    EXPECT_EQ(s.name(), "/dev/dax0.0");
    s.image = "x.img";
    EXPECT_NE(s.usage_error(), "");
    s.image.clear();
    s.phys = "0x1000";
    s.size = "4K";
    EXPECT_NE(s.usage_error(), "");
}

class DaxCli : public ::testing::Test {
  protected:
    void SetUp() override {
        make_dir(dir_ / "src");
        write_file(dir_ / "src/hello", {std::byte{'h'}, std::byte{'i'}, std::byte{'\n'}});
    }
    TempDir dir_;
};

TEST_F(DaxCli, MkdaxfsDaxBadUsage) {
    for (const char *args :
         {"-d src -D", "-d src -D /dev/dax0.0 -o x", "-d src -D /dev/dax0.0 -p 0x1000 -s 4K",
          "-d src -D /dev/dax0.0 x.img"}) {
        const RunResult r = run("cd " + quote(dir_.path()) + " && " + quote(mkdaxfs) + " " + args);
        EXPECT_EQ(r.status, 2) << args << ": " << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
    }
}

TEST_F(DaxCli, NoSuchDaxDevice) {
    const std::string src = quote(dir_.path() + "/src");
    const RunResult m = run(quote(mkdaxfs) + " -q -d " + src + " -D /dev/dax97.3");
    EXPECT_EQ(m.status, 1);
    EXPECT_EQ(m.err, "mkdaxfs: no device-DAX device dax97.3 (see daxctl list, or "
                     "daxfs-inspect devices)\n");
    const RunResult i = run(quote(inspect) + " -D /dev/null check");
    EXPECT_EQ(i.status, 1);
    EXPECT_NE(i.err.find("not a device-DAX device"), std::string::npos) << i.err;
    const RunResult f = run(quote(fsck) + " -D /dev/dax97.3");
    EXPECT_EQ(f.status, 8);
    EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
    for (const char *args : {"-D /dev/null x.img", "-D", "--dax"}) {
        const RunResult u = run(quote(fsck) + " " + args);
        EXPECT_EQ(u.status, 16) << args;
    }
    const RunResult b = run(quote(branch) + " list -D /dev/dax97.3");
    EXPECT_EQ(b.status, 1);
    EXPECT_NE(b.err.find("no device-DAX device dax97.3"), std::string::npos) << b.err;
    const RunResult b2 = run(quote(branch) + " list -D /dev/dax0.0 img");
    EXPECT_EQ(b2.status, 2) << b2.err;
}

TEST(DevicesCli, JsonShape) {
    const RunResult r = run(quote(inspect) + " devices --json");
    ASSERT_EQ(r.status, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    for (const char *key : {"regions", "devices", "ranges"})
        EXPECT_TRUE(j.at(key).is_array()) << key;
    for (const auto &d : j.at("devices"))
        for (const char *key :
             {"name", "path", "mode", "region", "size", "start", "align", "daxfs", "mounts"})
            EXPECT_TRUE(d.contains(key)) << key << " in " << d.dump();
    const RunResult t = run(quote(inspect) + " devices");
    EXPECT_EQ(t.status, 0);
    if (j.at("devices").empty() && j.at("regions").empty()) {
        EXPECT_NE(t.out.find("no NVDIMM regions or DAX devices"), std::string::npos) << t.out;
    }
}

TEST(MountHelperCli, UsageAndErrors) {
    const RunResult bad = run(quote(helper) + " none /mnt -Z");
    EXPECT_EQ(bad.status, 1); // mount(8): incorrect invocation
    EXPECT_EQ(bad.err, "mount.daxfs: unknown option -Z (see --help)\n");
    const RunResult one = run(quote(helper) + " none");
    EXPECT_EQ(one.status, 1);
    const RunResult type = run(quote(helper) + " none /mnt -t ext4");
    EXPECT_EQ(type.status, 1);
    const RunResult nodev = run(quote(helper) + " -f none /mnt -o dax=/dev/dax97.3");
    EXPECT_EQ(nodev.status, 32); // mount(8): mount failure
    EXPECT_EQ(nodev.err, "mount.daxfs: no device-DAX device dax97.3 (see daxctl list, or "
                         "daxfs-inspect devices)\n");
    const RunResult sized = run(quote(helper) + " -f none /mnt -o dax=dax0.0,size=4096");
    EXPECT_EQ(sized.status, 32);
    EXPECT_NE(sized.err.find("size= comes with phys="), std::string::npos) << sized.err;
    // Nothing names a device: the options pass through untouched (-f: no mount(2)).
    TempDir d;
    const RunResult pass =
        run(quote(helper) + " -fv none " + quote(d.path()) + " -o phys=0x40000000,size=64M,ro");
    EXPECT_EQ(pass.status, 0) << pass.err;
    EXPECT_NE(pass.out.find("-o phys=0x40000000,size=64M,ro none"), std::string::npos) << pass.out;
}

} // namespace

TEST(Mounts, FailureReasons) {
    const std::string r = "phys=0x40000000,size=67108864";
    // An attach of a branch another mount holds: not "already mounted on ...".
    EXPECT_EQ(daxfs::mount_failure_reason(EBUSY, r + ",branch=w"),
              "branch w is mounted already, in this or another kernel (its mount has a "
              "heartbeat)");
    EXPECT_EQ(daxfs::mount_failure_reason(EEXIST, r + ",branch=w,parent=main"),
              "branch w exists already (without parent= the mount attaches to it)");
    EXPECT_EQ(daxfs::mount_failure_reason(ENOENT, r + ",branch=w"),
              "no active branch w (parent=NAME creates it)");
    EXPECT_EQ(daxfs::mount_failure_reason(ENOENT, r + ",branch=w,parent=x"),
              "no branch x to create w under (daxfs-branch list shows the branches)");
    EXPECT_EQ(daxfs::mount_failure_reason(ESTALE, r + ",branch=w,parent=x"),
              "branch x is stale: main moved past it, or an ancestor is gone");
    EXPECT_NE(daxfs::mount_failure_reason(EUCLEAN, r), "");
    EXPECT_NE(daxfs::mount_failure_reason(EUSERS, r + ",branch=main"), "");
    // Errnos daxfs gives no meaning of its own keep libmount's words.
    EXPECT_EQ(daxfs::mount_failure_reason(EBUSY, r), "");
    EXPECT_EQ(daxfs::mount_failure_reason(EBUSY, r + ",branch=main"), "");
    EXPECT_EQ(daxfs::mount_failure_reason(EINVAL, r + ",branch=w"), "");
    EXPECT_EQ(daxfs::mount_failure_reason(EEXIST, r + ",branch=w"), "");
}

TEST(Mounts, OptionValues) {
    EXPECT_EQ(daxfs::split_options("ro,,phys=0x1000,branch=w"),
              (std::vector<std::string>{"ro", "phys=0x1000", "branch=w"}));
    EXPECT_EQ(daxfs::option_value("phys=0x1000,branch=w,branch=x", "branch"), "x");
    EXPECT_EQ(daxfs::option_value("branchy=w,parent=main", "branch"), std::nullopt);
    EXPECT_EQ(daxfs::option_value("branch=,ro", "branch"), "");
    EXPECT_EQ(daxfs::option_value("ro", "ro"), std::nullopt);
}
