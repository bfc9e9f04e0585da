# Scenario: writers in parallel in one branch. Writes to different files append their
# records without excluding each other, and writes of one owned page inside a file run
# under a shared inode lock; this checks what must still hold:
#  - 4 threads writing whole pages of one file at random (1 or 2 pages per write()): every
#    page ends up holding the bytes of one write only (write() stays atomic);
#  - a write() and a MAP_SHARED store copying the same base page into the branch at once:
#    neither is lost (a record that lost the race is refused and the write redone);
#  - 4 processes writing 4 files at once, then a file of each checked against tmpfs;
#  - the log says the same as the mount: every file, read offline from the region by the
#    userspace replay (daxfs-inspect cat --branch), and after commit through a fresh main
#    mount (the kernel's replay), equals what the branch showed; the region passes check.
# vm-run-args: --memmap 256M
# quick-args: 400
. "$(dirname "$0")/lib.sh"
need_phys

rounds=${1:-1500}
REF=/tmp/ref
files="shared pages race0 race1 race2 race3 race4 race5 race6 race7 w0 w1 w2 w3"

# sums DIR: sha256 of each of $files in DIR
sums() {
	for f in $files; do
		echo "$f $(sha256sum <"$1/$f" | cut -d' ' -f1)"
	done
}

step "base: a 1 MiB file and eight 4 MiB files of random bytes"
mkdir -p /tmp/base "$REF"
head -c 1048576 /dev/urandom >/tmp/base/pages
for i in 0 1 2 3 4 5 6 7; do
	head -c 4194304 /dev/urandom >/tmp/base/race$i
done
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/b branch=b,parent=main
# memmap=SIZE!ADDR is persistent memory to the kernel: data is written back before records
dmesg | grep -q "branch b (slot [0-9]*) mounted read-write.*persistent memory" ||
	fail "the mount did not see the memmap region as persistent memory: $(dmesg | grep daxfs | tail -n 2)"

step "$rounds rounds: 4 threads write the same page of a 4-page file of the branch at once"
expect_ok dd if=/dev/zero of=/mnt/b/shared bs=4096 count=4 2>/dev/null
expect_ok daxfs-pwriters atomic /mnt/b/shared --threads 4 --rounds "$rounds"

step "the same over a base file (first writes copy its pages, later ones overwrite them)"
expect_ok daxfs-pwriters atomic /mnt/b/pages --threads 4 --rounds "$rounds"

step "write() and a mapping copy the same base pages at once (8 files of 1024 pages)"
for i in 0 1 2 3 4 5 6 7; do
	expect_ok daxfs-pwriters halves /mnt/b/race$i
done

step "4 processes write 4 files at once (the same bytes into tmpfs, one by one)"
head -c 3000000 /dev/urandom >/tmp/rnd
for i in 0 1 2 3; do
	(dd if=/tmp/rnd of=/mnt/b/w$i bs=4096 2>/dev/null &&
		dd if=/tmp/rnd of=/mnt/b/w$i bs=1000 seek=$((i * 7)) count=900 conv=notrunc 2>/dev/null) &
done
wait
for i in 0 1 2 3; do
	dd if=/tmp/rnd of=$REF/w$i bs=4096 2>/dev/null
	dd if=/tmp/rnd of=$REF/w$i bs=1000 seek=$((i * 7)) count=900 conv=notrunc 2>/dev/null
	cmp /mnt/b/w$i $REF/w$i || fail "w$i differs from its tmpfs copy"
done
check_dmesg

step "the branch's log read offline gives the same files"
sums /mnt/b >/tmp/mounted
check_region
for f in $files; do
	echo "$f $(daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" cat --branch b "/$f" |
		sha256sum | cut -d' ' -f1)"
done >/tmp/offline
cmp /tmp/mounted /tmp/offline || {
	diff /tmp/mounted /tmp/offline
	fail "the offline replay of branch b differs from the mounted branch"
}

step "commit; a fresh main mount replays the log to the same files"
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
check_region
mount_daxfs /mnt/m
sums /mnt/m >/tmp/main
cmp /tmp/mounted /tmp/main || {
	diff /tmp/mounted /tmp/main
	fail "main after the commit differs from what the branch showed"
}
umount_daxfs /mnt/m
check_dmesg
pass
