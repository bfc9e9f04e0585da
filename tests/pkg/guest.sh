# tests/pkg/guest.sh: inside a scripts/vm-run guest (--memmap, --share DIR), the module DKMS
# built on the host and the packaged tools: depmod, modprobe daxfs, mkdaxfs into the
# reserved memory, mount -t daxfs, read it back, a branch committed, fsck.daxfs.
# DIR holds daxfs.ko (from /lib/modules/KVER/updates/dkms, uncompressed) and tools/ (the
# daxfs-tools package unpacked). Run by tests/pkg/install --guest; prints "guest: PASS".
set -eu
fail() {
	echo "guest: FAIL: $*"
	exit 1
}
k=$(uname -r)
version=$(cat /src/VERSION)
export PATH=/share/tools/usr/sbin:$PATH
[ "$(command -v mkdaxfs)" = /share/tools/usr/sbin/mkdaxfs ] || fail "packaged mkdaxfs not on PATH"

# The module as an installed system has it: under updates/dkms, found through depmod.
! grep -qw daxfs /proc/modules || rmmod daxfs
mkdir -p "/lib/modules/$k/updates/dkms"
cp /share/daxfs.ko "/lib/modules/$k/updates/dkms/"
depmod "$k" || fail "depmod"
modprobe daxfs || fail "modprobe daxfs"
grep -qw daxfs /proc/filesystems || fail "daxfs is not registered"
[ "$(cat /sys/module/daxfs/version)" = "$version" ] || fail "module version $(cat /sys/module/daxfs/version), want $version"
echo "guest: modprobe daxfs: version $version"

mkdir -p /tmp/tree/etc /mnt/main /mnt/work
echo "packaged daxfs" >/tmp/tree/etc/motd
mkdaxfs -q -d /tmp/tree -b -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE" || fail "mkdaxfs -p"
mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE" none /mnt/main || fail "mount -t daxfs"
[ "$(cat /mnt/main/etc/motd)" = "packaged daxfs" ] || fail "etc/motd does not read back"
echo "guest: mount -t daxfs: reads back"
daxfs-branch create work -m /mnt/work || fail "daxfs-branch create"
echo changed >/mnt/work/etc/motd
daxfs-branch commit -m /mnt/work || fail "daxfs-branch commit"
[ "$(cat /mnt/main/etc/motd)" = changed ] || fail "main does not show the commit"
umount /mnt/work
umount /mnt/main
echo "guest: daxfs-branch create/commit"
dd if=/dev/mem of=/tmp/region.img bs=1M skip=$((DAXFS_PHYS / 1048576)) count=$((DAXFS_PHYS_SIZE / 1048576)) 2>/dev/null ||
	fail "copying the region"
fsck.daxfs -v /tmp/region.img || fail "fsck.daxfs on the region after the commit"
rmmod daxfs || fail "rmmod daxfs"
echo "guest: PASS"
