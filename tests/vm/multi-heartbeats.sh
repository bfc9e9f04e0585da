# Scenario: liveness and invalidation between two kernels whose wall clocks disagree
# (scripts/vm-multi, 6.1 and 6.12 in the suite). Guest 1 sets its clock 5 minutes ahead
# (date -s, before anything mounts): heartbeats are judged on each kernel's own monotonic
# clock, so the skew must not matter. Checks:
#  1. each guest creates a branch (g0, g1) and keeps it mounted; for more than two leases
#     each tries, again and again, to attach the other's branch: every attempt gets EBUSY
#     (the heartbeat moves), never a take-over (with wall-clock leases the guest ahead
#     would steal at once);
#  2. guest 1 maps a file of g1 and only reads it; guest 0 commits g0 (a sibling): the
#     mapping in the other kernel gets SIGBUS within 3 s of the commit becoming known there
#     (the delay is printed), and its kernel log names the dead mount;
#  3. guest 1 creates p1, writes a file and maps it; the host stops guest 1 (SIGSTOP of its
#     QEMU); guest 0 attaches p1: it takes p1 over after watching a lease, and writes to it;
#     the host lets guest 1 go on (SIGCONT): guest 1 finds it lost p1 (its mapping SIGBUS,
#     its files ESTALE, the kernel log says another mount took it over) and its unmount
#     leaves the slot to guest 0, which commits p1;
#  3b. guest 1 mounts main and maps p1's file, and is stopped again; guest 0 commits a new
#     version of the file and runs gc: the fold's garbage is freed once guest 0 took guest 1's
#     reader entry out (a lease), and guest 0 writes 8 MiB elsewhere (reusing freed pages).
#     Guest 1 resumes: its mount registers again, finds slots of its view freed and goes stale
#     (the mapping SIGBUS, reads ESTALE, the kernel log says why); a new mount shows the file;
#  4. guest 1 creates h1 and writes a file, then starts creating h2 with
#     daxfs.create_delay_ms = 8000: the create holds the branch table lock and h2's slot
#     is CLAIMED (half-created); the host kills guest 1 (SIGKILL of its QEMU) inside that
#     window. Guest 0 attaches h1: it takes the table lock over once the dead kernel's
#     live.table_beat stood still for a lease, then watches h1's stopped heartbeat for a
#     lease and takes h1 over, within 10 + SLACK s of learning of the kill (printed), with
#     the file; it commits h1, and its unmounts free the half-created slot.
# Then every branch is gone and the host's fsck.daxfs of the file passes with no leaked page.
# Arguments: [SLACK] (default 20 s: TCG guests on a loaded host).
# vm-multi-args: --hook tests/multi/heartbeat-hook --after tests/multi/check-region
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem"
# quick-args:
. "$(dirname "$0")/lib.sh"

SLACK=${1:-20}
me=$DAXFS_PEER
other=$((1 - me))
[ "$DAXFS_PEERS" = 2 ] || fail "this scenario wants 2 guests, got $DAXFS_PEERS"

if [ "$DAXFS_BOOT" != 0 ]; then
	step "guest $me boot $DAXFS_BOOT (after the host killed it): waits for the end"
	peer_wait done 900
	pass
fi
OPTS=$(pmem_opts)

now() { cut -d' ' -f1 /proc/uptime; }
diff_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# bmount MNT OPTIONS: mount the shared region with OPTIONS at MNT
bmount() {
	mkdir -p "$1"
	expect_ok mount -t daxfs -o "$OPTS,$2" none "$1"
	DAXFS_MOUNTS="$1 $DAXFS_MOUNTS"
}

# h1_data: the bytes guest 1 writes to h1 before it is killed (the same in both guests)
h1_data() {
	awk 'BEGIN { x = 11; for (i = 0; i < 12500; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%08x", x } }'
}

# field NAME FILE: the value of NAME=... in FILE
field() {
	sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | head -n 1
}

step "guest $me: clock, and branch g$me of main with a file"
if [ "$me" = 1 ]; then
	expect_ok date -u -s "$(date -u -d "@$(($(date +%s) + 300))" '+%Y-%m-%d %H:%M:%S')"
fi
peer_put clock.$me "$(date +%s)"
barrier clocks
echo "wall clocks: guest 0 $(peer_get clock.0), guest 1 $(peer_get clock.1) (s since the epoch)"
bmount /mnt/g$me branch=g$me,parent=main
head -c 65536 /dev/zero | tr '\0' "$me" >/mnt/g$me/file
barrier created

step "for over two leases, each guest tries to attach the other's live branch: EBUSY"
start=$(now)
n=0
while awk -v s="$start" -v e="$(now)" 'BEGIN { exit !(e - s < 12) }'; do
	mkdir -p /mnt/steal
	out=$(mount -t daxfs -o "$OPTS,branch=g$other" none /mnt/steal 2>&1) && {
		umount /mnt/steal
		dmesg | grep daxfs | tail -n 5
		fail "guest $me took g$other over while guest $other's mount was alive"
	}
	case $out in
	*"Device or resource busy"*) n=$((n + 1)) ;;
	*) fail "attaching g$other failed with '$out', expected EBUSY" ;;
	esac
	sleep 1
done
echo "attach of g$other refused $n times in $(diff_s "$start" "$(now)") s"
[ $n -ge 3 ] || fail "only $n attach attempts"
dmesg | grep -q "branch g$other is mounted already (its mount [0-9a-f]* has a heartbeat)" ||
	fail "the kernel log does not say why the attach was refused"
dmesg | grep -q "stopped its heartbeat" && fail "a heartbeat was judged stopped"
barrier no-steal

step "a mapping of g1 in guest 1; guest 0 commits g0: SIGBUS in the other kernel"
if [ "$me" = 1 ]; then
	daxfs-mapwatch sigbus /mnt/g1/file 40 >/tmp/w &
	w=$!
	until grep -q mapped_at /tmp/w 2>/dev/null; do sleep 0.1; done
	peer_put mapped
	peer_wait committed 120
	known=$(now)
	wait $w
	rc=$?
	cat /tmp/w
	[ $rc -eq 0 ] || fail "the mapping of g1 did not get SIGBUS after g0's commit (exit $rc)"
	d=$(diff_s "$known" "$(field sigbus_at /tmp/w)")
	echo "cross-kernel: SIGBUS $d s after the commit was known here through /share (negative: before)"
	awk -v d="$d" 'BEGIN { exit !(d <= 3) }' || fail "SIGBUS came $d s after the commit"
	dmesg | grep -Eq "branch g1 \(slot [0-9]+, mount [0-9a-f]+\) is gone" ||
		fail "the kernel log does not say g1 is gone"
	umount_daxfs /mnt/g1
else
	peer_wait mapped 120
	sleep 2
	expect_ok daxfs-branch commit -m /mnt/g0
	peer_put committed
fi
barrier invalidated

step "guest 1 holds p1 and is stopped; guest 0 takes p1 over; guest 1 resumes and finds it lost"
if [ "$me" = 1 ]; then
	bmount /mnt/p1 branch=p1,parent=main
	head -c 65536 /dev/zero | tr '\0' p >/mnt/p1/file
	daxfs-mapwatch sigbus /mnt/p1/file 900 >/tmp/wp &
	w=$!
	until grep -q mapped_at /tmp/wp 2>/dev/null; do sleep 0.1; done
	peer_put pause-1
	peer_wait resumed 900
	echo "guest 1 runs again"
	n=0
	while ! grep -q sigbus_at /tmp/wp; do
		n=$((n + 1))
		[ $n -le 100 ] || fail "the mapping of p1 got no SIGBUS within 10 s of resuming"
		sleep 0.1
	done
	wait $w
	cat /tmp/wp
	out=$(cat /mnt/p1/file 2>&1 >/dev/null) && fail "p1's file still reads after p1 was taken over"
	case $out in
	*"Stale"*) ;;
	*) fail "reading p1 after it was taken over failed with '$out', expected ESTALE" ;;
	esac
	dmesg | grep -Eq "branch p1 \(slot [0-9]+, mount [0-9a-f]+\) is gone \(another mount took it over" ||
		fail "the kernel log does not say p1 was taken over"
	umount_daxfs /mnt/p1
	dmesg | grep -q "branch p1 was taken over while mounted here; left to its new mount" ||
		fail "the unmount of p1 did not leave the slot alone"
	peer_put p1-released
else
	peer_wait paused 900
	t0=$(now)
	bmount /mnt/p1 branch=p1
	t1=$(now)
	echo "p1 taken over from the stopped guest $(diff_s "$t0" "$t1") s after the stop was known here"
	awk -v a="$t0" -v b="$t1" -v l=$((5 + SLACK)) 'BEGIN { exit !(b - a >= 4.9 && b - a <= l) }' ||
		fail "the take-over took $(diff_s "$t0" "$t1") s (want 5 to $((5 + SLACK)))"
	echo "guest 0 was here" >/mnt/p1/taken || fail "writing to p1 after the take-over failed"
	peer_put taken
	peer_wait p1-released 300
	[ "$(cat /mnt/p1/taken)" = "guest 0 was here" ] || fail "p1 lost guest 0's file"
	expect_ok daxfs-branch commit -m /mnt/p1
	umount_daxfs /mnt/p1
fi
barrier paused-done

step "guest 1 maps a main file and is stopped; guest 0 commits, folds and frees its pages"
if [ "$me" = 1 ]; then
	bmount /mnt/m1 ""
	[ "$(head -c 1 /mnt/m1/file)" = p ] || fail "main's file is not p1's"
	rm -f /tmp/go
	daxfs-mapwatch sigbus /mnt/m1/file 60 /tmp/go >/tmp/wm &
	w=$!
	until grep -q mapped_at /tmp/wm 2>/dev/null; do sleep 0.1; done
	peer_put pause2-1
	peer_wait resumed2 900
	echo "guest 1 runs again"
	# The mapping is left alone until the mount had a look (500 ms); a load in the instant
	# the kernel resumes may still see reused bytes (docs/protocol.md, Readers).
	sleep 2
	touch /tmp/go
	wait $w
	rc=$?
	cat /tmp/wm
	[ $rc -eq 0 ] || fail "the mapping of main's file did not get SIGBUS after its pages were freed (exit $rc)"
	out=$(cat /mnt/m1/file 2>&1 >/dev/null) && fail "main's file still reads after its pages were freed"
	case $out in
	*"Stale"*) ;;
	*) fail "reading main after its pages were freed failed with '$out', expected ESTALE" ;;
	esac
	dmesg | grep -q "this mount's reader entry was taken out" ||
		fail "the kernel log does not say the reader entry was taken out"
	dmesg | grep -q "pages of this mount's view were freed while its kernel was stopped" ||
		fail "the kernel log does not say the view's pages were freed"
	umount_daxfs /mnt/m1
	bmount /mnt/m1 ""
	[ "$(head -c 1 /mnt/m1/file)" = q ] || fail "a new mount of main does not show q's file"
	umount_daxfs /mnt/m1
	peer_put m1-done
else
	bmount /mnt/m0 ""
	peer_wait paused2 900
	bmount /mnt/q branch=q,parent=main
	head -c 65536 /dev/zero | tr '\0' q >/mnt/q/file
	expect_ok daxfs-branch commit -m /mnt/q
	umount_daxfs /mnt/q
	mark=$(dmesg | wc -l)
	expect_ok daxfs-branch gc -m /mnt/m0 --json >/tmp/gc.json
	cat /tmp/gc.json
	# Freed by a look of guest 0 once guest 1's entry stood still for a lease.
	wait_kmsg "$mark" "folded history freed"
	dmesg | grep -q "reader entry [0-9]* stopped beating for a lease; taken out" ||
		fail "the kernel log does not say guest 1's reader entry was taken out"
	# Reuse the freed pages: other bytes there.
	bmount /mnt/r branch=r,parent=main
	head -c $((8 << 20)) /dev/zero | tr '\0' r >/mnt/r/fill
	peer_put freed2
	peer_wait m1-done 300
	expect_ok daxfs-branch abort -m /mnt/r
	umount_daxfs /mnt/r
	umount_daxfs /mnt/m0
fi
barrier stale-done

# table_lock: live.table_lock of the region, as a number (superblock byte 2048 + 24).
table_lock() {
	dd if=/dev/mem bs=8 skip=$(((DAXFS_PMEM_PHYS + 2048 + 24) / 8)) count=1 2>/dev/null |
		od -An -tu8 | tr -d ' '
}

step "guest 1, holding h1, is killed creating h2 (table lock held, a slot half-made)"
if [ "$me" = 1 ]; then
	bmount /mnt/h1 branch=h1,parent=main
	h1_data >/mnt/h1/h1file || fail "writing h1's file failed"
	echo 8000 >/sys/module/daxfs/parameters/create_delay_ms
	mkdir -p /mnt/h2
	mount -t daxfs -o "$OPTS,branch=h2,parent=main" none /mnt/h2 &
	# Held at two looks 0.5 s apart: the create sleeps under it (other holders keep it
	# for microseconds).
	i=0 held=0
	while [ $held -lt 2 ]; do
		if [ "$(table_lock)" != 0 ]; then held=$((held + 1)); else held=0; fi
		i=$((i + 1))
		[ $i -lt 60 ] || fail "the create of h2 never held the table lock"
		sleep 0.5
	done
	peer_put kill-1
	sleep 900
	fail "guest 1 was not killed"
fi
peer_wait killed 900
t0=$(now)
bmount /mnt/h1 branch=h1
t1=$(now)
echo "table lock and h1 taken over $(diff_s "$t0" "$t1") s after the kill was known here" \
	"(a lease each, 5 s)"
awk -v a="$t0" -v b="$t1" -v l=$((10 + SLACK)) 'BEGIN { exit !(b - a >= 9.8 && b - a <= l) }' ||
	fail "the take-overs took $(diff_s "$t0" "$t1") s (want 10 to $((10 + SLACK)))"
dmesg | grep -q "took the branch table lock from mount [0-9a-f]*, whose kernel stopped beating" ||
	fail "the kernel log does not say the table lock was taken over"
dmesg | grep -q "branch h1: the mount holding it (mount [0-9a-f]*) stopped its heartbeat" ||
	fail "the kernel log does not say h1 was taken over"
bmount /mnt/m0 branch=main
h1_data >/tmp/h1.data
cmp /tmp/h1.data /mnt/h1/h1file || {
	dmesg | grep daxfs | tail -n 20
	fail "h1's file differs after the take-over"
}
expect_ok daxfs-branch commit -m /mnt/h1
cmp /tmp/h1.data /mnt/m0/h1file || fail "main does not show h1's file after its commit"
umount_daxfs /mnt/m0
umount_daxfs /mnt/h1
umount_daxfs /mnt/g0
dmesg | grep -q "branch slot [0-9]* was left half-created; freed" ||
	fail "the slot the killed create claimed was not freed"
check_dmesg
peer_put all-gone
peer_put done
pass
