# Smoke test: the harness works, daxfs.ko is loaded, the tools run, and a tiny image built
# in the guest mounts and reads back.
# vm-run-args: --memmap 64M
. "$(dirname "$0")/lib.sh"
need_phys

step "daxfs is registered"
expect_ok grep -qw daxfs /proc/filesystems

step "tools run in the guest"
for tool in mkdaxfs daxfs-inspect fsck.daxfs daxfs-mktree daxfs-manifest daxfs-corrupt; do
	expect_ok "$tool" --help >/dev/null
done

step "a tiny tree round-trips"
mkdir -p /tmp/tiny/dir
echo hello >/tmp/tiny/dir/file
ln -s dir/file /tmp/tiny/link
expect_ok mkdaxfs -q -d /tmp/tiny -o /tmp/tiny.img
load_image /tmp/tiny.img
mount_daxfs /mnt/tiny
expect_ok grep -q '^none /mnt/tiny daxfs ' /proc/mounts
[ "$(cat /mnt/tiny/dir/file)" = hello ] || fail "dir/file does not read back"
[ "$(readlink /mnt/tiny/link)" = dir/file ] || fail "link target differs"
umount_daxfs /mnt/tiny

check_dmesg
pass
