# Scenario: heartbeats. The mount of a branch moves a heartbeat counter in its slot twice a
# second; a kernel that stops (crashes) stops moving it, and a mount that watched it stand
# still for DAXFS_LEASE_NS (5 s) of its own clock may take the branch over. Checks:
#  - a live mount keeps its branch: attaching it elsewhere gets EBUSY (the attach sees the
#    heartbeat move), also long after one lease; daxfs-branch list --watch shows it beating;
#  - a region copied while a branch was mounted (what a crash leaves) and loaded back:
#    list --watch shows the heartbeat stopped; an attach watches it for a lease (it has no
#    history of the slot), takes the branch over with its files, and commits;
#  - a branch aborted but still mounted when its kernel stopped: a new mount of main, by its
#    periodic look (no branch is created or unmounted), sees the heartbeat stand still for
#    a lease and frees the branch's pages (the free page count is back where it was before
#    the branch; the time it took is printed);
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

step "a live mount beats: b cannot be attached elsewhere, even after 7 s"
sleep 7
mount_daxfs_fails /mnt/c branch=b "Device or resource busy"
dmesg | grep -Eq "branch b is mounted already \(its mount [0-9a-f]+ has a heartbeat\)" ||
	fail "the kernel log does not say why the attach was refused"
expect_ok daxfs-branch list $OPTS --watch --json >/tmp/list.json
grep -Eq '"holder": ?"beating"' /tmp/list.json || fail "list --watch does not show b's mount beating"
grep -Eq '"lease_lapsed": ?true' /tmp/list.json && fail "list shows the live mount's heartbeat as stopped"

step "the kernel stops with b mounted: a copy of the region, loaded back later"
snapshot /tmp/crash1
umount_daxfs /mnt/b
load_image /tmp/crash1
check_region
expect_ok daxfs-branch list $OPTS --watch --json >/tmp/list.json
cat /tmp/list.json
grep -Eq '"lease_lapsed": ?true' /tmp/list.json || fail "list --watch does not show b's heartbeat stopped"

step "b is attached again: the attach watches its heartbeat for a lease, then takes it over"
t0=$(cut -d' ' -f1 /proc/uptime)
mount_daxfs /mnt/b branch=b
t1=$(cut -d' ' -f1 /proc/uptime)
echo "attach of b took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s (a lease is 5 s)"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 4.9) }' ||
	fail "the attach took b over without watching its heartbeat for a lease"
dmesg | grep -q "branch b: the mount holding it (mount [0-9a-f]*) stopped its heartbeat" ||
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
mount_daxfs /mnt/m
free0=$(free_pages /mnt/m)
umount_daxfs /mnt/m
mount_daxfs /mnt/d branch=d,parent=main
expect_ok dd if=/dev/urandom of=/mnt/d/big bs=1048576 count=4 2>/dev/null
expect_ok daxfs-branch abort -m /mnt/d
snapshot /tmp/crash2
umount_daxfs /mnt/d
load_image /tmp/crash2
t0=$(cut -d' ' -f1 /proc/uptime)
mount_daxfs /mnt/m
n=0
while [ "$(free_pages /mnt/m)" != "$free0" ]; do
	n=$((n + 1))
	[ $n -le 150 ] || fail "the aborted branch's pages did not come back ($free0 before, $(free_pages /mnt/m) now)"
	sleep 0.1
done
t1=$(cut -d' ' -f1 /proc/uptime)
echo "free delta pages: $free0 before d, the same again $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after main was mounted (a lease is 5 s)"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 4.9) }' ||
	fail "d's pages were freed before its heartbeat was watched for a lease"
dmesg | grep -q "branch d: the mount holding it (mount [0-9a-f]*) stopped its heartbeat for a lease" ||
	fail "the kernel log does not say d's mount was uncounted"
umount_daxfs /mnt/m
mount_daxfs /mnt/e branch=e,parent=main
umount_daxfs /mnt/e
check_region
check_dmesg
pass
