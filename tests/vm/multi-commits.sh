# Scenario: two kernels on one region (scripts/vm-multi: guest 0 and guest 1 share an
# NVDIMM file, on 6.1 and 6.12 in the suite), commits seen and raced across them.
#  1. visibility, VIS rounds: both guests mount main; in round r guest r%2 commits a branch
#     that changes data/big (a file the other guest has mapped, shared and private, through
#     daxfs-bprobe commit-maps), etc/motd and a new file; the other guest's mounted main
#     shows the commit at once (no remount), byte for byte (cmp with copies the writer left
#     in /share, and the same manifest), its shared mapping shows the new bytes and its
#     private copy is intact;
#  2. commit races, RACES rounds: each guest creates a sibling branch of main, writes a
#     file through a shared mapping and a file of its own, and both commit at the same
#     instant (daxfs-raceprobe commit-at, released by one file both spin on): exactly one
#     wins; the loser gets ESTALE, its mapping SIGBUS and read() ESTALE; both mounted mains
#     then show exactly the winner's tree. Prints the wins of each guest and how many
#     losers lost at the cmpxchg of main_head itself (both were past their chain check);
#  3. a commit and an abort of its parent in the same window (the known hole): guest 0
#     creates branch A, guest 1 creates B on A, and commits it with daxfs.commit_delay_ms
#     = 1000 (the commit sleeps between its chain check and publishing main_head) while
#     guest 0 aborts A 300 ms into that sleep. The commit must win, the abort get ESTALE,
#     main show B's tree, and no kernel ever publish a head it must put back ("a branch of
#     its chain was aborted meanwhile").
# Then every branch is unmounted; the host's fsck.daxfs must pass (tests/multi/check-region).
# Arguments: [VIS [RACES]] (default 4 20; the long mode, tests/vm/run --long, 20 150; at
# most 230 commits in all: every commit keeps its slot).
# vm-multi-args: --after tests/multi/check-region
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem"
# quick-args: 2 6
# long-args: 20 150
. "$(dirname "$0")/lib.sh"

VIS=${1:-4}
RACES=${2:-20}
M=$DAXFS_MULTI_DIR
me=$DAXFS_PEER
other=$((1 - me))
[ "$DAXFS_PEERS" = 2 ] || fail "this scenario wants 2 guests, got $DAXFS_PEERS"
[ $((VIS + RACES)) -le 230 ] || fail "at most 230 commits fit in an image (VIS + RACES)"
OPTS=$(pmem_opts)

# bmount MNT OPTIONS: mount the shared region with OPTIONS at MNT
bmount() {
	mkdir -p "$1"
	expect_ok mount -t daxfs -o "$OPTS,$2" none "$1"
	DAXFS_MOUNTS="$1 $DAXFS_MOUNTS"
}

manifest() {
	daxfs-manifest "$1" >"$2" || fail "daxfs-manifest $1"
}

step "guest $me ($DAXFS_KERNEL): main mounted in both kernels"
bmount /mnt/main ""
barrier mounted

step "visibility: $VIS rounds, one kernel commits, the other's mounted main shows it"
r=1
while [ $r -le "$VIS" ]; do
	if [ $((r % 2)) = "$me" ]; then
		bmount /mnt/b "branch=v$r,parent=main"
		expect_ok dd if=/dev/urandom of=/mnt/b/data/big bs=1000 count=20 \
			seek=$((r * 7)) conv=notrunc 2>/dev/null
		echo "round $r by guest $me on $DAXFS_KERNEL" >/mnt/b/etc/motd || fail "write motd"
		expect_ok dd if=/dev/urandom of="/mnt/b/data/new$r" bs=4096 count=$((r + 2)) 2>/dev/null
		cp /mnt/b/data/big "$M/big.$r" && cp "/mnt/b/data/new$r" "$M/new.$r" &&
			cp /mnt/b/etc/motd "$M/motd.$r" || fail "copies to /share"
		peer_wait "mapped.$r"
		expect_ok daxfs-branch commit -m /mnt/b >/dev/null
		umount_daxfs /mnt/b
		manifest /mnt/main "$M/.man.$r" && mv "$M/.man.$r" "$M/man.$r"
		peer_put "committed.$r"
	else
		daxfs-bprobe commit-maps /mnt/main/data/big "$M/committed.$r" >/tmp/maps.$r 2>&1 &
		maps=$!
		probe_ready $maps /tmp/maps.$r
		peer_put "mapped.$r"
		peer_wait "committed.$r"
		cmp /mnt/main/data/big "$M/big.$r" || fail "round $r: data/big differs from the commit"
		cmp "/mnt/main/data/new$r" "$M/new.$r" || fail "round $r: data/new$r differs"
		cmp /mnt/main/etc/motd "$M/motd.$r" || fail "round $r: etc/motd differs"
		wait $maps || { cat /tmp/maps.$r; fail "round $r: the mappings of data/big"; }
		manifest /mnt/main /tmp/man.$r
		cmp -s /tmp/man.$r "$M/man.$r" || {
			diff "$M/man.$r" /tmp/man.$r | head -n 20
			fail "round $r: main differs between the kernels"
		}
		echo "round $r: guest $((r % 2))'s commit seen at once, mapped pages included"
	fi
	barrier "vis.$r"
	r=$((r + 1))
done
echo "visibility: $VIS rounds passed"

step "commit races: $RACES rounds of both kernels committing siblings at once"
mark=$(dmesg | wc -l)
wins=0 r=1
while [ $r -le "$RACES" ]; do
	bmount /mnt/b "branch=c$r-$me,parent=main"
	expect_ok dd if=/dev/urandom of=/mnt/b/data/race bs=4096 count=3 2>/dev/null
	echo "round $r: guest $me" >"/mnt/b/data/by-$me" || fail "write data/by-$me"
	daxfs-raceprobe commit-at /mnt/b /mnt/b/data/race "$M/go.$r" >/tmp/race.$r 2>&1 &
	probe=$!
	probe_ready $probe /tmp/race.$r
	manifest /mnt/b "$M/want.$r.$me"
	peer_put "ready.$r.$me"
	if [ "$me" = 0 ]; then
		peer_wait "ready.$r.1"
		peer_put "go.$r"
	fi
	wait $probe || { cat /tmp/race.$r; fail "round $r: the commit race probe"; }
	res=$(sed -n 's/^\(won\|lost\).*/\1/p' /tmp/race.$r)
	peer_put "result.$r.$me" "$res"
	peer_wait "result.$r.$other"
	theirs=$(peer_get "result.$r.$other")
	case "$res/$theirs" in
	won/lost) winner=$me wins=$((wins + 1)) ;;
	lost/won) winner=$other ;;
	*) fail "round $r: guest $me $res, guest $other $theirs: not exactly one winner" ;;
	esac
	umount_daxfs /mnt/b
	manifest /mnt/main /tmp/main.$r
	cmp -s /tmp/main.$r "$M/want.$r.$winner" || {
		diff "$M/want.$r.$winner" /tmp/main.$r | head -n 20
		fail "round $r: main is not guest $winner's tree"
	}
	barrier "race.$r"
	r=$((r + 1))
done
at_cmpxchg=$(dmesg | tail -n +$((mark + 1)) | grep -c 'commit of branch c.* lost: main moved$')
echo "commit races: $RACES rounds, one winner each; guest $me won $wins; $at_cmpxchg of its losses at the cmpxchg of main_head"

step "a commit and an abort of its parent in the same window"
param=/sys/module/daxfs/parameters/commit_delay_ms
[ -w $param ] || fail "daxfs.ko has no commit_delay_ms parameter"
mark=$(dmesg | wc -l)
if [ "$me" = 0 ]; then
	bmount /mnt/a "branch=hole-a,parent=main"
	echo "from A" >/mnt/a/data/a || fail "write data/a"
	peer_put hole-a
	peer_wait hole-b
	daxfs-raceprobe abort-at /mnt/a "$M/hole-go" 300 >/tmp/abort.out 2>&1 &
	probe=$!
	probe_ready $probe /tmp/abort.out
	peer_put hole-ready
	wait $probe || { cat /tmp/abort.out; fail "the abort probe"; }
	cat /tmp/abort.out
	grep -q '^refused ESTALE' /tmp/abort.out || fail "the abort of A was not refused with ESTALE"
	peer_wait hole-done
	umount_daxfs /mnt/a
else
	peer_wait hole-a
	bmount /mnt/b "branch=hole-b,parent=hole-a"
	echo "from B" >/mnt/b/data/b || fail "write data/b"
	echo 1000 >$param
	daxfs-raceprobe commit-at /mnt/b /mnt/b/data/b "$M/hole-go" >/tmp/commit.out 2>&1 &
	probe=$!
	probe_ready $probe /tmp/commit.out
	manifest /mnt/b "$M/want.hole"
	peer_put hole-b
	peer_wait hole-ready
	peer_put hole-go
	wait $probe
	rc=$?
	echo 0 >$param
	cat /tmp/commit.out
	[ $rc = 0 ] && grep -q '^won' /tmp/commit.out ||
		fail "the commit of B lost to the abort of its parent A"
	umount_daxfs /mnt/b
	peer_put hole-done
fi
barrier hole
dmesg | tail -n +$((mark + 1)) | grep 'aborted meanwhile' &&
	fail "a commit published main_head for a chain with an aborted branch, then put it back"
manifest /mnt/main /tmp/main.hole
cmp -s /tmp/main.hole "$M/want.hole" || {
	diff "$M/want.hole" /tmp/main.hole | head -n 20
	fail "main is not B's tree"
}
echo "the commit of B won; the abort of its parent A got ESTALE"

step "every branch gone"
umount_daxfs /mnt/main
barrier end
[ "$me" != 0 ] || peer_put all-gone
check_dmesg
pass
