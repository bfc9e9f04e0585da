# Scenario: randomized differential test of branches against tmpfs. A small rich tree is the
# base image (mkdaxfs -b straight into the region) and, generated again with the same seed,
# the reference copy in tmpfs. Three rounds of daxfs-fsops (seeded random create, mkdir,
# symlink, mknod, link, unlink, rmdir, rename with all flags, pwrite with holes, append,
# truncate, O_TRUNC, chmod, chown, utimensat, fsync, MAP_SHARED/MAP_PRIVATE writes, reads,
# readdir; several processes) run on a branch and on the tmpfs copy: the op logs (every
# result, every errno, hashes of what was read) and the trees (manifests without mtimes,
# which are wall-clock times) must be identical.
#   round 1: branch r1 under main, committed; the mounted main must show it at once; its
#            sibling q1 runs another sequence at the same time (its op log must equal
#            tmpfs too), is stale after the commit and is unmounted;
#   rounds 2 and 3: r2a under main, then r2b under r2a (r2a unmounted, kept alive by its
#            child), r2b committed with its whole chain.
# After each commit the committing mount, the still-mounted main and a fresh main mount
# show exactly (mtimes included) the tree the branch had; the region passes the shared
# validator while mounted and after all unmounts; a final fresh main equals tmpfs.
# Arguments: [OPS [PROCS [SEED]]] (default 6000 operations per round, 4 processes, seed 1;
# the long mode 10000 per round).
# vm-run-args: --memmap 256M
# quick-args: 3000 3 5
# long-args: 10000 4 1
. "$(dirname "$0")/lib.sh"
need_phys

OPS=${1:-6000}
PROCS=${2:-4}
SEED=${3:-1}
MAIN=/mnt/main
REF=/tmp/ref/tree

# masked FILE: a manifest without the mtime column (field 7).
masked() {
	awk '{ $7 = "-"; print }' "$1"
}

# same_tree WANT_FULL DIR TAG: the manifest of DIR (contents by read(); each round's own
# manifest reads through both mappings too) equals WANT_FULL, mtimes included.
same_tree() {
	expect_ok daxfs-manifest "$2" >"/tmp/got-$3"
	same_manifest "$1" "/tmp/got-$3"
}

# round MNT SEED TAG: the same fsops run on MNT and on the tmpfs reference; logs and trees
# (without mtimes) must match. Leaves the full manifest of MNT in /tmp/full-TAG.
round() {
	step "$3: daxfs-fsops run --seed $2 --ops $OPS --procs $PROCS on $1 and on tmpfs"
	expect_ok daxfs-fsops run --seed "$2" --ops "$OPS" --procs "$PROCS" --log "/tmp/log-br-$3" "$1"
	expect_ok daxfs-fsops run --seed "$2" --ops "$OPS" --procs "$PROCS" --log "/tmp/log-ref-$3" "$REF"
	echo "ops: $(wc -l <"/tmp/log-ref-$3"), failing with an errno: $(grep -cv -- '-> 0' "/tmp/log-ref-$3")"
	if ! cmp -s "/tmp/log-ref-$3" "/tmp/log-br-$3"; then
		echo "op logs differ (< tmpfs, > daxfs):"
		diff "/tmp/log-ref-$3" "/tmp/log-br-$3" | head -n 30 | cut -c1-300
		fail "the op log on $1 differs from tmpfs"
	fi
	step "$3: the tree on $1 equals tmpfs (mtimes aside), read() and mmap"
	expect_ok daxfs-manifest --all "$1" >"/tmp/full-$3"
	expect_ok daxfs-manifest "$REF" >"/tmp/ref-$3"
	masked "/tmp/ref-$3" >"/tmp/ref-$3.m"
	masked "/tmp/full-$3" >"/tmp/full-$3.m"
	same_manifest "/tmp/ref-$3.m" "/tmp/full-$3.m"
}

step "the base tree (daxfs-mktree --small) and its tmpfs reference copy"
expect_ok daxfs-mktree --small /tmp/base >/dev/null
mkdir -p /tmp/ref
expect_ok daxfs-mktree --small "$REF" >/dev/null
expect_ok daxfs-manifest /tmp/base >/tmp/base.manifest

step "mkdaxfs -b into the region"
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
check_region

step "main mounts and shows the base tree"
mount_daxfs "$MAIN"
same_tree /tmp/base.manifest "$MAIN" main0

step "round 1: branch r1 under main, its sibling q1 writing at the same time"
mount_daxfs /mnt/r1 branch=r1,parent=main
mount_daxfs /mnt/q1 branch=q1,parent=main
mkdir -p /tmp/refq
expect_ok daxfs-mktree --small /tmp/refq/tree >/dev/null
daxfs-fsops run --seed $((SEED + 100)) --ops "$OPS" --procs 2 --log /tmp/log-br-q1 /mnt/q1 &
qpid=$!
round /mnt/r1 "$SEED" r1
wait $qpid
_rc=$?
! _signalled $_rc || fail "CRASH: daxfs-fsops on q1 died of signal $((_rc - 128))"
[ $_rc -eq 0 ] || fail "daxfs-fsops on q1 exited $_rc"
step "q1: the op log of the concurrent sibling equals tmpfs"
expect_ok daxfs-fsops run --seed $((SEED + 100)) --ops "$OPS" --procs 2 --log /tmp/log-ref-q1 /tmp/refq/tree
if ! cmp -s /tmp/log-ref-q1 /tmp/log-br-q1; then
	diff /tmp/log-ref-q1 /tmp/log-br-q1 | head -n 30 | cut -c1-300
	fail "the op log on q1 differs from tmpfs"
fi

step "r1: commit"
expect_ok daxfs-branch commit -m /mnt/r1
check_region
step "r1: the mounted main shows the commit without a remount"
same_tree /tmp/full-r1 "$MAIN" main1
step "r1: the committing mount is now main, read-only"
expect_ok daxfs-manifest /mnt/r1/fsops.p0 >/tmp/r1-p0-after
expect_ok daxfs-manifest "$MAIN/fsops.p0" >/tmp/main-p0
same_manifest /tmp/main-p0 /tmp/r1-p0-after
expect_fail touch /mnt/r1/after-commit 2>/dev/null
umount_daxfs /mnt/r1
step "r1: the sibling q1 is stale; unmounted, its pages go back"
expect_fail ls /mnt/q1 >/dev/null 2>&1
umount_daxfs /mnt/q1
check_region

step "rounds 2 and 3: r2a under main, r2b under r2a"
mount_daxfs /mnt/r2a branch=r2a,parent=main
round /mnt/r2a $((SEED + 1)) r2a
mount_daxfs /mnt/r2b branch=r2b,parent=r2a
umount_daxfs /mnt/r2a
round /mnt/r2b $((SEED + 2)) r2b
step "r2b: main has not changed yet"
expect_ok daxfs-manifest "$MAIN/fsops.p0" >/tmp/main-p0-again
same_manifest /tmp/main-p0 /tmp/main-p0-again

step "r2b: commit (its chain r2a, r2b)"
expect_ok daxfs-branch commit -m /mnt/r2b
check_region
same_tree /tmp/full-r2b "$MAIN" main2
umount_daxfs /mnt/r2b
umount_daxfs "$MAIN"

step "all unmounted: the region passes the shared validator"
check_region

step "a fresh main mount equals the last branch, mtimes included, and tmpfs"
mount_daxfs "$MAIN"
same_tree /tmp/full-r2b "$MAIN" main3
masked /tmp/got-main3 >/tmp/got-main3.m
same_manifest /tmp/ref-r2b.m /tmp/got-main3.m
umount_daxfs "$MAIN"

check_dmesg
pass
