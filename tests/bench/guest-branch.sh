#!/bin/sh
# Guest half of `tests/bench/run --branches` (runs inside scripts/vm-run --memmap --share).
#
# Usage: tests/bench/guest-branch.sh REPS [ONLY]
#
# Generates a small tree (two 64 MiB files, a 2,000-entry directory) in a tmpfs, writes it
# with mkdaxfs -b into the reserved region (the rest of the region is the delta region),
# then:
#  1. daxfs-bench writes: the same writes in a DAXFS branch and in the tmpfs tree (first
#     write, rewrite, 1 and 4 threads, 4 KiB and 1 MiB; then reads of a base file after
#     10,000 random 4 KiB overwrites);
#  2. daxfs-bench branch-ops: branch create/commit/abort for 1 MiB and 256 MiB of change,
#     and the first write to a 64 MiB file in a branch against overlayfs copy-up of it.
# With ONLY, only the write tests whose name contains it run (no branch operations).
# Results: /share/results.txt, /share/results.tsv, /share/diag.txt.
set -eu

reps=${1:?usage: guest-branch.sh REPS [ONLY]}
only=${2:-}
bin=/share/daxfs-bench
tmpfs=/bench/tmpfs
mnt=/bench/daxfs
: "${DAXFS_PHYS:?run me with scripts/vm-run --memmap SIZE}"

say() { echo "bench: $*"; echo "bench: $*" >/dev/kmsg 2>/dev/null || true; }
cleanup() {
	umount "$mnt" 2>/dev/null || true
	umount "$tmpfs" 2>/dev/null || true
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "bench: $bin missing (run tests/bench/run, not this script)"; exit 1; }
rm -f /share/results.txt /share/results.tsv /share/diag.txt
mkdir -p "$tmpfs" "$mnt"
mount -t tmpfs -o size=90% tmpfs "$tmpfs"
say "generating the tree"
"$bin" gen-tree "$tmpfs/tree" --large-count 2 --large-size 67108864 --big-entries 2000
say "mkdaxfs -b into the region at $DAXFS_PHYS ($DAXFS_PHYS_SIZE bytes)"
mkdaxfs -b -d "$tmpfs/tree" -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE" >/tmp/mkdaxfs.out
opts="phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE"
head="kernel $(uname -r), QEMU TCG (no KVM), $(grep -c ^processor /proc/cpuinfo) vCPUs; region: memmap at $DAXFS_PHYS, $((DAXFS_PHYS_SIZE >> 20)) MiB"

say "write tests: branch bench-writes against the tmpfs tree"
mount -t daxfs -o "$opts,branch=bench-writes,parent=main" none "$mnt"
"$bin" writes --base "tmpfs=$tmpfs/tree" --subject "daxfs=$mnt" --file large/file0 \
	--reps "$reps" --header "writes: DAXFS branch vs tmpfs, $head" --only "$only" \
	--tsv /share/results.tsv --out /tmp/writes.txt
daxfs-branch abort -m "$mnt" >/dev/null 2>&1 || true
umount "$mnt"
if [ -n "$only" ]; then
	cp /tmp/writes.txt /share/results.txt
	dmesg | grep -i 'daxfs\|warn\|bug\|oops' >/share/diag.txt 2>&1 || true
	say "done"
	exit 0
fi

say "branch operations and copy-up"
mkdir -p "$tmpfs/scratch"
"$bin" branch-ops --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" --mnt "$mnt" \
	--lower "$tmpfs/tree" --scratch "$tmpfs/scratch" --file large/file1 --reps "$reps" \
	--header "first write to a large file: overlayfs copy-up vs DAXFS branch, $head" \
	--tsv /share/results-copyup.tsv --out /tmp/branch-ops.txt
cat /tmp/writes.txt /tmp/branch-ops.txt >/share/results.txt
{
	echo "== mkdaxfs output"; cat /tmp/mkdaxfs.out
	echo "== daxfs-branch list"; daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" 2>&1 || true
	echo "== dmesg (daxfs and warnings)"
	dmesg | grep -i 'daxfs\|warn\|bug\|oops' || true
} >/share/diag.txt 2>&1
say "done"
