#!/bin/sh
# Guest half of `tests/bench/run --fio` (runs inside scripts/vm-run --memmap SIZE
# --pmem FILE:SIZE --pmem-labels --tools --share DIR).
#
# Usage: tests/bench/guest-fio.sh REPS RUNTIME [TEST...]
#   REPS     fio runs per test and filesystem (the report takes the median)
#   RUNTIME  seconds of one fio run (time_based)
#   TEST     only these tests (names as in the table, e.g. psync-rand-4k-1j.file64m);
#            default: all of them
#
# One guest holds the same data four times and reads it with fio:
#   tmpfs        /bench/tmpfs/data: the Debian minbase tree (/share/tree.tar) under
#                minbase/, and big/file64m, 64 MiB of random bytes
#   daxfs        mkdaxfs -p of that tree into the memmap region, mount -t daxfs -o phys=
#   erofs-raw    mkfs.erofs -Enoinline_data of that tree, written to a raw namespace of
#                the NVDIMM, mount -t erofs -o dax=always
#   erofs-fsdax  the same image on an fsdax namespace (struct pages in RAM, --map=mem)
# Each test runs REPS rounds; a round runs fio once on every filesystem, the order turning
# by one filesystem each round. fio's JSON goes to /share/fio/TEST.FS.ROUND.json;
# tests/bench/run turns it into the table (daxfs-bench fio-report).
# Evidence (namespaces, mount options, the kernel's messages about DAX) in
# /share/fio/diag.txt.
set -eu

reps=${1:?usage: guest-fio.sh REPS RUNTIME [TEST...]}
runtime=${2:?usage: guest-fio.sh REPS RUNTIME [TEST...]}
shift 2
only=" $* "
out=/share/fio
data=/bench/tmpfs/data
: "${DAXFS_PHYS:?run me with scripts/vm-run --memmap SIZE}"
: "${DAXFS_PMEM:?run me with scripts/vm-run --pmem FILE:SIZE --pmem-labels}"

say() { echo "fio-bench: $*"; echo "fio-bench: $*" >/dev/kmsg 2>/dev/null || true; }
fail() { say "FAILED: $*"; exit 1; }

cleanup() {
	for m in /bench/erofs-fsdax /bench/erofs-raw /bench/daxfs /bench/tmpfs; do
		umount "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT

for t in fio ndctl mkfs.erofs mkdaxfs; do
	command -v $t >/dev/null || fail "$t is missing (scripts/vm-run --tools carries fio, ndctl, mkfs.erofs)"
done
rm -rf "$out"
mkdir -p "$out" /bench/tmpfs /bench/daxfs /bench/erofs-raw /bench/erofs-fsdax
diag=$out/diag.txt

# ---------------------------------------------------------------- the data, in tmpfs
mount -t tmpfs -o size=50% tmpfs /bench/tmpfs
mkdir -p "$data/minbase" "$data/big"
say "extracting the minbase tree into tmpfs"
tar -xf /share/tree.tar -C "$data/minbase"
dd if=/dev/urandom of="$data/big/file64m" bs=1M count=64 2>/dev/null

# The tree's files for fio: regular files larger than 64 KiB (fio reads whole blocks only,
# so a 1 MiB job reads the whole-MiB part of the files of 1 MiB or more); names holding a
# ':' (fio's separator) or white space are left out.
(cd "$data" && find minbase -type f -size +64k) | grep -v '[: 	]' | sort >/tmp/treefiles
nfiles=$(wc -l </tmp/treefiles)
[ "$nfiles" -gt 10 ] || fail "only $nfiles files larger than 64 KiB in the tree"
tree_bytes=$(cd "$data" && xargs stat -c %s </tmp/treefiles | awk '{ s += $1 } END { print s }')

# ---------------------------------------------------------------- daxfs
say "mkdaxfs into the memmap region at $DAXFS_PHYS"
mkdaxfs -q -d "$data" -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE" none /bench/daxfs

# ---------------------------------------------------------------- erofs on the NVDIMM
say "mkfs.erofs -Enoinline_data"
mkfs.erofs -Enoinline_data /tmp/erofs.img "$data" >/tmp/mkfs.erofs.out 2>&1 ||
	{ cat /tmp/mkfs.erofs.out; fail "mkfs.erofs"; }
img_bytes=$(stat -c %s /tmp/erofs.img)
# Two namespaces side by side in the NVDIMM's region, each a multiple of 64 MiB holding
# the image: one raw, one fsdax. The label area (--pmem-labels) makes this possible.
ns_mib=$(((img_bytes / 1048576 / 64 + 1) * 64 + 64))
{
	echo "== NVDIMM before (ndctl list -RNDi)"
	ndctl list -RNDi 2>&1
} >"$diag"
ndctl disable-region all >/dev/null 2>&1 || true
ndctl init-labels -f all >>"$diag" 2>&1 || fail "ndctl init-labels"
ndctl enable-region all >>"$diag" 2>&1 || fail "ndctl enable-region"
say "creating a raw and an fsdax namespace of $ns_mib MiB each"
ndctl create-namespace -r region0 -m raw -s "${ns_mib}M" >/tmp/ns-raw.json 2>&1 ||
	{ cat /tmp/ns-raw.json; fail "ndctl create-namespace -m raw"; }
ndctl create-namespace -r region0 -m fsdax -M mem -s "${ns_mib}M" >/tmp/ns-fsdax.json 2>&1 ||
	{ cat /tmp/ns-fsdax.json; fail "ndctl create-namespace -m fsdax"; }
blockdev_of() { sed -n 's/.*"blockdev": *"\([^"]*\)".*/\1/p' "$1" | head -n 1; }
raw_dev=/dev/$(blockdev_of /tmp/ns-raw.json)
fsdax_dev=/dev/$(blockdev_of /tmp/ns-fsdax.json)
[ -b "$raw_dev" ] && [ -b "$fsdax_dev" ] ||
	fail "no block devices for the namespaces: $(cat /tmp/ns-raw.json /tmp/ns-fsdax.json)"
for dev in "$raw_dev" "$fsdax_dev"; do
	dd if=/tmp/erofs.img of="$dev" bs=1M conv=fsync 2>/dev/null || fail "writing the image to $dev"
done
rm -f /tmp/erofs.img
dmesg -c >/dev/null
mount -t erofs -o ro,dax=always "$raw_dev" /bench/erofs-raw
mount -t erofs -o ro,dax=always "$fsdax_dev" /bench/erofs-fsdax
{
	echo "== namespaces created (raw, fsdax)"
	cat /tmp/ns-raw.json /tmp/ns-fsdax.json
	echo "== kernel messages of the two erofs mounts (raw first, then fsdax)"
	dmesg
	echo "== /proc/mounts"
	grep /bench /proc/mounts
	echo "== mkfs.erofs"
	cat /tmp/mkfs.erofs.out
} >>"$diag" 2>&1
raw_dax=no fsdax_dax=no
grep "^$raw_dev /bench/erofs-raw " /proc/mounts | grep -q 'dax=always' && raw_dax=yes
grep "^$fsdax_dev /bench/erofs-fsdax " /proc/mounts | grep -q 'dax=always' && fsdax_dax=yes

# Every filesystem must hold the same bytes; this also warms the page cache of an erofs
# mount that fell back from DAX (the others have none).
say "checking the data on every filesystem"
for fs in daxfs erofs-raw erofs-fsdax; do
	cmp "$data/big/file64m" "/bench/$fs/big/file64m" || fail "big/file64m differs on $fs"
	while read -r f; do
		cmp "$data/$f" "/bench/$fs/$f" || fail "$f differs on $fs"
	done </tmp/treefiles
done

# ---------------------------------------------------------------- fio
dir_of() {
	case $1 in
	tmpfs) echo "$data" ;;
	*) echo "/bench/$1" ;;
	esac
}
fslist="tmpfs daxfs erofs-raw erofs-fsdax"

# job_file NAME SET FS: the fio job for one test on one filesystem, on stdout.
job_file() {
	set_name=$2 fs=$3
	# NAME is ENGINE-PATTERN-BS[-NJ]: psync|mmap, seq|rand, block size, N jobs
	set -- $(echo "$1" | tr '-' ' ')
	engine=$1 pattern=$2 bs=$3 jobs=1
	[ $# -lt 4 ] || jobs=${4%j}
	echo "[global]"
	echo "ioengine=$engine"
	echo "bs=$bs"
	echo "directory=$(dir_of "$fs")"
	echo "time_based=1"
	echo "runtime=$runtime"
	echo "invalidate=0"
	echo "numjobs=$jobs"
	echo "group_reporting=1"
	case $pattern in
	seq) echo "rw=read"; echo "file_service_type=sequential" ;;
	rand) echo "rw=randread"; echo "file_service_type=random"; echo "randrepeat=1" ;;
	esac
	case $set_name in
	file64m) echo "filename=big/file64m" ;;
	tree) sed 's/^/filename=/' /tmp/treefiles ;; # one line each: fio adds them up
	esac
	echo "[$engine-$pattern-$bs]"
}

tests=""
for set_name in file64m tree; do
	for j in psync-seq-4k psync-seq-1m psync-rand-4k-1j psync-rand-4k-4j mmap-rand-4k mmap-seq-1m; do
		tests="$tests $j.$set_name"
	done
done

{
	echo "kernel $(uname -r), QEMU TCG (no KVM), $(grep -c ^processor /proc/cpuinfo) vCPUs, $(sed -n 's/MemTotal: *//p' /proc/meminfo) RAM, $(fio --version)"
	echo "files: file64m = one 64 MiB file of random bytes; tree = the $nfiles files larger than 64 KiB of the minbase tree ($((tree_bytes >> 20)) MiB)"
	echo "daxfs: phys=$DAXFS_PHYS (memmap region of $((DAXFS_PHYS_SIZE >> 20)) MiB)"
	echo "erofs: mkfs.erofs -Enoinline_data, $((img_bytes >> 20)) MiB image; erofs-raw on $raw_dev (raw namespace), DAX in use: $raw_dax; erofs-fsdax on $fsdax_dev (fsdax, --map=mem), DAX in use: $fsdax_dax"
	echo "each fio run: $runtime s time_based, invalidate=0; $reps runs per test and filesystem, the filesystems in turn (the order turns each round)"
} >"$out/header.txt"

for t in $tests; do
	case $only in "  ") ;; *" $t "*) ;; *) continue ;; esac
	job=${t%.*} set_name=${t#*.}
	say "$t"
	echo "$t" >>"$out/tests.txt"
	r=1
	order=$fslist
	while [ "$r" -le "$reps" ]; do
		for fs in $order; do
			job_file "$job" "$set_name" "$fs" >/tmp/job.fio
			fio --output-format=json --output="$out/$t.$fs.$r.json" /tmp/job.fio >/tmp/fio.err 2>&1 ||
				{ cat /tmp/fio.err; fail "fio $t on $fs"; }
		done
		order="${order#* } ${order%% *}"
		r=$((r + 1))
	done
done
{
	echo "== dmesg after the runs (erofs, dax, warnings)"
	dmesg | grep -i 'erofs\|dax\|warn\|bug' || true
} >>"$diag" 2>&1
umount /bench/erofs-fsdax /bench/erofs-raw /bench/daxfs
say "done"
