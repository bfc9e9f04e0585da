# Scenario: DAXFS on a QEMU NVDIMM in each of its modes, switched with ndctl in one guest
# (docs/backings.md):
#   - raw: /dev/pmem0 is a block device without DAX: the mount is refused and says so;
#   - fsdax: mount -t daxfs /dev/pmem0: /proc/mounts shows the device, the device is held
#     exclusively (ndctl cannot reconfigure the namespace under the mount), phys= with a
#     block device is refused, and a device smaller than its image is refused;
#   - devdax: mount -o phys=P,size=S,dax=dax0.0 with P and S from `daxctl list -M`; the
#     range without dax=, or with another device's name, or running past the device, is
#     refused; so is the device once in use as System RAM (daxctl reconfigure-device -m
#     system-ram; the NVDIMM is 512 MiB so that a 128 MiB memory block fits in it).
# Each DAX backing runs the same core checks: the small rich tree compared with its source
# (read() and both mmaps), a branch written (on memory the kernel treats as persistent:
# data written back before its records), committed and seen by a fresh mount of main,
# an aborted branch that leaves nothing behind, and fsck.daxfs of the device's bytes after
# the last unmount.
# vm-run-args: --pmem build/vm/share/backing-nvdimm/nvdimm-%k.pmem:512M --pmem-labels --tools
# host-prep: rm -f "$DAXFS_SHARE"/nvdimm-*.pmem
. "$(dirname "$0")/lib.sh"

: "${DAXFS_PMEM:?run me with scripts/vm-run --pmem FILE:SIZE --pmem-labels --tools}"
for t in ndctl daxctl mkdaxfs fsck.daxfs daxfs-mktree daxfs-manifest daxfs-branch daxfs-daxcopy; do
	command -v $t >/dev/null || fail "$t is missing (scripts/vm-run --tools carries ndctl, daxctl)"
done

MNT=/mnt/nv
BR=/mnt/br

# dmount SOURCE OPTS DIR: mount -t daxfs [-o OPTS] SOURCE DIR, which must work
dmount() {
	mkdir -p "$3"
	if [ -n "$2" ]; then
		expect_ok mount -t daxfs -o "$2" "$1" "$3"
	else
		expect_ok mount -t daxfs "$1" "$3"
	fi
	DAXFS_MOUNTS="$3 $DAXFS_MOUNTS"
}

# dmount_fails SOURCE OPTS TEXT: the mount must fail, the mount or the kernel log saying TEXT
dmount_fails() {
	mkdir -p /mnt/bad
	_seen=$(dmesg | wc -l)
	_kmsg "+ (must fail: $3) mount -t daxfs -o $2 $1 /mnt/bad"
	if [ -n "$2" ]; then
		_out=$(mount -t daxfs -o "$2" "$1" /mnt/bad 2>&1)
	else
		_out=$(mount -t daxfs "$1" /mnt/bad 2>&1)
	fi
	_rc=$?
	if [ $_rc -eq 0 ]; then
		umount /mnt/bad
		fail "mount -o '$2' $1 succeeded, expected failure ($3)"
	fi
	! _signalled $_rc || fail "CRASH: mount -o '$2' $1 killed by signal $((_rc - 128))"
	_log=$(dmesg | tail -n +$((_seen + 1)) | grep -v 'daxfs-test\[')
	case "$_out $_log" in
	*"$3"*) echo "refused: $(echo "$_log" | grep -F "$3" | head -n 1 | sed 's/^\[[^]]*\] //')" ;;
	*) fail "mount -o '$2' $1 failed with '$_out' (log: $_log), expected '$3'" ;;
	esac
}

# ns_mode MODE [ARGS]: namespace0.0 of region0 reconfigured to MODE (ndctl create-namespace)
ns_mode() {
	_m=$1
	shift
	ndctl create-namespace -f -e namespace0.0 -m "$_m" "$@" >/tmp/ns.json 2>&1 ||
		{ cat /tmp/ns.json; fail "ndctl create-namespace -f -e namespace0.0 -m $_m"; }
	echo "namespace0.0: $_m $(grep -o '"size":[0-9]*' /tmp/ns.json | head -n 1)"
}

# core NAME SOURCE OPTS: the checks every backing runs, with the image loaded
core() {
	_name=$1 _src=$2 _o=$3
	step "$_name: mounted with validate, the rich tree equals its source (read() and both mmaps)"
	dmount "$_src" "${_o:+$_o,}validate" $MNT
	expect_ok daxfs-manifest --all $MNT >/tmp/got
	same_manifest /tmp/want /tmp/got
	grep " $MNT daxfs " /proc/mounts
	umount_daxfs $MNT

	step "$_name: a branch written and committed; a fresh main mount has its files"
	_seen=$(dmesg | wc -l)
	dmount "$_src" "${_o:+$_o,}branch=w,parent=main" $BR
	# persistent memory: data is written back before the records naming it (format.md)
	dmesg | tail -n +$((_seen + 1)) | grep "branch w (slot" |
		grep -q "persistent memory: data written back" ||
		fail "the branch mount does not treat $_name memory as persistent"
	head -c 300000 /dev/urandom >/tmp/new
	expect_ok cp /tmp/new $BR/new-file
	expect_ok mkdir $BR/new-dir
	expect_ok daxfs-branch commit -m $BR
	umount_daxfs $BR
	dmount "$_src" "$_o" $MNT
	expect_ok cmp /tmp/new $MNT/new-file
	[ -d $MNT/new-dir ] || fail "new-dir of the committed branch is missing"
	umount_daxfs $MNT

	step "$_name: an aborted branch leaves nothing"
	dmount "$_src" "${_o:+$_o,}branch=gone,parent=main" $BR
	expect_ok cp /tmp/new $BR/aborted-file
	expect_ok daxfs-branch abort -m $BR
	umount_daxfs $BR
	dmount "$_src" "$_o" $MNT
	[ ! -e $MNT/aborted-file ] || fail "aborted-file of the aborted branch is in main"
	expect_ok cmp /tmp/new $MNT/new-file
	umount_daxfs $MNT
}

step "the small rich tree, and an image of it with branches"
expect_ok daxfs-mktree --small /tmp/tree
expect_ok daxfs-manifest /tmp/tree >/tmp/want
expect_ok mkdaxfs -q -b 32M -d /tmp/tree -o /tmp/img
IMG_SIZE=$(stat -c %s /tmp/img)
echo "image: $IMG_SIZE bytes"

step "label the NVDIMM; one raw namespace: a block device without DAX is refused"
ndctl disable-region all >/tmp/nd.log 2>&1
expect_ok ndctl init-labels -f all >>/tmp/nd.log 2>&1
expect_ok ndctl enable-region all >>/tmp/nd.log 2>&1
ndctl create-namespace -r region0 -m raw >/tmp/ns.json 2>&1 ||
	{ cat /tmp/ns.json; fail "ndctl create-namespace -r region0 -m raw"; }
expect_ok dd if=/tmp/img of=/dev/pmem0 bs=1M conv=fsync 2>/dev/null
dmount_fails /dev/pmem0 "" "/dev/pmem0 is a block device without DAX"

step "fsdax: a device smaller than its image is refused"
ns_mode fsdax -M mem
expect_ok mkdaxfs -q -b 600M -d /tmp/tree -o /tmp/big
expect_ok dd if=/tmp/big of=/dev/pmem0 bs=1M count=4 conv=fsync 2>/dev/null
rm -f /tmp/big
dmount_fails /dev/pmem0 "" "but region has"

step "fsdax: the image written to /dev/pmem0; phys= with a block device is refused"
expect_ok dd if=/tmp/img of=/dev/pmem0 bs=1M conv=fsync 2>/dev/null
dmount_fails /dev/pmem0 "phys=0x100000000,size=16M" "phys= and a block device as the source"
dmount_fails /dev/pmem0 "dax=dax0.0" "no size= or dax="

core fsdax /dev/pmem0 ""

step "fsdax: /proc/mounts shows the device; ndctl cannot reconfigure it while mounted"
dmount /dev/pmem0 "" $MNT
grep " $MNT daxfs " /proc/mounts
grep -q "^/dev/pmem0 $MNT daxfs " /proc/mounts || fail "/proc/mounts does not show /dev/pmem0"
grep " $MNT daxfs " /proc/mounts | grep -q "phys=" && fail "/proc/mounts shows phys= for a block device"
dmount /dev/pmem0 "branch=second,parent=main" $BR
expect_fail ndctl create-namespace -f -e namespace0.0 -m devdax >/tmp/ns.json 2>&1
grep -i "busy\|exclusive" /tmp/ns.json | head -n 2
[ -b /dev/pmem0 ] || fail "/dev/pmem0 went away under the mount"
expect_ok cmp /tmp/new $BR/new-file
umount_daxfs $BR
umount_daxfs $MNT

step "fsdax: fsck.daxfs /dev/pmem0 after unmount"
expect_ok fsck.daxfs /dev/pmem0

step "devdax: dax0.0, its range from daxctl list"
ns_mode devdax -M mem
daxctl list -M -d dax0.0 >/tmp/dax.json 2>&1 || { cat /tmp/dax.json; fail "daxctl list"; }
P=$(grep -o '"start":[0-9]*' /tmp/dax.json | head -n 1 | cut -d: -f2)
S=$(grep -o '"size":[0-9]*' /tmp/dax.json | head -n 1 | cut -d: -f2)
[ -n "$P" ] && [ -n "$S" ] || { cat /tmp/dax.json; fail "no start and size in daxctl list -M"; }
echo "dax0.0: [mem $(printf 0x%x "$P") +$S]"
grep -i "dax0.0" /proc/iomem
expect_ok daxfs-daxcopy load /dev/dax0.0 /tmp/img

step "devdax: the range without dax=, with another name, or past the device is refused"
dmount_fails none "phys=$P,size=$S" "belongs to device-DAX dax0.0: mount with dax=dax0.0"
dmount_fails none "phys=$P,size=$S,dax=dax7.0" "belongs to device-DAX dax0.0"
dmount_fails none "phys=$P,size=$((S + 2097152)),dax=dax0.0" "runs past the device"
dmount_fails none "phys=$((P + 1048576)),size=1M" "belongs to device-DAX dax0.0"

core devdax none "phys=$P,size=$S,dax=dax0.0"

step "devdax: dax=/dev/dax0.0 works too; /proc/mounts shows dax=dax0.0"
dmount none "phys=$P,size=$S,dax=/dev/dax0.0" $MNT
grep " $MNT daxfs " /proc/mounts
grep " $MNT daxfs " /proc/mounts | grep -q ",dax=dax0.0" || fail "/proc/mounts lacks dax=dax0.0"
expect_ok cmp /tmp/new $MNT/new-file
umount_daxfs $MNT

step "devdax: fsck.daxfs of the device's bytes after unmount"
expect_ok daxfs-daxcopy save /dev/dax0.0 /tmp/dev.img "$IMG_SIZE"
expect_ok fsck.daxfs /tmp/dev.img

step "devdax: in use as System RAM (kmem), the device's range is refused"
echo offline >/sys/devices/system/memory/auto_online_blocks ||
	fail "cannot keep hot-added memory offline"
expect_ok daxctl reconfigure-device -m system-ram --no-online dax0.0 >/tmp/kmem.json 2>&1
grep -A1 "dax0.0" /proc/iomem
grep -q "System RAM (kmem)" /proc/iomem || fail "no System RAM (kmem) in /proc/iomem"
dmount_fails none "phys=$P,size=$S,dax=dax0.0" "overlaps System RAM, refusing"
dmount_fails none "phys=$P,size=$S" "overlaps System RAM, refusing"

check_dmesg
pass
