#!/bin/sh
# Guest half of `tests/bench/run --fold` (runs inside scripts/vm-run --memmap --share).
#
# Usage: tests/bench/guest-fold.sh REPS COMMITS
#
# The reserved region is cut in two: A (the first 5/8) holds an image with branches made
# from a generated tree (two 16 MiB files, a 2,000-entry directory, small files); B (the
# rest) later holds a fresh image of the same final tree. Main of A is mounted at
# /bench/main for the whole run.
#  1. daxfs-bench commits: COMMITS commits of branches of main (each rewrites 3 small files
#     and one 4 KiB page of a large file), every DAXFS_IOC_COMMIT timed; the kernel folds
#     main's history on its own along the way;
#  2. main is copied out to a tmpfs and written with mkdaxfs -b into B ("fresh");
#  3. daxfs-bench compare: reads of the fresh image against main after the commits, through
#     the mount kept all along and through a new mount of main (the kernel's quiet fold is
#     held off until then: daxfs.fold_quiet_s 0); then fold_quiet_s 5: once main has had
#     no commit for 5 s the kernel folds on its own, which moves scattered parts of the
#     large files into aligned runs, and the kept mount's reads are measured again;
#  4. daxfs-bench mount-times: mount(2) of the fresh image against main after the commits;
#  5. DAXFS_IOC_FOLD of what history is left, then 20 commits and DAXFS_IOC_FOLD again.
# Results: /share/results.txt, /share/results-*.tsv, /share/commits.tsv, /share/diag.txt.
set -eu

reps=${1:?usage: guest-fold.sh REPS COMMITS}
commits=${2:?usage: guest-fold.sh REPS COMMITS}
bin=/share/daxfs-bench
tmpfs=/bench/tmpfs
: "${DAXFS_PHYS:?run me with scripts/vm-run --memmap SIZE}"

say() { echo "bench: $*"; echo "bench: $*" >/dev/kmsg 2>/dev/null || true; }
cleanup() {
	for m in /bench/b /bench/m /bench/main2 /bench/fresh /bench/main "$tmpfs"; do
		umount "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT

[ -x "$bin" ] || { echo "bench: $bin missing (run tests/bench/run, not this script)"; exit 1; }
rm -f /share/results.txt /share/results-*.tsv /share/commits.tsv /share/diag.txt
mkdir -p "$tmpfs" /bench/main /bench/main2 /bench/fresh /bench/m /bench/work

size_a=$((DAXFS_PHYS_SIZE * 5 / 8 / 4096 * 4096))
phys_a=$DAXFS_PHYS
phys_b=$(printf '0x%x' $((DAXFS_PHYS + size_a)))
size_b=$((DAXFS_PHYS_SIZE - size_a))
opts_a="phys=$phys_a,size=$size_a"
opts_b="phys=$phys_b,size=$size_b"
head="kernel $(uname -r), QEMU TCG (no KVM), $(grep -c ^processor /proc/cpuinfo) vCPUs"

# The reads right after the commits see main as the commits left it.
quiet=/sys/module/daxfs/parameters/fold_quiet_s
echo 0 >"$quiet"
mount -t tmpfs -o size=90% tmpfs "$tmpfs"
say "generating the tree"
"$bin" gen-tree "$tmpfs/tree" --large-count 2 --large-size 16777216 --big-entries 2000
say "mkdaxfs -b into region A at $phys_a ($size_a bytes)"
mkdaxfs -b -d "$tmpfs/tree" -p "$phys_a" -s "$size_a" >/tmp/mkdaxfs-a.out
mount -t daxfs -o "$opts_a" none /bench/main

say "$commits commits"
"$bin" commits --phys "$phys_a" --size "$size_a" --main /bench/main --work /bench/work \
	--commits "$commits" --progress 500 --tsv /share/commits.tsv \
	--header "history: $commits commits of branches of main, $head; region A: $((size_a >> 20)) MiB at $phys_a" \
	--out /tmp/commits.txt

say "copying main out and writing it with mkdaxfs -b into region B at $phys_b ($size_b bytes)"
mkdir "$tmpfs/copy"
cp -a /bench/main/. "$tmpfs/copy/"
mkdaxfs -b -d "$tmpfs/copy" -p "$phys_b" -s "$size_b" >/tmp/mkdaxfs-b.out
mount -t daxfs -o "$opts_b" none /bench/fresh
mount -t daxfs -o "$opts_a" none /bench/main2

say "reads: fresh image against main after the commits (mount kept all along)"
"$bin" compare --base fresh=/bench/fresh --subject main-kept=/bench/main --reps "$reps" \
	--header "reads: main after $commits commits (the mount kept since before them) vs a fresh image of the same tree (mkdaxfs -b, region B), $head" \
	--tsv /share/results-reads-kept.tsv --out /tmp/reads-kept.txt
say "reads: fresh image against main after the commits (a new mount)"
"$bin" compare --base fresh=/bench/fresh --subject main-new=/bench/main2 --reps "$reps" \
	--header "reads: main after $commits commits (a new mount) vs a fresh image of the same tree, $head" \
	--tsv /share/results-reads-new.tsv --out /tmp/reads-new.txt
# The kernel log is full by now (old lines go as new ones come): lines after the say.
say "fold_quiet_s 5: the kernel's own fold once main has had no commit for 5 s"
since() { dmesg | sed -n '/bench: fold_quiet_s 5: /,$p'; }
start=$(cut -d' ' -f1 /proc/uptime)
echo 5 >"$quiet"
i=0
until since | grep -q 'main folded into slot'; do
	i=$((i + 1))
	[ $i -lt 1200 ] || {
		echo "bench: no quiet fold within 120 s; the kernel log since:"
		since
		exit 1
	}
	sleep 0.1
done
echo 0 >"$quiet"
{
	echo "the kernel's quiet fold, $(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { printf "%.1f", b - a }') s after fold_quiet_s was set to 5:"
	since | grep 'daxfs (phys' | sed 's/^\[[ 0-9.]*\] /  /'
} >/tmp/quiet.txt
cat /tmp/quiet.txt
say "reads: fresh image against main after the commits and the quiet fold (mount kept all along)"
"$bin" compare --base fresh=/bench/fresh --subject main-quiet=/bench/main --reps "$reps" \
	--header "reads: main after $commits commits and the kernel's quiet fold (the mount kept since before them) vs a fresh image of the same tree, $head" \
	--tsv /share/results-reads-quiet.tsv --out /tmp/reads-quiet.txt
umount /bench/main2
umount /bench/fresh

say "mount times"
"$bin" mount-times --base "fresh=$opts_b" --subject "main-$commits=$opts_a" --mnt /bench/m \
	--reps "$reps" \
	--header "mount: main after $commits commits vs the fresh image (main of each, another mount of main kept on A), $head" \
	--out /tmp/mounts.txt

say "fold"
"$bin" commits --phys "$phys_a" --size "$size_a" --main /bench/main --work /bench/work \
	--commits 20 --prefix f --fold-first --fold --seed 2 \
	--header "fold: DAXFS_IOC_FOLD on main after the $commits commits and the reads (what history the automatic folds left), then 20 commits and DAXFS_IOC_FOLD again" \
	--out /tmp/fold.txt

{
	cat /tmp/commits.txt
	echo
	cat /tmp/reads-kept.txt
	echo
	cat /tmp/reads-new.txt
	echo
	cat /tmp/quiet.txt
	cat /tmp/reads-quiet.txt
	echo
	cat /tmp/mounts.txt
	echo
	cat /tmp/fold.txt
} >/share/results.txt
{
	echo "== mkdaxfs output, region A"; cat /tmp/mkdaxfs-a.out
	echo "== mkdaxfs output, region B (fresh)"; cat /tmp/mkdaxfs-b.out
	echo "== daxfs-branch list, region A"; daxfs-branch list --phys "$phys_a" --size "$size_a" 2>&1 || true
	echo "== dmesg (daxfs and warnings)"
	dmesg | grep -i 'daxfs\|warn\|bug\|oops' || true
} >/share/diag.txt 2>&1
say "done"
