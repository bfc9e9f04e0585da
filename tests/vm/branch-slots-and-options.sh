# Kernel scenario: the shared-region side of branches (kernel/branch.c, region.c, log.c,
# ioctl.c, the branch= and parent= options). On a mkdaxfs -b region:
#   - main mounts read-only with and without branch=main; /proc/mounts shows branch=NAME for
#     branches only; statfs of a branch counts free delta pages;
#   - mount errors: EOPNOTSUPP (no branches), EINVAL (parent= alone, bad names, branch=main
#     with parent=), ENOENT (unknown branch or parent), EEXIST (name in use, "main"), EBUSY
#     (attaching to a mounted branch); a branch unmounted under a child is attached again;
#   - a hand-made log whose first page ends exactly at 4096 attaches and grows;
#   - DAXFS_IOC_INFO: slot, state, parent, free pages;
#   - commit race by hand: a and b under main, commit a wins, commit b is ESTALE and b's
#     files give ESTALE; main (mounted all along) sees a's file without a remount;
#   - commit race: RACES rounds of two mounts committing at once, exactly one winner, and
#     the mounted main shows the winner's file;
#   - the table lock: concurrent creates of distinct names all succeed, of one name exactly
#     one does;
#   - a table lock held by a mount that died (live.table_beat still) is taken over after a
#     lease (5 s), and a slot it left CLAIMED is freed; a live holder (a commit sleeping 7 s
#     under it, daxfs.commit_delay_ms) keeps it: a create waits;
#   - abort: the branch gives ESTALE, its pages come back at unmount;
#   - create/write/abort LOOPS times (default 200): free_pages back to where it started;
#   - after every phase the host-side checker (daxfs-inspect check on /dev/mem) passes and
#     reports no leaked page.
# Arguments: [LOOPS [RACES]] (default 200 and 20, the long mode 1000 and 20; each race
# round leaves a committed slot, and the table has 255).
# vm-run-args: --memmap 64M
# quick-args: 100 10
# long-args: 1000 20
. "$(dirname "$0")/lib.sh"
need_phys

LOOPS=${1:-200}
RACES=${2:-20}
P=$DAXFS_PHYS
S=$DAXFS_PHYS_SIZE
MAIN=/mnt/main

# region_ok: the shared checker accepts the region and finds no leaked page.
region_ok() {
	daxfs-inspect --phys "$P" --size "$S" check >/tmp/check.out 2>&1 ||
		fail "region check: $(cat /tmp/check.out)"
	! grep -qi 'leaked' /tmp/check.out || fail "region check: $(cat /tmp/check.out)"
}

# info MNT KEY: one field of DAXFS_IOC_INFO of the mount at MNT.
info() {
	daxfs-bprobe info "$1" >/tmp/info.out || fail "DAXFS_IOC_INFO on $1: $(cat /tmp/info.out)"
	tr ' ' '\n' </tmp/info.out | sed -n "s/^$2=//p"
}

# is_dead MNT: DAXFS_IOC_INFO says dead, or the mount cannot even be opened (ESTALE).
is_dead() {
	daxfs-bprobe info "$1" >/tmp/info.out
	grep -q 'dead=1' /tmp/info.out || grep -q ESTALE /tmp/info.out ||
		fail "$1 is not dead: $(cat /tmp/info.out)"
}

# expect_estale PATH: reading PATH fails with ESTALE ("Stale file handle").
expect_estale() {
	_out=$(cat "$1" 2>&1) && fail "reading $1 worked, expected ESTALE"
	case $_out in
	*"Stale"*) ;;
	*) fail "reading $1: '$_out', expected ESTALE" ;;
	esac
}

step "a region without branches refuses branch="
mkdir -p /tmp/base/dir
echo base >/tmp/base/file
echo inner >/tmp/base/dir/inner
expect_ok mkdaxfs -q -d /tmp/base -p "$P" -s "$S"
mount_daxfs_fails /mnt/x branch=x,parent=main "Operation not supported"
mount_daxfs "$MAIN" branch=main
umount_daxfs "$MAIN"

step "a log whose first page is exactly full (tail = next page, offset 0): attach, append"
clear_region
load_image /src/tests/fuzz/corpus-branches/br-fullpage.daxfs
region_ok
mount_daxfs /mnt/full branch=full
[ -f "/mnt/full/a-name-of-thirty-two-bytes-long." ] || fail "the last record of the full page"
# (16 delta pages: all but the log reserve are gone, so only records that take no data page)
expect_ok mkdir /mnt/full/more
mount_daxfs /mnt/c2 branch=c2,parent=full
umount_daxfs /mnt/full
region_ok
mount_daxfs /mnt/full branch=full
[ -d /mnt/full/more ] || fail "the record after the full page, attached again"
[ -d /mnt/c2/more ] || fail "a child sees the record after the full page"
umount_daxfs /mnt/full
umount_daxfs /mnt/c2
region_ok

step "mkdaxfs -b; main read-only, branch=main is main"
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$P" -s "$S"
region_ok
mount_daxfs "$MAIN"
grep " $MAIN daxfs " /proc/mounts | grep -q 'branch=' && fail "main shows a branch= option"
grep " $MAIN daxfs ro," /proc/mounts >/dev/null || fail "main is not read-only"
expect_fail touch "$MAIN/new"
mount_daxfs /mnt/main2 branch=main
umount_daxfs /mnt/main2
FREE0=$(info "$MAIN" free_pages)
[ "$(info "$MAIN" slot)" = 0 ] || fail "main is not slot 0"
[ "$(info "$MAIN" name)" = main ] || fail "main is not named main"

step "option and name errors"
mount_daxfs_fails /mnt/x parent=main "Invalid argument"
mount_daxfs_fails /mnt/x "branch=bad/name,parent=main" "Invalid argument"
mount_daxfs_fails /mnt/x "branch=$(printf '%048d' 0),parent=main" "Invalid argument"
mount_daxfs_fails /mnt/x "branch=ok,parent=bad:name" "Invalid argument"
mount_daxfs_fails /mnt/x branch=main,parent=main "Invalid argument"
mount_daxfs_fails /mnt/x branch=nosuch "No such file"
mount_daxfs_fails /mnt/x branch=x,parent=nosuch "No such file"
mount_daxfs_fails /mnt/x branch=main2 "No such file"

step "create a under main: read-write, branch=a in /proc/mounts, info"
mount_daxfs /mnt/a branch=a,parent=main
grep " /mnt/a daxfs rw," /proc/mounts | grep -q 'branch=a' ||
	fail "/proc/mounts: $(grep /mnt/a /proc/mounts)"
[ "$(info /mnt/a name)" = a ] || fail "info name of a"
[ "$(info /mnt/a state)" = 2 ] || fail "a is not ACTIVE"
[ "$(info /mnt/a parent)" = 0 ] || fail "a's parent is not main"
echo from-a >/mnt/a/afile || fail "write in a"
[ "$(cat /mnt/a/afile)" = from-a ] || fail "a reads back"
[ "$(cat /mnt/a/file)" = base ] || fail "a sees the base"
[ -e "$MAIN/afile" ] && fail "main sees a's uncommitted file"
df /mnt/a | grep -q /mnt/a || fail "statfs of a"
mount_daxfs_fails /mnt/x branch=a,parent=main "File exists"
mount_daxfs_fails /mnt/x branch=a "Device or resource busy"
region_ok

step "nested: c under a; a unmounted stays (it has a child) and attaches again"
mount_daxfs /mnt/c branch=c,parent=a
echo from-c >/mnt/c/cfile || fail "write in c"
[ "$(cat /mnt/c/afile)" = from-a ] || fail "c sees its parent's file"
umount_daxfs /mnt/a
mount_daxfs /mnt/a branch=a
[ "$(cat /mnt/a/afile)" = from-a ] || fail "a's file after attaching again"
[ -e /mnt/a/cfile ] && fail "a sees its child's file"
umount_daxfs /mnt/c
region_ok

step "commit race by hand: b under main; commit a wins, commit b is ESTALE"
mount_daxfs /mnt/b branch=b,parent=main
echo from-b >/mnt/b/bfile || fail "write in b"
expect_ok daxfs-branch commit -m /mnt/a
expect_fail daxfs-branch commit -m /mnt/b
is_dead /mnt/b
expect_estale /mnt/b/bfile
[ "$(cat "$MAIN/afile")" = from-a ] || fail "main does not see a's commit"
[ "$(info /mnt/a state)" = 3 ] || fail "a is not COMMITTED"
grep " /mnt/a daxfs ro," /proc/mounts >/dev/null || fail "committed a is not read-only"
expect_fail touch /mnt/a/more
umount_daxfs /mnt/b
umount_daxfs /mnt/a
region_ok

step "commit race: two mounts commit at once, $RACES rounds, exactly one winner each"
i=0
while [ $i -lt "$RACES" ]; do
	mount_daxfs /mnt/r1 "branch=r1-$i,parent=main"
	mount_daxfs /mnt/r2 "branch=r2-$i,parent=main"
	echo "r1 $i" >/mnt/r1/race && echo "r2 $i" >/mnt/r2/race || fail "round $i: write"
	expect_ok daxfs-bprobe commit-race /mnt/r1 /mnt/r2 >/tmp/race.out
	case $(cat /tmp/race.out) in
	*"winner 1"*) want="r1 $i" ;;
	*"winner 2"*) want="r2 $i" ;;
	*) fail "round $i: $(cat /tmp/race.out)" ;;
	esac
	[ "$(cat "$MAIN/race")" = "$want" ] || fail "round $i: main has '$(cat "$MAIN/race")', not '$want'"
	umount_daxfs /mnt/r1
	umount_daxfs /mnt/r2
	i=$((i + 1))
done
region_ok

step "table lock: 8 mounts create 8 names at once, 8 mounts one name at once"
i=0
while [ $i -lt 8 ]; do
	mkdir -p "/mnt/p$i" "/mnt/q$i"
	mount -t daxfs -o "phys=$P,size=$S,branch=par$i,parent=main" none "/mnt/p$i" \
		>/dev/null 2>&1 &
	mount -t daxfs -o "phys=$P,size=$S,branch=same,parent=main" none "/mnt/q$i" \
		>/dev/null 2>&1 &
	i=$((i + 1))
done
wait
n=$(grep -c ' /mnt/p[0-7] daxfs ' /proc/mounts)
[ "$n" = 8 ] || fail "$n of 8 distinct creates mounted"
n=$(grep -c ' /mnt/q[0-7] daxfs ' /proc/mounts)
[ "$n" = 1 ] || fail "$n of 8 creates of one name mounted, expected exactly 1"
[ "$(daxfs-branch list --phys "$P" --size "$S" 2>/dev/null | grep -c ' same ')" -le 1 ] ||
	fail "two slots named same"
region_ok
for m in $(grep -o ' /mnt/[pq][0-7] ' /proc/mounts); do
	umount "$m" || fail "umount $m"
done
region_ok

step "a table lock left by a dead mount is taken over after a lease; a half-made slot is freed"
# live.table_lock (superblock byte 2048 + 24) := 0x1234, slot 200's state := CLAIMED (5);
# nobody moves live.table_beat: the holder's kernel is gone.
printf '\064\022\000\000\000\000\000\000' |
	dd of=/dev/mem bs=1 seek=$((P + 2048 + 24)) conv=notrunc 2>/dev/null || fail "poke lock"
printf '\005\000\000\000' |
	dd of=/dev/mem bs=1 seek=$((P + 4096 + 200 * 128)) conv=notrunc 2>/dev/null ||
	fail "poke slot"
t0=$(cut -d. -f1 /proc/uptime)
mount_daxfs /mnt/s branch=steal,parent=main
t1=$(cut -d. -f1 /proc/uptime)
[ $((t1 - t0)) -ge 5 ] || fail "the lock was taken after $((t1 - t0)) s, not a lease (5 s)"
dmesg | grep -q 'took the branch table lock from mount 1234' || fail "no warning of the takeover"
dmesg | grep -q 'slot 200 was left half-created' || fail "slot 200 not reclaimed"
umount_daxfs /mnt/s
region_ok

step "a live holder keeps the table lock however long it holds it"
# A commit that sleeps 7 s (daxfs.commit_delay_ms) under the table lock: its kernel's
# timer moves live.table_beat, so a create waits for it instead of taking the lock.
mount_daxfs /mnt/slow branch=slow,parent=main
echo slow >/mnt/slow/slowfile || fail "write slowfile"
echo 7000 >/sys/module/daxfs/parameters/commit_delay_ms
mark=$(dmesg | wc -l)
t0=$(cut -d. -f1 /proc/uptime)
daxfs-branch commit -m /mnt/slow >/tmp/slow.out 2>&1 &
slow_pid=$!
wait_kmsg "$mark" 'testing: sleeping [0-9]+ ms \(commit_delay_ms\)'
mount_daxfs /mnt/waiter branch=waiter,parent=main
t1=$(cut -d. -f1 /proc/uptime)
wait $slow_pid || fail "the slow commit failed: $(cat /tmp/slow.out)"
echo 0 >/sys/module/daxfs/parameters/commit_delay_ms
[ $((t1 - t0)) -ge 6 ] || fail "the create got the lock after $((t1 - t0)) s, inside the commit"
[ "$(dmesg | grep -c 'took the branch table lock')" = 1 ] ||
	fail "the lock was taken from a live holder: $(dmesg | grep 'table lock')"
[ -f "$MAIN/slowfile" ] || fail "main does not show the slow commit"
# The create ran after the commit, so its branch hangs from the new main.
[ -f /mnt/waiter/slowfile ] || fail "the waiting create did not come after the commit"
umount_daxfs /mnt/waiter
umount_daxfs /mnt/slow
echo "a create waited $((t1 - t0)) s for a commit holding the lock, and did not take it"
region_ok

step "abort: ESTALE, pages back at unmount"
FREE1=$(info "$MAIN" free_pages)
mount_daxfs /mnt/d branch=d,parent=main
expect_ok dd if=/dev/zero of=/mnt/d/big bs=4096 count=100
[ "$(info "$MAIN" free_pages)" -lt "$FREE1" ] || fail "writing 100 pages took no space"
expect_ok daxfs-branch abort -m /mnt/d
is_dead /mnt/d
expect_estale /mnt/d/big
mount_daxfs_fails /mnt/x branch=d "No such file"
umount_daxfs /mnt/d
[ "$(info "$MAIN" free_pages)" = "$FREE1" ] || fail "abort leaked pages"
mount_daxfs /mnt/d branch=d,parent=main
umount_daxfs /mnt/d
region_ok

step "create/write/abort $LOOPS times: free_pages comes back"
FREE2=$(info "$MAIN" free_pages)
i=0
while [ $i -lt "$LOOPS" ]; do
	mount -t daxfs -o "phys=$P,size=$S,branch=loop$((i % 7)),parent=main" none /mnt/d ||
		fail "loop $i: mount"
	echo "round $i" >/mnt/d/f || fail "loop $i: write"
	daxfs-branch abort -m /mnt/d >/dev/null || fail "loop $i: abort"
	umount /mnt/d || fail "loop $i: umount"
	i=$((i + 1))
done
[ "$(info "$MAIN" free_pages)" = "$FREE2" ] || fail "free pages $(info "$MAIN" free_pages), were $FREE2"
region_ok
umount_daxfs "$MAIN"
check_dmesg
pass
