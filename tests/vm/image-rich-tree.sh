# Scenario: the rich generated tree (deep paths, 255-byte names, 20,000 entries in one
# directory, empty and large files, hard links, symlinks, devices, FIFOs, sockets, odd modes,
# owners and timestamps) is written by mkdaxfs straight into physical memory, checked with
# the shared validator, mounted with and without validate, and compared with its source
# path by path (type, mode, owner, size, mtime, nlink, target, rdev, content hash), reading
# contents with read() and through MAP_PRIVATE/MAP_SHARED mappings.
# vm-run-args: --memmap 256M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

MNT=/mnt/rich

step "generate the rich tree in tmpfs"
expect_ok daxfs-mktree /tmp/tree
expect_ok daxfs-manifest /tmp/tree >/tmp/want

step "mkdaxfs -d /tmp/tree -p $DAXFS_PHYS -s $DAXFS_PHYS_SIZE"
clear_region
expect_ok mkdaxfs -d /tmp/tree -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"

step "the region passes the shared validator (daxfs-inspect check --phys)"
expect_ok daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check

for opts in "" validate; do
	step "mount -o ${opts:-(no validate)}"
	mount_daxfs "$MNT" "$opts"

	step "daxfs-inspect --phys reads the region while it is mounted (same memory type)"
	expect_ok daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check

	step "manifest of the mount (read() and mmap) equals the source (${opts:-no validate})"
	expect_ok daxfs-manifest --all "$MNT" >/tmp/got
	same_manifest /tmp/want /tmp/got

	umount_daxfs "$MNT"
done

check_dmesg
pass
