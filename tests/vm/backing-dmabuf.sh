# Scenario: DAXFS in a dma-buf (docs/dma-buf.md), on each exporter the kernel has: the
# system dma-heap (scattered RAM pages) and udmabuf (the pages of a memfd).
#   - bad input on every kernel: fsconfig(FSCONFIG_SET_FD, "dmabuf") with a memfd, and
#     dmabuf=FD text naming no open file, are refused with the reason; then, on a kernel
#     without those exporters (6.1), the rest prints a SKIP line with the reason;
#   - per exporter: mkdaxfs -H HEAP -s SIZE -m MNT -b allocates, writes and mounts in one
#     step and exits (no user descriptor is left); /proc/mounts names the buffer; the rich
#     tree equals its source through read() and both mappings; DAXFS_IOC_DMABUF gives a
#     second process the same memory (close-on-exec, the superblock); daxfs-branch list -m
#     reads the region through it; a large file mapped privately shows its pages scattered
#     in physical memory (udmabuf); daxfs-branch create --from MNT mounts a
#     branch of the same buffer, written (new files, an overwrite of a base file, a
#     symlink), committed, seen by main; the only mount is remounted from the buffer and
#     shows the committed tree; an aborted branch leaves main alone;
#   - a buffer smaller than the image: mkdaxfs -H and a mount of a truncated image in a
#     small buffer are refused with a clear reason; nothing crashes.
# vm-run-args: --mem 2G
# quick-args:
. "$(dirname "$0")/lib.sh"

MNT=/mnt/dma
BR=/mnt/dma-br
for tool in mkdaxfs daxfs-branch daxfs-dmaprobe daxfs-manifest daxfs-inspect daxfs-mktree; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done
mkdir -p $MNT $BR

# umount_all: unmount $BR and $MNT if mounted (the buffer goes with its last mount)
umount_all() {
	for _m in $BR $MNT; do
		! grep -q " $_m daxfs " /proc/mounts || umount_daxfs $_m
	done
}

step "bad input: a memfd given as the dma-buf"
out=$(daxfs-dmaprobe notbuf $MNT) || fail "a memfd was not refused: $out"
echo "$out"
case $out in *"not a dma-buf"*) ;; *) fail "no clear reason: $out" ;; esac

step "bad input: dmabuf=FD text naming no open file"
expect_fail mount -t daxfs -o dmabuf=99 none $MNT
dmesg | grep -q 'dmabuf=99: no such open file' || fail "no reason in the kernel log"
dmesg | grep 'dmabuf=99' | tail -n 1

heaps=""
[ -c /dev/dma_heap/system ] && heaps="$heaps /dev/dma_heap/system"
[ -c /dev/udmabuf ] && heaps="$heaps /dev/udmabuf"
if [ -z "$heaps" ]; then
	echo "SKIP: $DAXFS_TEST_NAME: kernel $(uname -r) has no dma-buf exporter to test" \
		"(no /dev/dma_heap/system: CONFIG_DMABUF_HEAPS_SYSTEM; no /dev/udmabuf:" \
		"CONFIG_UDMABUF); only the refusals above ran"
	check_dmesg
	pass
fi

head -c 3145728 /dev/urandom >/tmp/blob
head -c 8192 /dev/urandom >/tmp/patch

# change ROOT: the branch's changes, made the same way in ROOT (a branch, or a tmpfs copy)
change() {
	expect_ok mkdir "$1/added"
	expect_ok cp /tmp/blob "$1/added/blob"
	expect_ok ln -s blob "$1/added/link"
	expect_ok dd if=/tmp/patch of="$1$rel" bs=4096 seek=3 conv=notrunc 2>/dev/null
	expect_ok touch -h -d "2021-02-03 04:05:06" "$1/added/link" "$1/added/blob" \
		"$1/added" "$1$rel" "$(dirname "$1$rel")" "$1"
}

# prepare TAG [--small]: the rich tree /tmp/TAG and its manifest /tmp/want-TAG; the same
# tree with the branch's changes and its manifest /tmp/want2-TAG; sets rel (a file of the
# tree the branch overwrites) and large (its largest file)
prepare() {
	step "generate the rich tree $* in tmpfs, and the tree with the branch's changes"
	expect_ok daxfs-mktree /tmp/$1 $2 >/dev/null
	expect_ok daxfs-manifest --all /tmp/$1 >/tmp/want-$1
	rel=$(find /tmp/$1 -type f -links 1 -size +40k | head -n 1)
	[ -n "$rel" ] || fail "no file of 40 KiB in the rich tree"
	rel=${rel#/tmp/$1}
	large=$(find /tmp/$1 -type f -size +100k -exec ls -s {} + | sort -n | tail -n 1 |
		sed 's/^ *[0-9]* //')
	large=${large#/tmp/$1}
	expect_ok daxfs-mktree /tmp/$1-2 $2 >/dev/null
	change /tmp/$1-2
	expect_ok daxfs-manifest --all /tmp/$1-2 >/tmp/want2-$1
}

for heap in $heaps; do
	name=$(basename $heap)
	# udmabuf's buffers are at most 64 MiB (its size_limit_mb): the small profile there
	size=160M bytes=167772160 tree=full small=
	[ $name != udmabuf ] || { size=64M bytes=67108864 tree=small small=--small; }
	[ -f /tmp/want-$tree ] || prepare $tree $small

	step "$name: mkdaxfs -H $heap -s $size -m $MNT -b (allocate, write, mount, exit)"
	expect_ok mkdaxfs -q -d /tmp/$tree -H $heap -s $size -m $MNT -b
	grep " $MNT daxfs " /proc/mounts || fail "no mount at $MNT"
	DAXFS_MOUNTS="$MNT $DAXFS_MOUNTS"
	grep -q "^dmabuf:[a-z]* $MNT daxfs ro,.*dmabuf=[0-9]*,size=$bytes" /proc/mounts ||
		fail "/proc/mounts does not name the buffer"

	step "$name: the tree through read() and both mappings, no user descriptor left"
	expect_ok daxfs-manifest --all $MNT >/tmp/got
	same_manifest /tmp/want-$tree /tmp/got

	step "$name: DAXFS_IOC_DMABUF: the same memory in a second process"
	out=$(daxfs-dmaprobe buffer $MNT) || fail "daxfs-dmaprobe buffer: $out"
	echo "$out"
	case $out in *"$bytes bytes, magic 0x53465844, cloexec 1"*) ;; *) fail "$out" ;; esac
	expect_ok daxfs-branch list -m $MNT

	# The system heap hands out chunks of up to 1 MiB, which a fresh guest often finds
	# adjacent; a memfd's pages come one by one, so udmabuf is the scattered case.
	step "$name: where the pages of the largest file are in physical memory"
	out=$(daxfs-dmaprobe runs "$MNT$large") || fail "daxfs-dmaprobe runs: $out"
	echo "${large##*/}: $out"
	runs=$(echo "$out" | sed -n 's/.* in \([0-9]*\) physically.*/\1/p')
	[ $name != udmabuf ] || [ "$runs" -gt 1 ] ||
		fail "udmabuf gave one contiguous run: not the scattered case"

	step "$name: daxfs-branch create b1 -m $BR --from $MNT; write; commit"
	expect_ok daxfs-branch create b1 -m $BR --from $MNT
	DAXFS_MOUNTS="$BR $DAXFS_MOUNTS"
	grep " $BR daxfs " /proc/mounts
	change $BR
	expect_ok daxfs-manifest --all $BR >/tmp/got
	same_manifest /tmp/want2-$tree /tmp/got
	expect_ok daxfs-branch commit -m $BR
	umount_daxfs $BR
	expect_ok daxfs-manifest --all $MNT >/tmp/got
	same_manifest /tmp/want2-$tree /tmp/got

	step "$name: remount the only mount from its buffer: the committed tree"
	out=$(daxfs-dmaprobe remount $MNT) || fail "remount: $out"
	echo "$out"
	expect_ok daxfs-manifest --all $MNT >/tmp/got
	same_manifest /tmp/want2-$tree /tmp/got

	step "$name: an aborted branch leaves main alone"
	expect_ok daxfs-branch create b2 -m $BR --from $MNT
	DAXFS_MOUNTS="$BR $DAXFS_MOUNTS"
	expect_ok cp /tmp/blob $BR/aborted
	expect_ok daxfs-branch abort -m $BR
	expect_fail ls $BR/ >/dev/null 2>&1
	umount_daxfs $BR
	[ ! -e $MNT/aborted ] || fail "main shows the aborted branch's file"
	expect_ok daxfs-branch list -m $MNT

	step "$name: a buffer smaller than the image is refused"
	umount_all
	out=$(mkdaxfs -q -d /tmp/$tree -H $heap -s 64K -m $MNT 2>&1) &&
		fail "mkdaxfs -s 64K succeeded"
	echo "$out"
	case $out in *"mkdaxfs: "*) ;; *) fail "no one-line reason: $out" ;; esac
	expect_ok mkdaxfs -q -d /tmp/$tree -o /tmp/img
	out=$(daxfs-dmaprobe load $heap /tmp/img 64K $MNT) && fail "a 64K piece of the image mounted"
	echo "$out"
	case $out in *"refused: "*image*) ;; *) fail "no clear reason: $out" ;; esac
	rm -f /tmp/img
done

check_dmesg
pass
