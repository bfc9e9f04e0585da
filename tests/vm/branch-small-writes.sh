# Scenario: the write path of a branch with many small records, against tmpfs: 16,384
# one-byte writes past EOF of an empty base file (a hole, then a log of many pages), small
# writes at EOF and over the hole, one-byte writes into a base file, truncate down and up
# (the cut part reads back as zeros). After each phase the file equals its tmpfs copy and
# the region passes the shared validator (logs chained correctly, whole records); after
# commit a fresh main mount (a replay of the log) equals tmpfs too.
# vm-run-args: --memmap 64M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

REF=/tmp/ref

# same_file NAME: /mnt/b/NAME equals $REF/NAME; otherwise show where they differ
same_file() {
	cmp -s "$REF/$1" "/mnt/b/$1" && return 0
	ls -l "$REF/$1" "/mnt/b/$1"
	cmp -l "$REF/$1" "/mnt/b/$1" 2>&1 | awk '{ p = int(($1 - 1) / 4096); n[p]++; if (!(p in f)) f[p] = $1 - 1 }
		END { for (p in n) printf "page %d: %d bytes differ from byte %d\n", p, n[p], f[p] }' |
		sort -k2 -n | head -n 10
	for p in $(cmp -l "$REF/$1" "/mnt/b/$1" 2>/dev/null | awk '{ print int(($1 - 1) / 4096) }' | uniq | head -n 4); do
		echo "page $p tmpfs: $(od -An -tx1 -j $((p * 4096)) -N 16 "$REF/$1")"
		echo "page $p daxfs: $(od -An -tx1 -j $((p * 4096)) -N 16 "/mnt/b/$1")"
	done
	fail "$1 differs from its tmpfs copy"
}

step "base: an empty file and a 3-page file"
mkdir -p /tmp/base "$REF"
: >/tmp/base/empty
head -c 12288 /dev/urandom >/tmp/base/three
cp /tmp/base/empty /tmp/base/three "$REF/"
head -c 100000 /dev/urandom >/tmp/rnd
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/b branch=b,parent=main

step "16384 one-byte writes at 2619723 (past EOF: a hole before them)"
for d in /mnt/b "$REF"; do
	expect_ok dd if=/tmp/rnd of=$d/empty bs=1 seek=2619723 count=16384 conv=notrunc 2>/dev/null
done
same_file empty
check_region

step "small writes at EOF and into the hole"
for d in /mnt/b "$REF"; do
	expect_ok dd if=/tmp/rnd of=$d/empty bs=1 seek=2636107 skip=20000 count=52 conv=notrunc 2>/dev/null
	expect_ok dd if=/tmp/rnd of=$d/empty bs=720 count=1 skip=30 conv=notrunc 2>/dev/null
	expect_ok dd if=/tmp/rnd of=$d/empty bs=1 seek=1000000 skip=7 count=5000 conv=notrunc 2>/dev/null
done
same_file empty
check_region

step "one-byte writes over a base file, truncate down and up"
for d in /mnt/b "$REF"; do
	expect_ok dd if=/tmp/rnd of=$d/three bs=1 seek=4000 skip=3 count=5000 conv=notrunc 2>/dev/null
	expect_ok truncate -s 5000 $d/three
	expect_ok truncate -s 20000 $d/three
	expect_ok dd if=/tmp/rnd of=$d/three bs=1 seek=19990 count=20 conv=notrunc 2>/dev/null
done
same_file three
same_file empty
check_region

step "commit; a fresh main mount replays the log and equals tmpfs"
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
check_region
mount_daxfs /mnt/b
same_file empty
same_file three
umount_daxfs /mnt/b

check_dmesg
pass
