# Scenario: leases. The mount of a branch renews a lease in its slot every second; a kernel
# that stops (crashes) stops renewing it, and after DAXFS_LEASE_NS (5 s) other mounts may
# take the branch over. Checks:
#  - a live mount keeps its branch: attaching it elsewhere gets EBUSY, also long after one
#    lease would have lapsed;
#  - a region copied while a branch was mounted (what a crash leaves) and loaded back: the
#    branch is attached again once the lease has lapsed, with its files, and commits;
#    daxfs-branch list shows the lapsed lease first;
#  - a branch aborted but still mounted when its kernel stopped: once the lease lapsed, the
#    next branch creation frees its pages (the free page count is back where it was);
#  - the region passes daxfs-inspect check after each step.
# vm-run-args: --memmap 64M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

OPTS="--phys $DAXFS_PHYS --size $DAXFS_PHYS_SIZE"

# snapshot FILE: copy the whole region, as a kernel that stops dead leaves it
snapshot() {
	dd if=/dev/mem of="$1" bs=1048576 skip=$((DAXFS_PHYS / 1048576)) \
		count=$((DAXFS_PHYS_SIZE / 1048576)) 2>/dev/null || fail "copying the region failed"
}

# free_pages MNT: the region's free delta pages, as the mount at MNT reports them
free_pages() {
	daxfs-bprobe info "$1" | tr ' ' '\n' | sed -n 's/^free_pages=//p'
}

step "an image with branches; branch b mounted, files written"
mkdir -p /tmp/base/etc
echo base >/tmp/base/etc/motd
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/b branch=b,parent=main
head -c 300000 /dev/urandom >/tmp/data
expect_ok cp /tmp/data /mnt/b/data
echo changed >/mnt/b/etc/motd

step "a live mount renews its lease: b cannot be attached elsewhere, even after 7 s"
sleep 7
mount_daxfs_fails /mnt/c branch=b "Device or resource busy"
dmesg | grep -q "branch b is mounted already (its mount renews its lease)" ||
	fail "the kernel log does not say why the attach was refused"
expect_ok daxfs-branch list $OPTS --json >/tmp/list.json
grep -Eq '"lease_lapsed": ?true' /tmp/list.json && fail "list shows the live mount's lease as lapsed"

step "the kernel stops with b mounted: a copy of the region, loaded back later"
snapshot /tmp/crash1
umount_daxfs /mnt/b
load_image /tmp/crash1
check_region
sleep 6
expect_ok daxfs-branch list $OPTS --json >/tmp/list.json
cat /tmp/list.json
grep -Eq '"lease_lapsed": ?true' /tmp/list.json || fail "list does not show b's lapsed lease"

step "b is attached again once its lease lapsed, with its files, and commits"
mount_daxfs /mnt/b branch=b
dmesg | grep -q "branch b: the mount holding it stopped renewing its lease" ||
	fail "the kernel log does not say the branch was taken over"
cmp /tmp/data /mnt/b/data || fail "b's file differs after the takeover"
[ "$(cat /mnt/b/etc/motd)" = changed ] || fail "b's change to etc/motd is lost"
echo more >/mnt/b/more
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
check_region
mount_daxfs /mnt/m
cmp /tmp/data /mnt/m/data || fail "main's data differs after the commit"
[ "$(cat /mnt/m/more)" = more ] || fail "main lacks the file written after the takeover"
umount_daxfs /mnt/m

step "the kernel stops with an aborted branch still mounted: its pages come back"
mount_daxfs /mnt/d branch=d,parent=main
free0=$(free_pages /mnt/d)
expect_ok dd if=/dev/urandom of=/mnt/d/big bs=1048576 count=4 2>/dev/null
expect_ok daxfs-branch abort -m /mnt/d
snapshot /tmp/crash2
umount_daxfs /mnt/d
load_image /tmp/crash2
sleep 6
mount_daxfs /mnt/e branch=e,parent=main
free1=$(free_pages /mnt/e)
echo "free delta pages: $free0 with d mounted, $free1 after its lease lapsed and e was created"
[ -n "$free0" ] && [ "$free0" = "$free1" ] ||
	fail "the aborted branch's pages did not come back ($free0 before, $free1 after)"
dmesg | grep -q "branch d: the mount holding it stopped renewing its lease" ||
	fail "the kernel log does not say d's mount was uncounted"
umount_daxfs /mnt/e
check_region
check_dmesg
pass
