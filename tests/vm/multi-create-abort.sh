# Scenario: branch creations and aborts racing from two kernels on one region
# (scripts/vm-multi, 6.1 and 6.12 in the suite). Each guest runs two racers at once, so
# four claim slots under the table lock and allocate pages from the one owner table
# together. Each racer, ROUNDS times: creates a branch of main, writes a file of a random
# size (4 KiB .. 400 KiB) and a second one, and every third round a child branch of it
# with a file of its own, unmounted (discarded) at once; reads everything back (a page
# owned twice would hold another racer's bytes); then aborts the branch (DAXFS_IOC_ABORT) or, every
# fourth round, just unmounts it (which discards it too). Mounts never fail with anything
# but what the rules allow: no slot is ever handed out twice. At the end, with every
# branch gone, main's free delta pages are back where they started (seen from both
# kernels) and the host's fsck.daxfs finds no leaked page (tests/multi/check-region).
# Arguments: [ROUNDS] per racer (default 20; the long mode, e.g. 200).
# vm-multi-args: --after tests/multi/check-region
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem"
# quick-args: 4
. "$(dirname "$0")/lib.sh"

ROUNDS=${1:-20}
me=$DAXFS_PEER
OPTS=$(pmem_opts)

free_pages() {
	daxfs-bprobe info /mnt/main | tr ' ' '\n' | sed -n 's/^free_pages=//p'
}

# racer ID: ROUNDS rounds of create, write, check, abort or unmount; prints a summary
racer() {
	_id=$1 _r=1 _ab=0 _dis=0 _kids=0
	_mnt=/mnt/r$_id _kid=/mnt/k$_id
	mkdir -p $_mnt $_kid
	while [ $_r -le "$ROUNDS" ]; do
		_b=r$_id-$_r
		mount -t daxfs -o "$OPTS,branch=$_b,parent=main" none $_mnt ||
			{ echo "racer $_id: creating $_b failed"; return 1; }
		_kb=$(( ($(od -An -N2 -tu2 /dev/urandom) % 100 + 1) * 4 ))
		dd if=/dev/urandom of=/tmp/$_id.a bs=1024 count=$_kb 2>/dev/null
		echo "$_b $(date +%s%N)" >/tmp/$_id.b
		cp /tmp/$_id.a $_mnt/data/a && cp /tmp/$_id.b $_mnt/b ||
			{ echo "racer $_id: writing to $_b failed"; return 1; }
		if [ $((_r % 3)) = 0 ]; then
			mount -t daxfs -o "$OPTS,branch=$_b-kid,parent=$_b" none $_kid ||
				{ echo "racer $_id: creating $_b-kid failed"; return 1; }
			cp /tmp/$_id.b $_kid/kid && cmp -s /tmp/$_id.b $_kid/kid &&
				cmp -s /tmp/$_id.a $_kid/data/a ||
				{ echo "racer $_id: $_b-kid does not read back"; return 1; }
			# Unmounted, the child is discarded (an abort would take its
			# parent, left without an ACTIVE child, along).
			umount $_kid || return 1
			_kids=$((_kids + 1))
		fi
		cmp -s /tmp/$_id.a $_mnt/data/a && cmp -s /tmp/$_id.b $_mnt/b ||
			{ echo "racer $_id: $_b does not read back what was written"; return 1; }
		if [ $((_r % 4)) = 0 ]; then
			_dis=$((_dis + 1))
		else
			daxfs-branch abort -m $_mnt >/dev/null ||
				{ echo "racer $_id: aborting $_b failed"; return 1; }
			_ab=$((_ab + 1))
		fi
		umount $_mnt || { echo "racer $_id: unmounting $_b failed"; return 1; }
		_r=$((_r + 1))
	done
	echo "racer $_id: $ROUNDS branches ($_ab aborted, $_dis discarded by unmount), $_kids children discarded"
}

step "guest $me ($DAXFS_KERNEL): main mounted, its free delta pages noted"
mkdir -p /mnt/main
expect_ok mount -t daxfs -o "$OPTS" none /mnt/main
DAXFS_MOUNTS="/mnt/main" # lib.sh unmounts it on exit
free0=$(free_pages)
[ -n "$free0" ] || fail "no free_pages from daxfs-bprobe info"
echo "free delta pages: $free0"
barrier start

step "two racers in each kernel: $ROUNDS creations each, written, checked, aborted"
start=$(cut -d' ' -f1 /proc/uptime)
racer ${me}a >/tmp/racer0.out 2>&1 &
p0=$!
racer ${me}b >/tmp/racer1.out 2>&1 &
p1=$!
ok=1
wait $p0 || ok=0
wait $p1 || ok=0
cat /tmp/racer0.out /tmp/racer1.out
[ $ok = 1 ] || fail "a racer failed"
echo "guest $me: $((2 * ROUNDS)) branches in $(awk -v s="$start" -v e="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", e - s }') s"
barrier finished

step "every branch gone: main's free delta pages are back (both kernels)"
# Unmounts discard and free at once (nothing is left mounted in any kernel): the count
# must be exact.
free1=$(free_pages)
echo "free delta pages: $free0 before, $free1 after"
[ "$free1" = "$free0" ] || fail "free delta pages $free0 before, $free1 after: pages leaked"
umount_daxfs /mnt/main
barrier end
[ "$me" != 0 ] || peer_put all-gone
check_dmesg
pass
