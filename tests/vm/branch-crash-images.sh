# Scenario: crash consistency of branch logs and commits. The host preparation
# (branch-crash-images.prep) boots a guest with an NVDIMM backed by a host file and runs this
# script in "workload" mode on it: mkdaxfs -b into the NVDIMM, then iterations k = 1, 2, ...
# each in its own branch (create, pwrite, delete, rename, append; then commit), and after
# MAXK commits one branch that keeps writing without committing. Meanwhile the host freezes
# QEMU at random moments (SIGSTOP: every vCPU stops, the memory file is an instant of a
# crash), copies the file and lets it go on, and at last kills QEMU with SIGKILL at a random
# moment. Every copy, and the file after the kill, must pass the host's fsck.daxfs.
# In the default "verify" mode (this guest) each copy is loaded into a memmap region: it
# passes the shared validator and its main equals the base tree after exactly the first m
# iterations (m = the last line of its journal), rebuilt in tmpfs: a prefix of the commits,
# nothing half-applied. The uncommitted branch of each image, read offline (daxfs-inspect
# extract --branch), holds whole iterations 1..j (its journal) and their files as written.
# With "fold" first (branch-crash-fold.sh), the same with folds of main's history: small
# iterations into a 12M delta region, and every FOLD_EVERY-th commit also folds main now
# (DAXFS_IOC_FOLD, daxfs-bprobe fold), besides the kernel's own folds (chain of 32 slots, or
# space low); a mount of main is a reader the reap waits for: copies are then frozen inside
# folds and between folds and their reaps. Verify also mounts every copy
# and waits until the mount's periodic look has reaped what a fold cut short left (folded
# slots): fsck still clean, main unchanged, no folded slot left.
# Arguments: [fold] [verify] | [fold] workload MAXK
# vm-run-args: --memmap 128M
# host-prep: tests/vm/branch-crash-images.prep
# quick-args:
. "$(dirname "$0")/lib.sh"

FOLD=
[ "$1" != fold ] || { FOLD=1; shift; }
MODE=${1:-verify}
MAXK=${2:-100}
# file sizes of an iteration below SPAN bytes; the delta region
SPAN=150000 DELTA=96M FOLD_EVERY=3
[ -z "$FOLD" ] || { SPAN=12000; DELTA=12M; }

# The deterministic bytes every iteration copies from: 160,000 bytes of LCG hex.
make_pattern() {
	awk 'BEGIN { x = 1; for (i = 0; i < 20000; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%08x", x } }' >/tmp/pattern
}

make_base() {
	mkdir -p "$1/c" "$1/keep"
	head -c 100000 /tmp/pattern >"$1/keep/big"
	echo base >"$1/keep/small"
	# fold mode: a 2 MiB file a page of which each iteration rewrites, so that folds move
	# its part into an aligned run (compaction) at the moments the host copies
	[ -z "$FOLD" ] || for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do
		cat /tmp/pattern
	done | head -c 2097152 >"$1/keep/large"
}

# iter DIR K: iteration K of the workload on DIR (the same on the branch and in tmpfs)
iter() {
	_j=0
	while [ $_j -lt 4 ]; do
		head -c $((($2 * 7919 + _j * 104729) % SPAN)) /tmp/pattern >"$1/c/$2-$_j" || return 1
		_j=$((_j + 1))
	done
	if [ "$2" -gt 1 ]; then
		dd if=/tmp/pattern of="$1/c/$(($2 - 1))-0" bs=100 count=1 seek=$(($2 % 500)) \
			skip=$(($2 % 1000)) conv=notrunc 2>/dev/null || return 1
		dd if=/tmp/pattern of="$1/keep/big" bs=4096 count=1 seek=$(($2 % 30)) \
			skip=$(($2 % 30)) conv=notrunc 2>/dev/null || return 1
		[ -z "$FOLD" ] || dd if=/tmp/pattern of="$1/keep/large" bs=4096 count=1 \
			seek=$(($2 * 37 % 512)) skip=$(($2 % 30)) conv=notrunc 2>/dev/null || return 1
	fi
	if [ "$2" -gt 2 ]; then
		rm -f "$1/c/$(($2 - 2))-3" || return 1
		mv "$1/c/$(($2 - 2))-2" "$1/c/r$(($2 - 2))" || return 1
	fi
	echo "$2" >>"$1/journal"
}

workload() {
	[ -n "$DAXFS_PMEM_PHYS" ] && [ -n "$DAXFS_PMEM" ] ||
		fail "no NVDIMM: run with scripts/vm-run --pmem FILE"
	step "mkdaxfs -b, written to the NVDIMM ($DAXFS_PMEM at $DAXFS_PMEM_PHYS, $DAXFS_PMEM_SIZE bytes)"
	make_base /tmp/base
	# /dev/mem cannot map a range nd_pmem owns: the image goes through the block device.
	expect_ok mkdaxfs -q -b "$DELTA" -d /tmp/base -o /tmp/crash.img
	expect_ok dd if=/tmp/crash.img of="$DAXFS_PMEM" bs=1048576 conv=fsync 2>/dev/null
	rm -f /tmp/crash.img
	popts="phys=$DAXFS_PMEM_PHYS,size=$DAXFS_PMEM_SIZE"
	mkdir -p /mnt/w /share/crash
	echo "$DAXFS_KERNEL" >/share/crash/ready
	if [ -n "$FOLD" ]; then
		# a reader of main: a fold waits for its periodic look (500 ms) before the reap,
		# and that look may fold too
		mkdir -p /mnt/m
		mount -t daxfs -o "$popts" none /mnt/m || fail "mount main"
	fi
	step "iterations 1..$MAXK, each committed"
	k=1
	while [ $k -le "$MAXK" ]; do
		mount -t daxfs -o "$popts,branch=w$k,parent=main" none /mnt/w || fail "mount w$k"
		iter /mnt/w $k || fail "iteration $k"
		daxfs-branch commit -m /mnt/w >/dev/null || fail "commit w$k"
		if [ -n "$FOLD" ] && [ $((k % FOLD_EVERY)) = 0 ]; then
			daxfs-bprobe fold /mnt/w >/tmp/fold.out || fail "fold after w$k: $(cat /tmp/fold.out)"
		fi
		umount /mnt/w || fail "umount w$k"
		echo "$k" >/share/crash/progress
		k=$((k + 1))
	done
	step "one branch writing without commits until the host kills the guest"
	mount -t daxfs -o "$popts,branch=tail,parent=main" none /mnt/w || fail "mount tail"
	while iter /mnt/w $k; do
		k=$((k + 1))
	done
	echo "tail stopped at $k" >/share/crash/progress
	while :; do sleep 1; done
}

# verify_one IMG: IMG's main is the base after exactly the iterations its journal names
verify_one() {
	step "$(basename "$1"): validates, main is a prefix of the commits"
	clear_region
	load_image "$1"
	expect_ok daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check >/dev/null
	[ -z "$FOLD" ] || fold_state before
	mount_daxfs /mnt/main
	m=0
	[ -f /mnt/main/journal ] && m=$(tail -n 1 /mnt/main/journal)
	# the copies come in workload order: go on from the last tree unless it is past m
	if [ "$WANT_AT" -lt 0 ] || [ "$WANT_AT" -gt "$m" ]; then
		rm -rf /tmp/want
		make_base /tmp/want
		WANT_AT=0
	fi
	k=$((WANT_AT + 1))
	while [ $k -le "$m" ]; do
		iter /tmp/want $k || fail "rebuilding iteration $k in tmpfs"
		k=$((k + 1))
	done
	WANT_AT=$m
	expect_ok daxfs-manifest /tmp/want >/tmp/want.full
	expect_ok daxfs-manifest --all /mnt/main >/tmp/got.full
	awk '{ $7 = "-"; print }' /tmp/want.full >/tmp/want.m
	awk '{ $7 = "-"; print }' /tmp/got.full >/tmp/got.m
	echo "commits in main: $m"
	same_manifest /tmp/want.m /tmp/got.m
	[ -z "$FOLD" ] || settle_folds
	umount_daxfs /mnt/main
	expect_ok daxfs-branch list "$1" >/tmp/list
	for b in $(awk 'tolower($4) == "active" { print $2 }' /tmp/list); do
		verify_branch "$1" "$b" "$m"
	done
}

# fold_state WHEN: print the region's fold line; FOLDED=its folded slots, NEED=its fold_need
fold_state() {
	daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" info >/tmp/info ||
		fail "daxfs-inspect info $1"
	line=$(grep '^fold:' /tmp/info) || fail "no fold line in daxfs-inspect info"
	echo "$1: $line"
	FOLDED=$(echo "$line" | sed 's/.*folded slots //')
	NEED=$(echo "$line" | sed 's/.*fold_need \([0-9]*\),.*/\1/')
	if [ "$1" = before ]; then
		[ "$FOLDED" = 0 ] || GARBAGE=$((GARBAGE + 1))
		[ "$NEED" = 0 ] || PENDING=$((PENDING + 1))
	fi
}

# settle_folds: main (mounted at /mnt/main) frees what a fold cut short left behind within
# the readers' lease (the dead workload's reader entries go after DAXFS_LEASE_NS of the
# mount's own clock); meanwhile and after, main is unchanged and the region validates
settle_folds() {
	t=0
	while :; do
		fold_state "after ${t}s"
		# fold_need may stay set: main_head's own slot waits for the next commit
		[ "$FOLDED" != 0 ] || break
		[ $t -lt 20 ] || fail "folded slots still there after ${t}s of a mount"
		sleep 1
		t=$((t + 1))
	done
	expect_ok daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check >/dev/null
	expect_ok daxfs-manifest --all /mnt/main >/tmp/got.full
	awk '{ $7 = "-"; print }' /tmp/got.full >/tmp/got.m
	same_manifest /tmp/want.m /tmp/got.m
}

# c_stable J: the lines of a manifest (stdin) of files c/K-N and c/rK with K <= J - 2,
# which iteration J + 1 does not touch
c_stable() {
	awk -v j="$1" '{ n = $1; if (n !~ /^c\/r?[0-9]+(-[0-9]+)?$/) next
		sub(/^c\/r?/, "", n); sub(/-.*/, "", n); if (n + 0 <= j - 2) print }'
}

# verify_branch IMG NAME M: the uncommitted branch NAME, read offline, has a journal 1..J
# (J >= M, the commits under it) and the files of the iterations before J as they were
verify_branch() {
	rm -rf /tmp/view
	expect_ok daxfs-inspect extract --branch "$2" "$1" /tmp/view >/dev/null
	j=0
	[ -f /tmp/view/journal ] && j=$(tail -n 1 /tmp/view/journal)
	seq 1 "$j" | cmp -s - /tmp/view/journal || [ "$j" = 0 ] ||
		fail "branch $2: its journal is not 1..$j: $(tr '\n' ' ' </tmp/view/journal | tail -c 200)"
	[ "$j" -ge "$3" ] || fail "branch $2: journal ends at $j, below the $3 commits it is on"
	echo "uncommitted branch $2: iterations 1..$j complete"
	if [ "$WANT_AT" -gt "$j" ]; then
		rm -rf /tmp/want
		make_base /tmp/want
		WANT_AT=0
	fi
	k=$((WANT_AT + 1))
	while [ $k -le "$j" ]; do
		iter /tmp/want $k || fail "rebuilding iteration $k in tmpfs"
		k=$((k + 1))
	done
	WANT_AT=$j
	expect_ok daxfs-manifest /tmp/want >/tmp/want.full
	expect_ok daxfs-manifest /tmp/view >/tmp/view.full
	awk '{ $7 = "-"; print }' /tmp/want.full | c_stable "$j" >/tmp/want.c
	awk '{ $7 = "-"; print }' /tmp/view.full | c_stable "$j" >/tmp/view.c
	same_manifest /tmp/want.c /tmp/view.c
}

make_pattern
case $MODE in
workload) workload ;;
verify)
	need_phys
	ls /share/snap-*.img >/dev/null 2>&1 || fail "no snapshots in /share (branch-crash-images.prep makes them)"
	cat /share/host-fsck.txt 2>/dev/null
	n=0 WANT_AT=-1 GARBAGE=0 PENDING=0
	for img in /share/snap-*.img; do
		verify_one "$img"
		n=$((n + 1))
	done
	echo "$n crash images verified"
	[ -z "$FOLD" ] ||
		echo "$GARBAGE of them with folded slots, $PENDING with fold_need set: all reaped by a mount"
	check_dmesg
	pass
	;;
*) fail "unknown mode '$MODE'" ;;
esac
