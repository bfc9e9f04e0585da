# Scenario: the branch rules of docs/format.md (Protocols), one after the other on one region:
#   - branch= on an image without branches is refused (EOPNOTSUPP); mkdaxfs -b images pass
#     the shared validator; main (no branch=, or branch=main) is read-only (EROFS);
#   - mount option errors: parent= alone, bad names (EINVAL), an unknown branch (ENOENT), a
#     name in use (EEXIST), attaching to a mounted branch (EBUSY);
#   - branch=NAME,parent=P creates NAME under main or under a branch (nested), writable,
#     shown in /proc/mounts as branch=NAME; main and the parent do not see its changes; a
#     child sees its parent's;
#   - daxfs-branch list (table, --json), diff (added, modified, deleted with sizes; on a
#     mount and offline on an image file), info;
#   - commit makes the whole chain main; a mounted main sees it without a remount; the
#     committing mount becomes a read-only main; siblings at every level (and a sibling's
#     child) are dead: their file operations fail with ESTALE and their existing mappings
#     raise SIGBUS;
#   - abort kills the chain back to main, siblings keep working (open files and mappings
#     unchanged) and can still commit; unmounting a branch discards only that branch;
#   - the commit race: two branches committed at the same instant, many rounds, exactly one
#     winner each round; daxfs-branch tells the loser clearly;
#   - create/write/abort in a loop never runs out of space (free pages come back);
#   - mkdaxfs --from flattens main into an image that validates and mounts with the
#     committed content;
#   - a small delta region fills up with ENOSPC, the branch stays readable and consistent,
#     deleting files lets writes continue, and it still commits.
# Arguments: [RACE_ROUNDS [LOOP_ROUNDS]] (default 100 and 2000; the long mode 100 and
# 10000). Every round checks that the free pages are back where they were.
# vm-run-args: --memmap 128M
# quick-args: 10 300
# long-args: 100 10000
. "$(dirname "$0")/lib.sh"
need_phys

RACE_ROUNDS=${1:-100}
LOOP_ROUNDS=${2:-2000}
OPTS="phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE"
MAIN=/mnt/main

for tool in mkdaxfs daxfs-branch daxfs-bprobe daxfs-kprobe daxfs-manifest daxfs-inspect; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

# manifest DIR FILE: daxfs-manifest of DIR (read() and both mappings) into FILE
manifest() {
	expect_ok daxfs-manifest --all "$1" >"$2"
}

# hold_start TAG FILE EXPECT: a background daxfs-bprobe hold on FILE, ready when this returns
hold_start() {
	rm -f "/tmp/go-$1"
	daxfs-bprobe hold "$2" "/tmp/go-$1" --expect "$3" >"/tmp/hold-$1" 2>&1 &
	eval "HOLD_$1=\$!"
	probe_ready $! "/tmp/hold-$1"
}

# hold_check TAG: release the hold and require its checks to pass
hold_check() {
	touch "/tmp/go-$1"
	eval "_pid=\$HOLD_$1"
	wait "$_pid"
	_rc=$?
	sed "s/^/    hold $1: /" "/tmp/hold-$1"
	! _signalled $_rc || fail "CRASH: the hold on $1 died of signal $((_rc - 128))"
	[ $_rc -eq 0 ] || fail "hold $1: the mapping/descriptor checks failed"
}

# no_path DIR REL: DIR/REL does not exist
no_path() {
	[ ! -e "$1/$2" ] && [ ! -L "$1/$2" ] || fail "$1/$2 exists, it should not"
}

step "a small base tree"
mkdir -p /tmp/base/dir/sub
echo "base file" >/tmp/base/file
head -c 200000 /dev/urandom >/tmp/base/big
echo "to be deleted" >/tmp/base/dir/gone
echo "to be modified" >/tmp/base/dir/mod
ln -s file /tmp/base/link
expect_ok daxfs-manifest /tmp/base >/tmp/base.manifest

step "branch= on an image without branches: EOPNOTSUPP; main mounts"
clear_region
expect_ok mkdaxfs -q -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs_fails /mnt/x branch=x,parent=main "Operation not supported"
mount_daxfs "$MAIN"
umount_daxfs "$MAIN"

step "mkdaxfs -b: the region validates"
clear_region
# Without folding: the committed branches stay in the table, so the offline diff of x2 at
# the end still finds it after the commit race's hundred commits (folding and its
# history are tests/vm/branch-fold.sh's).
expect_ok mkdaxfs -q -b --no-fold -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
check_region

step "main is read-only (no branch=, and branch=main) and shows the base"
mount_daxfs "$MAIN"
expect_ok daxfs-kprobe erofs "$MAIN/dir" "$MAIN/file"
manifest "$MAIN" /tmp/m-main0
same_manifest /tmp/base.manifest /tmp/m-main0
mount_daxfs /mnt/main2 branch=main
expect_ok daxfs-kprobe erofs /mnt/main2/dir /mnt/main2/file
umount_daxfs /mnt/main2

step "mount option errors"
mount_daxfs_fails /mnt/x parent=main "Invalid argument"
mount_daxfs_fails /mnt/x "branch=bad/name,parent=main" "Invalid argument"
mount_daxfs_fails /mnt/x "branch=bad name,parent=main" "Invalid argument"
mount_daxfs_fails /mnt/x "branch=$(printf '%048d' 0),parent=main" "Invalid argument"
mount_daxfs_fails /mnt/x branch=main,parent=main ""
mount_daxfs_fails /mnt/x branch=nosuch "No such file or directory"
mount_daxfs_fails /mnt/x branch=b0,parent=nosuch "No such file or directory"
mount_daxfs /mnt/x "branch=$(printf '%047d' 0),parent=main"
umount_daxfs /mnt/x

step "b1 under main: writable, in /proc/mounts, invisible to main"
mount_daxfs /mnt/b1 branch=b1,parent=main
grep ' /mnt/b1 daxfs ' /proc/mounts | grep -q 'branch=b1' ||
	fail "/proc/mounts does not show branch=b1: $(grep /mnt/b1 /proc/mounts)"
echo "new in b1" >/mnt/b1/new1 || fail "cannot create in b1"
echo "more" >>/mnt/b1/dir/mod || fail "cannot append in b1"
rm /mnt/b1/dir/gone || fail "cannot unlink in b1"
mkdir /mnt/b1/newdir || fail "cannot mkdir in b1"
manifest "$MAIN" /tmp/m-main
same_manifest /tmp/base.manifest /tmp/m-main
mount_daxfs_fails /mnt/dup branch=b1,parent=main "File exists"
mount_daxfs_fails /mnt/dup branch=b1 "Device or resource busy"

step "daxfs-branch list, list --json, info, diff"
expect_ok daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" >/tmp/list
cat /tmp/list
# columns: SLOT NAME PARENT STATE BYTES MOUNTS
[ -n "$(awk '$2 == "main"' /tmp/list)" ] || fail "list does not show main"
[ -n "$(awk '$2 == "b1" && $3 == "main" && tolower($4) == "active" && $6 == 1' /tmp/list)" ] ||
	fail "list does not show b1 under main, active, mounted once"
expect_ok daxfs-branch list --json --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" >/tmp/list.json
cat /tmp/list.json
for key in '"name"' '"parent"' '"state"' '"mounts"' '"b1"'; do
	grep -q "$key" /tmp/list.json || fail "list --json lacks $key"
done
expect_ok daxfs-branch info -m /mnt/b1 >/tmp/info
cat /tmp/info
grep -q b1 /tmp/info || fail "info -m /mnt/b1 does not name b1"
expect_ok daxfs-branch diff -m /mnt/b1 >/tmp/diff
cat /tmp/diff
grep -E 'new1' /tmp/diff | grep -q 10 || fail "diff does not show new1 (10 bytes)"
grep -q 'dir/mod' /tmp/diff || fail "diff does not show dir/mod"
grep -q 'dir/gone' /tmp/diff || fail "diff does not show dir/gone"
grep -q 'newdir' /tmp/diff || fail "diff does not show newdir"
grep -q 'big' /tmp/diff && fail "diff shows the unchanged big"

step "b2 and s2 under b1, s1 under main: children see the parent, not each other"
mount_daxfs /mnt/b2 branch=b2,parent=b1
mount_daxfs /mnt/s2 branch=s2,parent=b1
mkdir -p /mnt/s1
expect_ok daxfs-branch create s1 -p main -m /mnt/s1
DAXFS_MOUNTS="/mnt/s1 $DAXFS_MOUNTS"
[ "$(cat /mnt/b2/new1)" = "new in b1" ] || fail "b2 does not see b1's new1"
no_path /mnt/b2 dir/gone
no_path /mnt/s1 new1
echo "b2 data" >/mnt/b2/new2 || fail "cannot write in b2"
echo "b2 edit" >/mnt/b2/file || fail "cannot rewrite in b2"
no_path /mnt/b1 new2
no_path /mnt/s2 new2
head -c 50000 /dev/urandom >/mnt/s1/s1file || fail "cannot write in s1"
head -c 50000 /dev/urandom >/mnt/s2/s2file || fail "cannot write in s2"
mount_daxfs /mnt/s1c branch=s1c,parent=s1
[ -f /mnt/s1c/s1file ] || fail "s1c does not see s1's file"
echo s1c >/mnt/s1c/s1cfile || fail "cannot write in s1c"
no_path /mnt/b2 s2file
manifest /mnt/b2 /tmp/m-b2

step "holds: open descriptors and mappings in s1 and s2 (siblings at two levels)"
hold_start s1 /mnt/s1/s1file stale
hold_start s1base /mnt/s1/big stale
hold_start s2 /mnt/s2/s2file stale
hold_start s1c /mnt/s1c/s1file stale

step "b1 unmounted with children: it stays"
umount_daxfs /mnt/b1
[ "$(cat /mnt/b2/new1)" = "new in b1" ] || fail "b2 lost b1's new1 when b1 was unmounted"
expect_ok daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" >/tmp/list
[ -n "$(awk '$2 == "b1" && tolower($4) == "active" && $6 == 0' /tmp/list)" ] ||
	fail "b1 is not listed active and unmounted although it has children"

step "commit b2: main = base + b1 + b2"
expect_ok daxfs-branch commit -m /mnt/b2
check_region
manifest "$MAIN" /tmp/m-main1
same_manifest /tmp/m-b2 /tmp/m-main1
manifest /mnt/b2 /tmp/m-b2after
same_manifest /tmp/m-b2 /tmp/m-b2after
expect_ok daxfs-kprobe erofs /mnt/b2/dir /mnt/b2/new2

step "siblings at every level: ESTALE on file operations, SIGBUS on their mappings"
hold_check s1
hold_check s1base
hold_check s2
hold_check s1c
expect_ok daxfs-bprobe estale /mnt/s1 /mnt/s1/s1file
expect_ok daxfs-bprobe estale /mnt/s2 /mnt/s2/s2file
expect_ok daxfs-bprobe estale /mnt/s1c /mnt/s1c/s1cfile
expect_fail daxfs-branch commit -m /mnt/s1 2>/dev/null
expect_ok daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" >/tmp/list
cat /tmp/list
for b in b1 b2; do
	[ -n "$(awk -v b=$b '$2 == b && tolower($4) ~ /commit/' /tmp/list)" ] ||
		fail "list does not show $b committed"
done
# The invalidated siblings' slots stay until unmounted; --json tells they are off main.
expect_ok daxfs-branch list --json --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" >/tmp/list.json
for b in s1 s2; do
	tr '{' '\n' </tmp/list.json | grep "\"name\":\"$b\"" | grep -q '"on_main":false' ||
		fail "list --json does not show $b off main: $(cat /tmp/list.json)"
done
umount_daxfs /mnt/s1c
umount_daxfs /mnt/s1
umount_daxfs /mnt/s2
umount_daxfs /mnt/b2
check_region

step "abort: x1c under x1 under main aborted, sibling x2 keeps working"
mount_daxfs /mnt/x1 branch=x1,parent=main
echo x1 >/mnt/x1/x1file || fail "write in x1"
mount_daxfs /mnt/x1c branch=x1c,parent=x1
echo x1c >/mnt/x1c/x1cfile || fail "write in x1c"
mount_daxfs /mnt/x2 branch=x2,parent=main
head -c 30000 /dev/urandom >/mnt/x2/x2file || fail "write in x2"
hold_start x2 /mnt/x2/x2file alive
hold_start x2base /mnt/x2/big alive
manifest /mnt/x2 /tmp/m-x2
expect_ok daxfs-branch abort -m /mnt/x1c
expect_ok daxfs-bprobe estale /mnt/x1c /mnt/x1c/x1cfile
expect_ok daxfs-bprobe estale /mnt/x1 /mnt/x1/x1file
hold_check x2
hold_check x2base
manifest /mnt/x2 /tmp/m-x2again
same_manifest /tmp/m-x2 /tmp/m-x2again
echo "after the abort" >/mnt/x2/after || fail "x2 cannot write after a sibling's abort"
manifest /mnt/x2 /tmp/m-x2
expect_ok daxfs-branch commit -m /mnt/x2
manifest "$MAIN" /tmp/m-main2
same_manifest /tmp/m-x2 /tmp/m-main2
umount_daxfs /mnt/x1c
umount_daxfs /mnt/x1
umount_daxfs /mnt/x2

step "unmounting a branch discards only that branch"
mount_daxfs /mnt/u1 branch=u1,parent=main
mount_daxfs /mnt/u2 branch=u2,parent=main
echo u1 >/mnt/u1/u1file && echo u2 >/mnt/u2/u2file || fail "write in u1/u2"
umount_daxfs /mnt/u1
mount_daxfs_fails /mnt/u1 branch=u1 "No such file or directory"
[ "$(cat /mnt/u2/u2file)" = u2 ] || fail "u2 lost its file when u1 was unmounted"
umount_daxfs /mnt/u2
check_region

step "commit race: $RACE_ROUNDS rounds of two branches committed at once"
wins1=0
wins2=0
r=0
while [ $r -lt "$RACE_ROUNDS" ]; do
	mount_daxfs /mnt/ra "branch=ra$r,parent=main" >/dev/null
	mount_daxfs /mnt/rb "branch=rb$r,parent=main" >/dev/null
	echo "a$r" >/mnt/ra/race && echo "b$r" >/mnt/rb/race || fail "write in round $r"
	out=$(daxfs-bprobe commit-race /mnt/ra /mnt/rb)
	_rc=$?
	! _signalled $_rc || fail "CRASH: commit-race died in round $r"
	[ $_rc -eq 0 ] || fail "round $r: $out"
	case $out in
	*"winner 1") wins1=$((wins1 + 1)); want="a$r" ;;
	*) wins2=$((wins2 + 1)); want="b$r" ;;
	esac
	[ "$(cat $MAIN/race)" = "$want" ] || fail "round $r: main shows '$(cat $MAIN/race)', the winner wrote $want"
	umount_daxfs /mnt/ra
	umount_daxfs /mnt/rb
	r=$((r + 1))
done
echo "winners: first $wins1, second $wins2"

step "commit race through daxfs-branch: the loser is told clearly"
mount_daxfs /mnt/ra branch=rtool-a,parent=main
mount_daxfs /mnt/rb branch=rtool-b,parent=main
daxfs-branch commit -m /mnt/ra >/tmp/ca 2>&1 &
pa=$!
daxfs-branch commit -m /mnt/rb >/tmp/cb 2>&1 &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
echo "a: $ra $(cat /tmp/ca) | b: $rb $(cat /tmp/cb)"
if [ $ra -eq 0 ]; then loser=/tmp/cb lrc=$rb; else loser=/tmp/ca lrc=$ra; fi
[ $((ra == 0)) -ne $((rb == 0)) ] || fail "not exactly one winner (exit $ra and $rb)"
! _signalled "$lrc" || fail "CRASH: the losing daxfs-branch died"
grep -Eqi 'stale|another commit|lost' "$loser" || fail "the loser's message does not say why: $(cat $loser)"
umount_daxfs /mnt/ra
umount_daxfs /mnt/rb
check_region

step "create/write/abort $LOOP_ROUNDS times: the space always comes back"
mkdir -p /mnt/loop
expect_ok daxfs-bprobe abort-loop "$OPTS" /mnt/loop "$LOOP_ROUNDS"
check_region

step "mkdaxfs --from flattens main into a fresh image"
manifest "$MAIN" /tmp/m-final
umount_daxfs "$MAIN"
dd if=/dev/mem of=/tmp/region.img bs=1048576 skip=$((DAXFS_PHYS / 1048576)) \
	count=$((DAXFS_PHYS_SIZE / 1048576)) 2>/dev/null || fail "cannot copy the region"
expect_ok daxfs-branch diff x2 /tmp/region.img >/tmp/diff-x2
cat /tmp/diff-x2
grep -q 'x2file' /tmp/diff-x2 && grep -q 'after' /tmp/diff-x2 ||
	fail "offline diff of the committed x2 does not show x2file and after"
expect_ok mkdaxfs -q --from /tmp/region.img -o /tmp/flat.img
rm -f /tmp/region.img
expect_ok daxfs-inspect /tmp/flat.img check >/dev/null
clear_region
load_image /tmp/flat.img
mount_daxfs "$MAIN"
manifest "$MAIN" /tmp/m-flat
same_manifest /tmp/m-final /tmp/m-flat
umount_daxfs "$MAIN"

step "a 2 MiB delta region: ENOSPC, the branch stays consistent, deletes free space"
clear_region
expect_ok mkdaxfs -q -b 2M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/e branch=e,parent=main
free0=$(daxfs-bprobe info /mnt/e | sed -n 's/.*free_pages=\([0-9]*\).*/\1/p')
[ -n "$free0" ] || fail "no free_pages from DAXFS_IOC_INFO"
head -c 65536 /dev/urandom >/tmp/chunk
i=0
while :; do
	err=$(cat /tmp/chunk 2>&1 >"/mnt/e/f$i")
	_rc=$?
	! _signalled $_rc || fail "CRASH: writing f$i"
	[ $_rc -eq 0 ] || break
	i=$((i + 1))
	[ $i -lt 1000 ] || fail "no ENOSPC after 64 MiB in a 2 MiB region"
done
echo "$i files of 64 KiB written ($free0 pages were free), then: $err"
case $err in *"No space left"*) ;; *) fail "the write failed with '$err', not ENOSPC" ;; esac
[ $((i * 16)) -ge $((free0 * 3 / 4)) ] || fail "only $i files fit in $free0 free pages"
manifest /mnt/e /tmp/m-e1
manifest /mnt/e /tmp/m-e2
same_manifest /tmp/m-e1 /tmp/m-e2
grep -q ' ERROR ' /tmp/m-e1 && fail "the full branch has unreadable paths"
j=0
while [ $j -lt "$i" ]; do
	cmp -s /tmp/chunk "/mnt/e/f$j" || fail "f$j does not read back after ENOSPC"
	j=$((j + 1))
done
check_region
rm /mnt/e/f0 /mnt/e/f1 /mnt/e/f2 || fail "cannot delete files in the full branch"
cat /tmp/chunk >/mnt/e/again || fail "no write possible after deleting 3 files"
cmp -s /tmp/chunk /mnt/e/again || fail "the new file does not read back"
manifest /mnt/e /tmp/m-e3
expect_ok daxfs-branch commit -m /mnt/e
umount_daxfs /mnt/e
mount_daxfs "$MAIN"
manifest "$MAIN" /tmp/m-e4
same_manifest /tmp/m-e3 /tmp/m-e4
umount_daxfs "$MAIN"
check_region

check_dmesg
pass
