# Scenario: main's history folded online while two kernels share one region (issue 12;
# scripts/vm-multi, guest 0 "A" on 6.1 and guest 1 "B" on 6.12 in the suite). The image
# has a small delta region (4 MiB) so that freed pages are taken again. Both guests keep
# main mounted all along.
#  1. ROUNDS rounds of commits, in lockstep: in each round one guest (B every fourth
#     round, A the others) creates a branch of main, rewrites data/map (8 self-describing
#     pages of version r, daxfs-foldprobe write) and a file of random bytes, publishes the
#     manifest the branch has (what main must hold) and commits it; both mounted mains
#     must then show exactly that tree (daxfs-manifest --all: read() and mappings).
#     Meanwhile, in B:
#      - a MAP_SHARED mapping of main's data/map, never read() again, is read page by page
#        every 20 ms (daxfs-foldprobe mapwatch): each page must always be a whole page of
#        the file, of a version no older than before and no newer than the last commit
#        begun (refaults after commits show the new bytes, never garbage or SIGBUS), and
#        at the end every page shows the last version;
#      - data/doomed is held open and mapped (daxfs-foldprobe hold) while A deletes it in
#        round 3: read() and the mapping keep giving its bytes, through the folds of the
#        first part, which must not free what the folds left behind (the open file pins
#        B's reader entry: live.fold_need stays set, and A's DAXFS_IOC_FOLD in round
#        PIN-1 says "pending"); once B closes it, what they left is freed within
#        SLACK s (fold_need back to 0).
#     The first part (rounds 1 .. PIN) has no fold asked for but that one: with ROUNDS
#     >= 40 main's chain reaches 32 slots and a kernel folds on its own. After PIN, every
#     third round the committer's kernel folds (DAXFS_IOC_FOLD: A and B in turn), and the
#     files written are larger, so the delta region is used more than once over.
#     At the end: both kernels folded; both mains are the same tree; a last fold from A
#     frees everything no reader needs (pending 0); daxfs-inspect check of the region is
#     clean; the delta pages in use are the live data (main's files, counted in pages)
#     plus the fold's log and a margin, at most.
#  2. B's kernel is killed (SIGKILL of its QEMU, tests/multi/fold-hook) with main
#     mounted; A commits and folds: the fold must stay pending (B's reader entry has not
#     seen it, and its heartbeat has stood still for less than a lease), fold_need set;
#     after the lease (5 s of A's clock, counted from its first look after the kill), A
#     takes B's entry out and frees the pages: fold_need 0 between 5 and 5 + SLACK s
#     after the kill was known, A's kernel log says so, one reader entry fewer;
#     daxfs-inspect check clean. B boots again, mounts main (the same tree as A's),
#     commits a branch and folds from its kernel; A sees that tree. Every mount goes; the
#     host's fsck.daxfs passes with no page leaked (tests/multi/check-region).
# Prints the folds and reaps of each kernel, the mapping's version changes, and the
# delta pages used against the live data.
# Arguments: [ROUNDS [SLACK]] (default 40 20; the long mode, tests/vm/run --long, 150).
# vm-multi-args: --hook tests/multi/fold-hook --after tests/multi/check-region --timeout 1800
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem" 4M
# quick-args: 12
# long-args: 150
. "$(dirname "$0")/lib.sh"
# The kernel log of every boot is kept in /share/multi/dmesg.GUEST.BOOT, pass or fail; a
# guest that fails says so in /share/multi/failed.GUEST (guest 1's boot after the kill
# waits for guest 0 and would not learn of it otherwise).
trap '_st=$?; dmesg >"$DAXFS_MULTI_DIR/dmesg.$DAXFS_PEER.$DAXFS_BOOT" 2>/dev/null
	[ "$DAXFS_DONE" = pass ] || : >"$DAXFS_MULTI_DIR/failed.$DAXFS_PEER"
	(exit $_st); _daxfs_exit' EXIT

ROUNDS=${1:-40}
SLACK=${2:-20}
M=$DAXFS_MULTI_DIR
me=$DAXFS_PEER
TAG=7
MAPPAGES=8
[ "$DAXFS_PEERS" = 2 ] || fail "this scenario wants 2 guests, got $DAXFS_PEERS"
[ "$ROUNDS" -ge 8 ] && [ "$ROUNDS" -le 200 ] || fail "ROUNDS wants 8 .. 200, got $ROUNDS"
# The pinned part: long enough for main's chain to reach 32 slots with the default rounds.
if [ "$ROUNDS" -ge 40 ]; then PIN=34; else PIN=$((ROUNDS / 2)); fi
OPTS=$(pmem_opts)

now() { cut -d' ' -f1 /proc/uptime; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# bmount MNT OPTIONS: mount the shared region with OPTIONS at MNT
bmount() {
	mkdir -p "$1"
	expect_ok mount -t daxfs -o "$OPTS${2:+,}$2" none "$1"
	DAXFS_MOUNTS="$1 $DAXFS_MOUNTS"
}

# live NAME: the live word NAME of the region (commit_seq, fold_head, fold_need), or
# readers: the entries of live.readers in use
live() {
	daxfs-foldprobe live "$DAXFS_PMEM" >/tmp/live.out || { cat /tmp/live.out; fail "live"; }
	field "$1" /tmp/live.out
}

manifest() {
	daxfs-manifest "$@" || fail "daxfs-manifest $*"
}

# same_as WANT: main mounted here is the tree in WANT (read() and mappings)
same_as() {
	manifest /mnt/main --all >/tmp/main.man
	cmp -s "$1" /tmp/main.man || {
		diff "$1" /tmp/main.man | head -n 20
		fail "main in guest $me ($DAXFS_KERNEL) differs from $1"
	}
}

# fold: DAXFS_IOC_FOLD on main here; the probe's line in /tmp/fold.out
fold() {
	daxfs-foldprobe fold /mnt/main >/tmp/fold.out || { cat /tmp/fold.out; fail "fold"; }
	echo "guest $me ($DAXFS_KERNEL) folds: $(cat /tmp/fold.out)"
	[ "$(field slot /tmp/fold.out)" = 0 ] || asked=$((asked + 1))
}

# field NAME FILE: the value of NAME=VALUE in FILE
field() {
	awk -v k="$1" '{ for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' "$2"
}

# wait_reaped SEC: wait until live.fold_need is 0 (what folds left is freed); the seconds
# it took in $waited; fails after SEC s
wait_reaped() {
	_t0=$(now)
	while :; do
		daxfs-foldprobe live "$DAXFS_PMEM" >/tmp/live.out || fail "$(cat /tmp/live.out)"
		[ "$(field fold_need /tmp/live.out)" != 0 ] || break
		awk -v a="$_t0" -v b="$(now)" -v l="$1" 'BEGIN { exit !(b - a > l) }' &&
			fail "what the folds left is not freed $1 s on ($(cat /tmp/live.out))"
		sleep 0.2
	done
	waited=$(diff_s "$_t0" "$(now)")
}

# region_check: daxfs-inspect check of the shared region passes (a copy read with
# O_DIRECT: /dev/mem may not read a range the NVDIMM driver holds)
region_check() {
	expect_ok dd if="$DAXFS_PMEM" of=/tmp/region.img bs=1048576 iflag=direct 2>/dev/null
	daxfs-inspect /tmp/region.img check >/tmp/check.out 2>&1 || {
		tail -n 20 /tmp/check.out
		fail "daxfs-inspect check of the region failed"
	}
	rm -f /tmp/region.img
	echo "daxfs-inspect check: $(tail -n 1 /tmp/check.out)"
}

# used_vs_live: the delta pages in use against main's files counted in pages
used_vs_live() {
	daxfs-foldprobe info /mnt/main >/tmp/info.out || { cat /tmp/info.out; fail "info"; }
	used=$(field used_pages /tmp/info.out)
	files=$(find /mnt/main -type f -exec stat -c %s {} + |
		awk '{ n += int(($1 + 4095) / 4096) } END { print n + 0 }')
	logp=$(field log_pages /tmp/fold.out)
	echo "delta pages in use: $used; main's files: $files pages; the fold's log: $logp pages"
	[ "$used" -le $((files + logp + 32)) ] ||
		fail "$used delta pages in use for $files pages of files and a log of $logp"
}

# commit_round R: create branch rR, change it, publish what main must hold, commit
commit_round() {
	bmount /mnt/b "branch=r$1,parent=main"
	daxfs-foldprobe write /mnt/b/data/map $TAG "$1" $MAPPAGES || fail "round $1: write data/map"
	if [ "$1" -le "$PIN" ]; then
		kb=$(( ($(od -An -N2 -tu2 /dev/urandom) % 7 + 2) * 4 ))
	else
		kb=$(( ($(od -An -N2 -tu2 /dev/urandom) % 49 + 48) * 4 ))
	fi
	expect_ok dd if=/dev/urandom of="/mnt/b/data/f$(($1 % 6))" bs=1024 count=$kb 2>/dev/null
	[ "$me" = 0 ] || echo "round $1 by guest 1" >"/mnt/b/data/b$1" || fail "write data/b$1"
	[ "$1" != 3 ] || expect_ok rm /mnt/b/data/doomed
	manifest /mnt/b >"$M/.want.$1" && mv "$M/.want.$1" "$M/want.$1"
	peer_put limit "$1"
	expect_ok daxfs-branch commit -m /mnt/b >/dev/null
	umount_daxfs /mnt/b
	no_corrupt_slot
}

# no_corrupt_slot: the kernel found no branch slot corrupt (e.g. a branch created in the
# very slot main_head still names after a fold freed it: its parent is itself)
no_corrupt_slot() {
	_c=$(dmesg | grep -m 3 -e 'branch slot [0-9]* is corrupt' -e 'cannot mount branch')
	[ -z "$_c" ] || {
		echo "$_c"
		daxfs-foldprobe live "$DAXFS_PMEM"
		dd if="$DAXFS_PMEM" of=/tmp/region.img bs=1048576 iflag=direct 2>/dev/null
		daxfs-branch list /tmp/region.img 2>&1
		fail "the kernel finds a branch slot corrupt"
	}
}

if [ "$DAXFS_BOOT" != 0 ]; then
	# ---- guest 1 after the host killed it (act 2)
	step "guest 1 boot $DAXFS_BOOT ($DAXFS_KERNEL): main after the kill"
	i=0
	until [ -e "$M/a-reaped" ]; do
		[ ! -e "$M/failed.0" ] || fail "guest 0 failed"
		i=$((i + 1))
		[ $i -lt 3000 ] || fail "guest 0 did not get past the kill in 600 s"
		sleep 0.2
	done
	bmount /mnt/main ""
	same_as "$M/want.a"
	echo "main here is A's tree after the kill"
	commit_round $((ROUNDS + 2))
	same_as "$M/want.$((ROUNDS + 2))"
	fold
	[ "$(field pending /tmp/fold.out)" = 0 ] || fail "the fold after the reboot waits for a reader"
	region_check
	manifest /mnt/main >"$M/.want.b" && mv "$M/.want.b" "$M/want.b"
	peer_put b-done
	peer_wait a-end 600
	umount_daxfs /mnt/main
	echo "guest 1: $(dmesg | grep -c 'main folded into slot') folds," \
		"$(dmesg | grep -c 'folded history freed') reaps in this boot"
	check_dmesg
	pass
fi

step "guest $me ($DAXFS_KERNEL): main mounted in both kernels"
bmount /mnt/main ""
if [ "$me" = 0 ]; then
	bmount /mnt/b "branch=r0,parent=main"
	daxfs-foldprobe write /mnt/b/data/map $TAG 0 $MAPPAGES || fail "write data/map"
	expect_ok dd if=/dev/urandom of=/mnt/b/data/doomed bs=4096 count=12 2>/dev/null
	manifest /mnt/b >"$M/.want.0" && mv "$M/.want.0" "$M/want.0"
	peer_put limit 0
	expect_ok daxfs-branch commit -m /mnt/b >/dev/null
	umount_daxfs /mnt/b
	peer_put round.0
fi
peer_wait round.0
same_as "$M/want.0"
if [ "$me" = 1 ]; then
	daxfs-foldprobe hold /mnt/main/data/doomed /tmp/hold.stop >/tmp/hold.out 2>&1 &
	hold=$!
	daxfs-foldprobe mapwatch /mnt/main/data/map $TAG $MAPPAGES "$M/limit" /tmp/map.stop \
		>/tmp/map.out 2>&1 &
	mapw=$!
	probe_ready $hold /tmp/hold.out
	probe_ready $mapw /tmp/map.out
fi
barrier watching
readers0=$(live readers)
[ -n "$readers0" ] || fail "the live words cannot be read"
echo "reader entries in use: $readers0"

step "$ROUNDS rounds of commits; a fold asked for in round $((PIN - 1)), every third after $PIN"
r=1 pending_pinned='' asked=0
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 4)) = 2 ]; then committer=1; else committer=0; fi
	if [ "$me" = $committer ]; then
		commit_round $r
		peer_put round.$r
	fi
	peer_wait round.$r
	same_as "$M/want.$r"
	# The folds asked for: A's in round PIN - 1, then A's and B's in turn
	if { [ $r = $((PIN - 1)) ] && [ "$me" = 0 ]; } ||
		{ [ $r -gt "$PIN" ] && [ $((r % 3)) = 0 ] && [ $((r / 3 % 2)) = "$me" ]; }; then
		fold
		[ $r != $((PIN - 1)) ] || pending_pinned=$(field pending /tmp/fold.out)
	fi
	if [ "$me" = 1 ] && [ $r = 3 ]; then
		[ ! -e /mnt/main/data/doomed ] || fail "data/doomed is still in main after round 3"
	fi
	if [ $r = "$PIN" ]; then
		[ -z "$pending_pinned" ] || [ "$pending_pinned" = 1 ] ||
			fail "the fold of round $((PIN - 1)) freed at once while B held data/doomed open"
		need=$(live fold_need)
		[ -n "$need" ] && [ "$need" != 0 ] || fail "fold_need is 0 while data/doomed is held open: nothing kept"
		barrier pinned
		if [ "$me" = 1 ]; then
			echo "before the release: $(cat /tmp/live.out)"
			: >/tmp/hold.stop
			wait $hold || { cat /tmp/hold.out; fail "the file held open while A deleted it"; }
			cat /tmp/hold.out
			wait_reaped "$SLACK"
			echo "data/doomed closed: what the folds left freed $waited s later"
		fi
		barrier released
	fi
	barrier round.$r
	r=$((r + 1))
done

step "end of the rounds: the mapping, the folds of both kernels, the trees, the space"
if [ "$me" = 1 ]; then
	echo "$ROUNDS" >/tmp/map.stop.tmp && mv /tmp/map.stop.tmp /tmp/map.stop
	wait $mapw || { cat /tmp/map.out; fail "the mapping of data/map"; }
	cat /tmp/map.out
fi
folds=$(dmesg | grep -c 'main folded into slot')
reaps=$(dmesg | grep -c 'folded history freed')
echo "guest $me ($DAXFS_KERNEL): $folds folds ($asked asked for), $reaps reaps"
[ "$folds" -ge 1 ] || fail "no fold in this kernel"
peer_put folds.$me "$folds $asked $reaps"
manifest /mnt/main --all >"/tmp/end.$me"
cp "/tmp/end.$me" "$M/end.$me"
barrier end-rounds
cmp -s "$M/end.0" "$M/end.1" || {
	diff "$M/end.0" "$M/end.1" | head -n 20
	fail "the two kernels' mains differ"
}
echo "both mains are the same tree ($(wc -l <"$M/end.0") paths)"
if [ "$me" = 0 ]; then
	read -r f0 a0 r0 <"$M/folds.0"
	read -r f1 a1 r1 <"$M/folds.1"
	[ $((r0 + r1)) -ge 1 ] || fail "no reap in either kernel"
	own=$((f0 + f1 - a0 - a1))
	echo "folds on their own (main's chain at 32 slots, or space low): $own"
	[ "$ROUNDS" -lt 40 ] || [ "$own" -ge 1 ] ||
		fail "$ROUNDS rounds and no kernel folded on its own"
	fold
	[ "$(field pending /tmp/fold.out)" = 0 ] || fail "the last fold waits for a reader"
	region_check
	used_vs_live
fi
barrier checked

step "act 2: B's kernel killed with main mounted; A's fold waits a lease, then frees"
if [ "$me" = 1 ]; then
	peer_put kill-1
	sleep 900
	fail "guest 1 was not killed"
fi
peer_wait killed 600
t0=$(now)
mark=$(dmesg | wc -l)
commit_round $((ROUNDS + 1))
same_as "$M/want.$((ROUNDS + 1))"
fold
[ "$(field pending /tmp/fold.out)" = 1 ] ||
	fail "the fold freed at once, $(diff_s "$t0" "$(now)") s after B was killed (lease 5 s)"
need=$(live fold_need)
[ -n "$need" ] && [ "$need" != 0 ] || fail "fold_need is 0 though B's entry has not seen the fold"
wait_reaped $((5 + SLACK))
t1=$(now)
echo "B's reader entry taken out and the pages freed $(diff_s "$t0" "$t1") s after the kill" \
	"was known"
awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 4.9) }' ||
	fail "freed $(diff_s "$t0" "$t1") s after the kill: before a lease"
dmesg | tail -n +$((mark + 1)) |
	grep -q 'reader entry [0-9]* stopped beating for a lease; taken out' ||
	fail "the kernel log does not say B's reader entry was taken out"
dmesg | tail -n +$((mark + 1)) | grep -q 'folded history freed' ||
	fail "the kernel log does not say the folded history was freed"
n=$(live readers)
echo "reader entries: $readers0 before the kill, $n now"
[ "$n" -lt "$readers0" ] || fail "B's reader entry is still there"
region_check
used_vs_live
manifest /mnt/main >"$M/.want.a" && mv "$M/.want.a" "$M/want.a"
peer_put a-reaped

step "B again: it mounts main, commits and folds; A sees that tree"
peer_wait b-done 900
same_as "$M/want.b"
region_check
peer_put a-end
umount_daxfs /mnt/main
folds=$(dmesg | grep -c 'main folded into slot')
reaps=$(dmesg | grep -c 'folded history freed')
echo "guest 0 ($DAXFS_KERNEL): $folds folds, $reaps reaps in all"
peer_put all-gone
check_dmesg
pass
