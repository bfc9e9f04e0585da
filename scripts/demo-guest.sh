# The guest half of scripts/demo (run by scripts/vm-run): writes the host-built image into
# the reserved memory, mounts it and shows it, then makes two branches, commits one and
# shows the other invalidated.
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

step "main is read-only: writes go to branches"
echo "\$ touch $MNT/new-file"
if touch "$MNT/new-file" 2>&1; then fail "a read-only filesystem accepted a new file"; fi

step "two branches of main, each mounted writable"
mkdir -p /mnt/try-a /mnt/try-b
run daxfs-branch create try-a -p main -m /mnt/try-a
run daxfs-branch create try-b -p main -m /mnt/try-b
run sh -c "echo 'written in try-a' >/mnt/try-a/hello.txt"
run sh -c "echo 'a new file' >/mnt/try-a/new.txt"
run rm /mnt/try-a/generated/link-to-hello
run sh -c "echo 'written in try-b' >/mnt/try-b/hello.txt"
run cat /mnt/try-a/hello.txt /mnt/try-b/hello.txt "$MNT/hello.txt"
run grep daxfs /proc/mounts
run daxfs-branch list
run daxfs-branch diff -m /mnt/try-a

step "commit try-a: it becomes main; its sibling try-b is invalidated"
run daxfs-branch commit -m /mnt/try-a
echo "\$ cat $MNT/hello.txt   # the main mounted all along sees the commit"
cat "$MNT/hello.txt" || fail "main does not show the commit"
[ "$(cat "$MNT/hello.txt")" = "written in try-a" ] || fail "main does not show try-a's file"
echo "\$ cat /mnt/try-b/hello.txt   # try-b is stale now"
if cat /mnt/try-b/hello.txt 2>&1; then fail "the sibling still reads"; fi
echo "\$ daxfs-branch commit -m /mnt/try-b"
if daxfs-branch commit -m /mnt/try-b 2>&1; then fail "a stale branch committed"; fi
run daxfs-branch list
umount_daxfs /mnt/try-b
umount_daxfs /mnt/try-a
run daxfs-branch list

umount_daxfs "$MNT"
check_dmesg
pass
