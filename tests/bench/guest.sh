#!/bin/sh
# Guest half of tests/bench/run (runs inside scripts/vm-run with --memmap and --share).
#
# Usage: tests/bench/guest.sh rich|tar REPS daxfs|tmpfs2 [daxfs-bench compare options...]
#   rich  generate the rich tree in the guest (build/bin/daxfs-mktree if it exists,
#         else daxfs-bench gen-tree)
#   tar   extract /share/tree.tar (prepared by run from the minbase tree or a directory)
#   daxfs compare tmpfs with DAXFS; tmpfs2: with a second tmpfs copy (A/A noise check)
#
# The tree is built in a tmpfs (/bench/tmpfs/tree); mkdaxfs writes its image straight into
# the reserved region; DAXFS is mounted on /bench/daxfs; daxfs-bench compare times both.
# Results: /share/results.txt (table), /share/results.tsv, /share/diag.txt (evidence for
# reading the numbers: region, PAT memtypes, mount options, dmesg, mapping flags).
set -eu

kind=${1:?usage: guest.sh rich|tar REPS daxfs|tmpfs2 [options]}
reps=${2:?usage: guest.sh rich|tar REPS daxfs|tmpfs2 [options]}
subject=${3:?usage: guest.sh rich|tar REPS daxfs|tmpfs2 [options]}
shift 3
bin=/share/daxfs-bench
tmpfs=/bench/tmpfs
mnt=/bench/daxfs
: "${DAXFS_PHYS:?run me with scripts/vm-run --memmap SIZE}"

say() { echo "bench: $*"; echo "bench: $*" >/dev/kmsg 2>/dev/null || true; }
uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; } # centiseconds

cleanup() {
	umount "$mnt" 2>/dev/null || true
	umount /bench/tmpfs2 2>/dev/null || true
	umount "$tmpfs" 2>/dev/null || true
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "bench: $bin missing (run tests/bench/run, not this script)"; exit 1; }
rm -f /share/results.txt /share/results.tsv /share/diag.txt
mkdir -p "$tmpfs" "$mnt"
mount -t tmpfs -o size=75% tmpfs "$tmpfs"

t0=$(uptime_cs)
case $kind in
rich)
	if command -v daxfs-mktree >/dev/null 2>&1; then
		say "generating the rich tree with daxfs-mktree"
		daxfs-mktree "$tmpfs/tree"
		treedesc="rich (daxfs-mktree)"
	else
		say "generating the benchmark tree with daxfs-bench gen-tree"
		"$bin" gen-tree "$tmpfs/tree"
		treedesc="generated (daxfs-bench gen-tree)"
	fi
	;;
tar)
	say "extracting /share/tree.tar into tmpfs"
	mkdir "$tmpfs/tree"
	tar -xf /share/tree.tar -C "$tmpfs/tree"
	treedesc=$(cat /share/tree.name 2>/dev/null || echo "from tree.tar")
	;;
*)
	echo "bench: unknown tree kind '$kind'"
	exit 2
	;;
esac
t1=$(uptime_cs)

say "mkdaxfs into the region at $DAXFS_PHYS ($DAXFS_PHYS_SIZE bytes)"
mkdaxfs -d "$tmpfs/tree" -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE" >/tmp/mkdaxfs.out
t2=$(uptime_cs)
mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE" none "$mnt"
image=$(daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" info 2>/dev/null |
	sed -n 's/^image: *\([0-9][0-9]*\) bytes.*/\1/p' | head -n 1 || true)

{
	echo "== kernel"; uname -a
	echo "== /proc/cmdline"; cat /proc/cmdline
	echo "== /proc/mounts (bench)"; grep /bench /proc/mounts
	echo "== /proc/iomem"; cat /proc/iomem
	if mount -t debugfs none /sys/kernel/debug 2>/dev/null || [ -d /sys/kernel/debug/x86 ]; then
		echo "== pat_memtype_list (entries in the region 0x40000000..)"
		grep -i ' 0x0000000004\| 0x000000004\|40000000' /sys/kernel/debug/x86/pat_memtype_list 2>/dev/null || echo "(none or not available)"
	fi
	echo "== mkdaxfs output"; cat /tmp/mkdaxfs.out
	echo "== daxfs-inspect info"; daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" info 2>&1 || true
	echo "== mapping of a large daxfs file (smaps)"; "$bin" maps "$mnt" 2>&1 || true
	echo "== mapping of the same tmpfs file (smaps)"; "$bin" maps "$tmpfs/tree" 2>&1 || true
} >/share/diag.txt 2>&1

subject_arg="daxfs=$mnt" title="DAXFS vs tmpfs"
if [ "$subject" = tmpfs2 ]; then
	say "A/A control: copying the tree to a second tmpfs"
	mkdir -p /bench/tmpfs2
	mount -t tmpfs -o size=75% tmpfs /bench/tmpfs2
	cp -a "$tmpfs/tree" /bench/tmpfs2/tree
	subject_arg="tmpfs2=/bench/tmpfs2/tree" title="A/A CONTROL: tmpfs vs a second tmpfs copy (no DAXFS)"
fi
say "running daxfs-bench compare ($reps samples per test and filesystem)"
"$bin" compare --base "tmpfs=$tmpfs/tree" --subject "$subject_arg" --reps "$reps" \
	--header "$title, one guest: kernel $(uname -r), QEMU TCG (no KVM), $(grep -c ^processor /proc/cpuinfo) vCPUs, $(sed -n 's/MemTotal: *//p' /proc/meminfo) RAM" \
	--header "region: memmap at $DAXFS_PHYS, $((DAXFS_PHYS_SIZE >> 20)) MiB; tmpfs mounted size=75%; tree $treedesc built in $(((t1 - t0) / 100)).$(((t1 - t0) % 100 / 10)) s, mkdaxfs -p took $(((t2 - t1) / 100)).$(((t2 - t1) % 100 / 10)) s${image:+, image $image bytes}" \
	--tsv /share/results.tsv --out /share/results.txt "$@"

{
	echo "== dmesg (daxfs and warnings)"
	dmesg | grep -i 'daxfs\|warn\|bug\|oops\|pat\|memtype' || true
} >>/share/diag.txt 2>&1
umount "$mnt"
say "done"
