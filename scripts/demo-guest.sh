# The guest half of scripts/demo (run by scripts/vm-run): writes the host-built image into
# the reserved memory, mounts it and shows it.
. /src/tests/vm/lib.sh
need_phys
MNT=/mnt/demo

run() {
	echo "\$ $*"
	"$@" || fail "'$*' failed"
}

step "writing /share/demo.daxfs into physical memory at $DAXFS_PHYS (through /dev/mem)"
load_image /share/demo.daxfs

step "mounting it: no page cache, no block device, just the memory"
mkdir -p "$MNT"
run mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE,validate" none "$MNT"
DAXFS_MOUNTS=$MNT

step "looking around"
run ls -l "$MNT" "$MNT/generated" "$MNT/generated/sub"
run cat "$MNT/hello.txt"
run readlink "$MNT/generated/link-to-hello"
run cat "$MNT/generated/link-to-hello"
run stat "$MNT/hello.txt"
run grep daxfs /proc/mounts
run df -h "$MNT"

step "reading a 1 MiB file with read() and through mmap"
want=$(cat /share/random.sha256)
got=$(sha256sum "$MNT/generated/random-1MiB" | cut -d' ' -f1)
echo "sha256 on the host: $want"
echo "sha256 in the guest: $got (read)"
[ "$want" = "$got" ] || fail "contents differ"
run daxfs-manifest --all "$MNT/generated"

step "and it is read-only"
echo "\$ touch $MNT/new-file"
if touch "$MNT/new-file" 2>&1; then fail "a read-only filesystem accepted a new file"; fi

umount_daxfs "$MNT"
check_dmesg
pass
