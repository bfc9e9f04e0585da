# Smoke test: the harness works and daxfs.ko is loaded; a tiny image mounts and reads back.
. "$(dirname "$0")/lib.sh"
need_phys

step "daxfs is registered"
expect_ok grep -qw daxfs /proc/filesystems

step "tools run in the guest"
expect_ok mkdaxfs --help >/dev/null
expect_ok daxfs-inspect --help >/dev/null

step "a tiny tree round-trips"
mkdir -p /tmp/tiny/dir
echo hello >/tmp/tiny/dir/file
ln -s dir/file /tmp/tiny/link
expect_ok mkdaxfs -d /tmp/tiny -o /tmp/tiny.img
load_image /tmp/tiny.img
mount_daxfs /mnt/tiny
expect_ok grep -q '^none /mnt/tiny daxfs ' /proc/mounts
[ "$(cat /mnt/tiny/dir/file)" = hello ] || fail "dir/file does not read back"
[ "$(readlink /mnt/tiny/link)" = dir/file ] || fail "link target differs"
umount_daxfs /mnt/tiny

check_dmesg
pass
