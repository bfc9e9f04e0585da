# Scenario: mounts slower than a lease (found by the long mode of branch-fold at cycle
# 86,191 on a loaded host: a branch mount failed with "delta page ...: not owned by the
# slot"). A mount takes its reader entry before it walks main's chain, and a branch mount is
# counted in its slot with a heartbeat before it replays; both must keep beating however
# long the mount takes, so that no other mount judges its kernel stopped. Checks, with main
# mounted all along:
#  - main gains three commits; a second mount of main walks the chain, then sleeps 10 s
#    (daxfs.mount_delay_ms) before replaying it: twice the lease;
#  - meanwhile gc on the kept mount folds main: the fold's garbage must stay pending while
#    the slow mount has not seen it, and no reader entry may be taken out;
#  - the slow mount succeeds and shows what main shows; once it has looked again, gc frees
#    the folded history;
#  - a branch whose creating mount sleeps 10 s before its replay: a second mount of that
#    branch meanwhile is refused as busy (it must not take the branch over), and the slow
#    mount then writes and commits;
#  - the region passes daxfs-inspect check.
# vm-run-args: --memmap 64M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys
REGION="--phys $DAXFS_PHYS --size $DAXFS_PHYS_SIZE"
DELAY=/sys/module/daxfs/parameters/mount_delay_ms

step "an image with branches; main mounted; three commits"
mkdir -p /tmp/base/etc
echo base >/tmp/base/etc/motd
clear_region
expect_ok mkdaxfs -q -b 8M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/main
for i in 1 2 3; do
	mount_daxfs /mnt/b "branch=c$i,parent=main"
	head -c 65536 /dev/urandom >/mnt/b/etc/data$i || fail "write etc/data$i"
	echo "commit $i" >/mnt/b/etc/motd || fail "rewrite etc/motd"
	expect_ok daxfs-branch commit -m /mnt/b
	umount_daxfs /mnt/b
done
sleep 1 # the kept mount follows the commits
[ "$(cat /mnt/main/etc/motd)" = "commit 3" ] || fail "main lacks the commits"

step "a mount of main that sleeps 10 s between its chain walk and its replay"
[ -w $DELAY ] || fail "the module has no mount_delay_ms parameter"
echo 10000 >$DELAY
mark=$(dmesg | wc -l)
mkdir -p /mnt/slow
mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE" none /mnt/slow \
	>/tmp/slow.out 2>&1 &
slow_pid=$!
wait_kmsg "$mark" 'testing: sleeping [0-9]+ ms \(mount_delay_ms\)' # it has walked the chain

step "gc on the kept mount folds main while the slow mount sleeps"
expect_ok daxfs-branch gc -m /mnt/main --json >/tmp/gc.json
cat /tmp/gc.json
grep -q '"pending": *true' /tmp/gc.json ||
	fail "gc freed the folded history while a mount that walked it had not replayed it"

step "the slow mount succeeds and shows main"
wait $slow_pid
rc=$?
echo 0 >$DELAY
cat /tmp/slow.out
dmesg | tail -n +$((mark + 1)) | grep daxfs
[ $rc -eq 0 ] && DAXFS_MOUNTS="/mnt/slow $DAXFS_MOUNTS"
dmesg | tail -n +$((mark + 1)) | grep -q 'taken out' &&
	fail "a reader entry was taken out while its kernel ran (a slow mount is not a stopped one)"
[ $rc -eq 0 ] || fail "the slow mount failed (exit $rc): its chain was freed under it"
diff -r /mnt/main /mnt/slow || fail "the slow mount differs from main"

step "once the slow mount has looked again, the folded history is freed"
sleep 2
expect_ok daxfs-branch gc -m /mnt/main --json >/tmp/gc.json
cat /tmp/gc.json
expect_ok daxfs-branch list $REGION --json >/tmp/list.json
grep -q '"readers_behind": *0' /tmp/list.json ||
	{ cat /tmp/list.json; fail "a reader is still behind the fold"; }
grep -q '"folded_slots": *0' /tmp/list.json ||
	{ cat /tmp/list.json; fail "folded history is left after every mount saw the fold"; }
diff -r /mnt/main /mnt/slow || fail "the slow mount differs from main after the reap"
umount_daxfs /mnt/slow

step "a branch whose mount sleeps 10 s before its replay; a second mount of it meanwhile"
echo 10000 >$DELAY
mark=$(dmesg | wc -l)
mkdir -p /mnt/sb /mnt/sb2
mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE,branch=slow,parent=main" none /mnt/sb \
	>/tmp/sb.out 2>&1 &
sb_pid=$!
wait_kmsg "$mark" 'testing: sleeping [0-9]+ ms \(mount_delay_ms\)' # created, counted, asleep
echo 0 >$DELAY
out=$(mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE,branch=slow" none /mnt/sb2 2>&1)
rc2=$?
[ $rc2 -eq 0 ] && DAXFS_MOUNTS="/mnt/sb2 $DAXFS_MOUNTS"
wait $sb_pid
rc=$?
cat /tmp/sb.out
dmesg | tail -n +$((mark + 1)) | grep daxfs
[ $rc -eq 0 ] && DAXFS_MOUNTS="/mnt/sb $DAXFS_MOUNTS"
[ $rc2 -ne 0 ] || fail "a second mount took over a branch whose mount was only slow"
echo "second mount refused: $out"
echo "$out" | grep -q 'branch slow is mounted already' ||
	fail "mount.daxfs does not say the branch is mounted already: $out"
dmesg | tail -n +$((mark + 1)) | grep -q 'stopped its heartbeat' &&
	fail "a slow branch mount was judged stopped"
[ $rc -eq 0 ] || fail "the slow branch mount failed (exit $rc)"
echo slow >/mnt/sb/etc/slow || fail "write into the slow branch"
expect_ok daxfs-branch commit -m /mnt/sb
umount_daxfs /mnt/sb
sleep 1 # the kept mount follows the commit
[ "$(cat /mnt/main/etc/slow)" = slow ] || fail "main lacks the slow branch's commit"
umount_daxfs /mnt/main
check_region
check_dmesg
pass
