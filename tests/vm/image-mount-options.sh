# Kernel scenario: mounting. Option parsing (good, bad, missing, K/M/G suffixes), options
# in /proc/mounts, statfs figures, refusal of System RAM, of a region without an image, of
# an unknown incompat feature and of a bad superblock checksum; read-only remount;
# rmmod/insmod with and without a mount.
# Run: scripts/vm-run --memmap 256M [--kernel 6.1|6.12] tests/vm/image-mount-options.sh
# vm-run-args: --memmap 256M
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernel-helpers.inc"
need_phys
need_tools

MNT=/mnt/daxfs
P=$DAXFS_PHYS
S=$DAXFS_PHYS_SIZE

step "build a small image"
mkdir -p tree/dir
echo hello >tree/dir/file
ln -s dir/file tree/link
make_image tree img
load_image img

# mount_with OPTS: mount with exactly OPTS; returns mount's status.
mount_with() {
	mkdir -p "$MNT"
	_kmsg "+ mount -t daxfs -o $1 none $MNT"
	bbmount -t daxfs -o "$1" none "$MNT" 2>mount.err
	_rc=$?
	[ $_rc -lt 128 ] || fail "CRASH: mount -o $1 killed by signal $((_rc - 128))"
	[ $_rc -ne 0 ] || DAXFS_MOUNTS="$MNT $DAXFS_MOUNTS"
	return $_rc
}

# good OPTS: OPTS mount, the file reads back, unmount.
good() {
	mount_with "$1" || fail "mount -o $1 failed: $(cat mount.err)"
	[ "$(cat $MNT/dir/file)" = hello ] || fail "dir/file does not read back with -o $1"
	umount_daxfs "$MNT"
}

# bad OPTS PATTERN: OPTS does not mount and the kernel log says PATTERN.
bad() {
	mark_kmsg
	if mount_with "$1"; then
		fail "mount -o $1 succeeded, expected a refusal"
	fi
	expect_kmsg "$2"
}

step "good options: hex, decimal, K/M suffixes, validate"
good "phys=$P,size=$S"
good "phys=$((P)),size=$(printf 0x%x "$S")"
good "phys=$P,size=$((S / 1024))K"
good "phys=$P,size=$((S / 1024 / 1024))M"
good "phys=$P,size=$((S / 1024 / 1024))m"
good "size=$S,phys=$P,validate"
good "phys=$P,size=$(stat -c %s img)"

step "G suffix parses (1G at phys runs into System RAM and is refused as such)"
bad "phys=$P,size=1G" \
	"\\[mem $(printf 0x%x "$P")-$(printf 0x%x $((P + 1024 * 1024 * 1024 - 1)))\\] overlaps System RAM, refusing"

step "missing and malformed options"
bad "size=$S" "missing phys= option"
bad "phys=$P" "missing size= option"
bad "phys=,size=$S" "Bad value for 'phys'"
bad "phys=0x40zz0000,size=$S" "bad phys= value"
bad "phys=${P}x,size=$S" "bad phys= value"
bad "phys=$P,size=12Q" "bad size= value"
bad "phys=$P,size=-4096" "bad size= value"
bad "phys=$P,size=M" "bad size= value"
bad "phys=$P,size=99999999999999999999" "bad size= value"
bad "phys=$P,size=17179869184G" "bad size= value"
bad "phys=$P,size=$S,bogus=1" "Unknown parameter 'bogus'"

step "ranges: alignment, minimum size, overflow"
bad "phys=$((P + 512)),size=$S" "is not page aligned"
bad "phys=$P,size=4095" "must be a multiple of 4096"
bad "phys=$P,size=6000" "must be a multiple of 4096"
bad "phys=$P,size=0" "must be a multiple of 4096"
bad "phys=0xfffffffffffff000,size=8K" "overflows"

step "System RAM is refused"
bad "phys=0x100000,size=1M" "\\[mem 0x100000-0x1fffff\\] overlaps System RAM, refusing"
bad "phys=$P,size=$((S + 4096))" "overlaps System RAM, refusing"

step "/proc/mounts shows the options, read-only"
mount_daxfs "$MNT" validate
line=$(grep " $MNT daxfs " /proc/mounts) || fail "no daxfs line in /proc/mounts"
echo "$line"
echo "$line" | grep -Eq " ro[, ]" || fail "mount is not read-only: $line"
echo "$line" | grep -q "phys=$(printf 0x%x "$P"),size=$S,validate" ||
	fail "options missing from /proc/mounts: $line"

step "the same region mounted twice at once"
mount_daxfs $MNT.2
[ "$(cat $MNT.2/dir/file)" = hello ] || fail "second mount does not read"
[ "$(cat $MNT/dir/file)" = hello ] || fail "first mount no longer reads"
umount_daxfs $MNT.2

step "statfs figures"
want_blocks=$(($(get_le64 img 32) / 4096))
want_files=$(count_inodes tree)
got=$(stat -f -c '%t %s %b %f %a %c %d %l' "$MNT")
echo "statfs: $got"
[ "$got" = "53465844 4096 $want_blocks 0 0 $want_files 0 255" ] ||
	fail "statfs '$got', expected '53465844 4096 $want_blocks 0 0 $want_files 0 255'"

step "remount: ro keeps it, rw and a new phys= are refused"
expect_ok bbmount -o remount,ro "$MNT"
mark_kmsg
expect_fail bbmount -o remount,rw "$MNT"
expect_kmsg "read-only, remount with ro"
grep " $MNT daxfs " /proc/mounts | grep -Eq " ro[, ]" || fail "remount,rw made it writable"
mark_kmsg
expect_fail bbmount -o "remount,ro,phys=$((P + 4096))" "$MNT"
expect_kmsg "cannot change on remount"
[ "$(cat $MNT/dir/file)" = hello ] || fail "dir/file does not read back after remounts"

step "rmmod refuses while mounted, works after umount, insmod again"
expect_fail rmmod daxfs 2>/dev/null
umount_daxfs "$MNT"
expect_ok rmmod daxfs
grep -qw daxfs /proc/filesystems && fail "daxfs still registered after rmmod"
expect_ok insmod /lib/vm/daxfs.ko
good "phys=$P,size=$S"

step "a region without an image: EINVAL"
clear_region
bad "phys=$P,size=$S" "no DAXFS image at phys=$(printf 0x%x "$P")"
grep -q "Invalid argument" mount.err || fail "expected EINVAL, got: $(cat mount.err)"

step "an unknown incompat feature bit: EOPNOTSUPP naming the bit"
cp img img.incompat
put_le32 img.incompat 24 2147483648
fix_super_csum img.incompat
load_image img.incompat
bad "phys=$P,size=$S" "unknown incompatible features 0x80000000"
grep -qi "not supported" mount.err || fail "expected EOPNOTSUPP, got: $(cat mount.err)"

step "a bad superblock checksum: EUCLEAN"
cp img img.csum
put_le32 img.csum 40 7
load_image img.csum
bad "phys=$P,size=$S" "corrupt image at phys=.*checksum"
grep -qi "structure needs cleaning" mount.err || fail "expected EUCLEAN, got: $(cat mount.err)"

step "the good image mounts again"
load_image img
good "phys=$P,size=$S,validate"

check_dmesg
pass
