# Scenario: a real root filesystem. The host builds an image of a Debian bookworm minbase
# tree (debootstrap, cached) with its own mkdaxfs and writes the tree's manifest; the guest
# loads that image into the region, checks it, mounts it with and without validate and
# compares every path with the host's manifest: type, mode, owner, size, mtime, nlink,
# target, rdev and content hash, contents read with read() and through both mappings.
# vm-run-args: --memmap 384M
# host-prep: tests/vm/image-minbase-tree.prep
. "$(dirname "$0")/lib.sh"
need_phys

MNT=/mnt/minbase
[ -f /share/minbase.daxfs ] && [ -f /share/minbase.manifest ] ||
	fail "no /share/minbase.daxfs or /share/minbase.manifest: run tests/vm/image-minbase-tree.prep on the host (tests/vm/run does)"

step "load the host-built image into the region"
load_image /share/minbase.daxfs

step "the region passes the shared validator"
expect_ok daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check

for opts in "" validate; do
	step "mount -o ${opts:-(no validate)}"
	mount_daxfs "$MNT" "$opts"

	step "manifest of the mount (read() and mmap) equals the host's (${opts:-no validate})"
	expect_ok daxfs-manifest --all "$MNT" >/tmp/got
	same_manifest /share/minbase.manifest /tmp/got
	umount_daxfs "$MNT"
done

check_dmesg
pass
