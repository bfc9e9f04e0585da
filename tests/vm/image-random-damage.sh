# Scenario: corrupted images. Many damaged copies of a small rich image (seeded byte flips
# in the superblock, with and without a fixed checksum, in the inode table, in inode fields,
# in directory entries and anywhere) are loaded into the region, each mounted without and
# with validate and walked completely (readdir, stat, read, readlink, mmap). Failures are
# expected and fine; a crash (a command killed by a signal), a kernel BUG/Oops/WARNING or a
# hang (vm-run's timeout) is not. The kernel's validate must agree with the userspace
# validator (daxfs-inspect check on the same region) on every copy: they are the same code.
# Arguments: [COPIES [FIRST_SEED]] (default 120 copies, seeds from 1; the long mode 1000).
# vm-run-args: --memmap 64M --timeout 1500
# quick-args: 40
# long-args: 1000
. "$(dirname "$0")/lib.sh"
need_phys

# Each kernel gets its own seeds by default: twice the damaged images over a suite run.
COPIES=${1:-120}
case $DAXFS_KERNEL in
6.12) FIRST=${2:-100001} ;;
*) FIRST=${2:-1} ;;
esac
MNT=/mnt/corrupt

# walk_ok: on an intact image every access succeeds.
walk_ok() {
	expect_ok daxfs-manifest --all "$MNT" >/dev/null
	expect_ok ls -laR "$MNT" >/dev/null
	expect_ok find "$MNT" -type f -exec cat {} + >/dev/null
	expect_ok find "$MNT" -type l -exec readlink {} \; >/dev/null
}

# walk: on a damaged image any access may fail, none may crash. daxfs-manifest --all does
# readdir, lstat, open, read(), mmap (private and shared) and readlink on every path; cat
# reads through the kernel's splice path.
walk() {
	expect_nocrash daxfs-manifest --all "$MNT"
	expect_nocrash find "$MNT" -type f -exec cat {} +
}

# The kernel's rate-limited complaints about the damaged images stay in dmesg; printing
# each on the serial console would only slow the guest down.
dmesg -n 3

step "build the small rich image"
expect_ok daxfs-mktree --small /tmp/small >/dev/null
expect_ok mkdaxfs -q -d /tmp/small -o /tmp/base.img
expect_ok fsck.daxfs /tmp/base.img >/dev/null

step "the intact image mounts and walks cleanly, with and without validate"
clear_region
load_image /tmp/base.img
for opts in "" validate; do
	mount_daxfs "$MNT" "$opts"
	walk_ok
	umount_daxfs "$MNT"
done

step "$COPIES damaged copies (seeds $FIRST..$((FIRST + COPIES - 1)))"
plain=0 valid=0 clean=0
seed=$FIRST
last=$((FIRST + COPIES - 1))
while [ $seed -le $last ]; do
	DAXFS_STEP="copy seed $seed"
	expect_ok daxfs-corrupt /tmp/base.img -o /tmp/c.img --seed "$seed" >/tmp/what
	_kmsg "corrupt $(cat /tmp/what)"
	load_image /tmp/c.img
	# The userspace validator on exactly what the kernel sees: the whole region.
	daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check >/tmp/fsck.out 2>&1
	fsck_rc=$?
	! _signalled $fsck_rc || fail "CRASH: daxfs-inspect check killed by signal $((fsck_rc - 128)) ($(cat /tmp/what))"
	[ $fsck_rc -eq 0 ] && clean=$((clean + 1))

	if try_mount_daxfs "$MNT"; then
		plain=$((plain + 1))
		walk
		umount_daxfs "$MNT"
	fi
	if try_mount_daxfs "$MNT" validate; then
		valid=$((valid + 1))
		walk
		umount_daxfs "$MNT"
		[ $fsck_rc -eq 0 ] ||
			fail "mount -o validate accepted an image daxfs-inspect check rejects: $(cat /tmp/what): $(cat /tmp/fsck.out)"
	else
		[ $fsck_rc -ne 0 ] ||
			fail "mount -o validate refused an image daxfs-inspect check accepts: $(cat /tmp/what); kernel: $(dmesg | tail -n 2)"
	fi
	if [ $(((seed - FIRST + 1) % 40)) -eq 0 ]; then
		echo "   [$(cut -d' ' -f1 /proc/uptime)s] $((seed - FIRST + 1))/$COPIES copies: mounted $plain plain, $valid with validate; fsck clean $clean"
	fi
	seed=$((seed + 1))
done
echo "$COPIES copies: mounted $plain without validate, $valid with validate; the validator found $clean undamaged"

step "kernel log is free of BUG/Oops/WARNING"
check_dmesg
pass
