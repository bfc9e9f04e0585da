# Scenario: commits without end (issue 12): main's history folds online, and the pages no
# view reaches any more come back, with everything mounted.
#   - CYCLES create/change/commit/unmount cycles (daxfs-cycles: files rewritten whole and in
#     part, appended, truncated, renamed, deleted, hard-linked, directories made and removed;
#     every tenth cycle through a branch of the branch) on a 16 MiB delta region, less than
#     a quarter of what they write; a mount of main kept all along equals the model every
#     100 cycles and at the end; the kernel folds on its own (more commits than slots, no gc
#     until the end); at the end,
#     after daxfs-branch gc, the delta pages in use are within 2x the live data, fsck is
#     clean, and a fresh mount of main equals the kept one;
#   - an open file a commit deleted keeps its bytes, by read() and through its mapping,
#     while folds free the pages around it (its mount's reader entry holds them), and its
#     pages come back once it is closed;
#   - daxfs-branch gc (text and --json), list's history line; gc on a writable branch is
#     refused (EINVAL), and on an image made with mkdaxfs --no-fold (EOPNOTSUPP), which
#     still mounts, branches and commits.
# Arguments: [CYCLES] (default 2000; the long mode 100000).
# vm-run-args: --memmap 64M
# quick-args: 300
# long-args: 100000
. "$(dirname "$0")/lib.sh"
need_phys

CYCLES=${1:-2000}
MAIN=/mnt/main
REGION="--phys $DAXFS_PHYS --size $DAXFS_PHYS_SIZE"

for tool in mkdaxfs daxfs-branch daxfs-bprobe daxfs-cycles daxfs-manifest daxfs-inspect; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

# gc_json: daxfs-branch gc --json on main, into /tmp/gc.json
gc_json() {
	expect_ok daxfs-branch gc -m "$MAIN" --json >/tmp/gc.json
	cat /tmp/gc.json
}

step "an image with branches (16 MiB of delta region) and a kept mount of main"
mkdir -p /tmp/base/w /tmp/work
echo "base" >/tmp/base/file
clear_region
expect_ok mkdaxfs -q -b 16M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
check_region
mount_daxfs "$MAIN"

step "an open file a commit deletes keeps its bytes while folds free pages around it"
mount_daxfs /mnt/b branch=pin1,parent=main
head -c 300000 /dev/urandom >/mnt/b/pinned
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
cp "$MAIN/pinned" /tmp/pinned.want
hold_out=/tmp/hold-pin
rm -f /tmp/go-pin
daxfs-bprobe hold "$MAIN/pinned" /tmp/go-pin --expect alive >$hold_out 2>&1 &
hold_pid=$!
probe_ready $hold_pid $hold_out
mount_daxfs /mnt/b branch=pin2,parent=main
rm /mnt/b/pinned || fail "cannot delete the pinned file in a branch"
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
sleep 1 # the kept mount follows the commit (and pins the open file)
[ ! -e "$MAIN/pinned" ] || fail "main still has the deleted file"
# Enough commits to fold several times and reuse the region's pages.
expect_ok daxfs-cycles --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" --main "$MAIN" \
	--work /tmp/work --cycles 200 --seed 7 --report-every 0 --verify-every 50
gc_json
grep -q '"pending": *true' /tmp/gc.json ||
	fail "gc says nothing is pending while the deleted file is open (its pages must be kept)"
touch /tmp/go-pin
wait $hold_pid
rc=$?
cat $hold_out
[ $rc -eq 0 ] || fail "the open file lost its bytes (read or mapped) across folds"
expect_ok daxfs-branch list $REGION >/tmp/list
grep '^history:' /tmp/list || fail "list shows no history line"

step "closed, its pages come back"
sleep 1
gc_json
expect_ok daxfs-branch list $REGION --json >/tmp/list.json
grep -q '"readers_behind": *0' /tmp/list.json ||
	{ cat /tmp/list.json; fail "a reader is still behind the fold after the pinned file closed"; }
grep -q '"folded_slots": *0' /tmp/list.json ||
	{ cat /tmp/list.json; fail "folded history is left after the pinned file closed"; }

step "$CYCLES commit cycles on a region smaller than a quarter of what they write"
# Twenty progress lines ("cycle N used U live L written W") show on the console as they come.
report=$((CYCLES / 20))
{
	daxfs-cycles --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" --main "$MAIN" \
		--work /tmp/work --cycles "$CYCLES" --seed 1 --gc --tree w2 --report-every "$report"
	echo "exit $?"
} 2>&1 | tee /tmp/cycles.out
if ! grep -q '^exit 0$' /tmp/cycles.out; then
	# What the region says, and whether main still mounts, before the guest goes.
	daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check
	daxfs-branch list $REGION
	if try_mount_daxfs /mnt/after; then
		echo "a new mount of main works after the failure"
		umount_daxfs /mnt/after
	else
		echo "a new mount of main fails after the failure"
	fi
	dmesg | grep daxfs | tail -n 20
	fail "daxfs-cycles failed: $(tail -n 2 /tmp/cycles.out | head -n 1)"
fi
sed -i '$d' /tmp/cycles.out
sum=$(tail -n 1 /tmp/cycles.out)
written=$(echo "$sum" | sed -n 's/.*"written_pages": \([0-9]*\).*/\1/p')
live=$(echo "$sum" | sed -n 's/.*"live_pages": \([0-9]*\).*/\1/p')
used=$(echo "$sum" | sed -n 's/.*"used_pages": \([0-9]*\).*/\1/p')
delta=$((16 * 1024 * 1024 / 4096))
echo "written $written pages, delta region $delta pages, live $live, used $used"
[ "$CYCLES" -lt 2000 ] || [ $((delta * 4)) -lt "$written" ] ||
	fail "the cycles wrote $written pages: not more than 4x the region ($delta pages)"
[ "$used" -le $((2 * live)) ] || fail "$used pages in use for $live pages of live data (over 2x)"
# More commits than the table has slots, with no gc until the end: the kernel folded (and
# freed the folded slots) on its own.
[ "$CYCLES" -le 255 ] || echo "$CYCLES commits through 255 slots: the kernel folded on its own"

step "fsck is clean; a fresh mount of main equals the kept one"
check_region
expect_ok daxfs-manifest "$MAIN" >/tmp/m-kept
mount_daxfs /mnt/again
expect_ok daxfs-manifest /mnt/again >/tmp/m-again
same_manifest /tmp/m-kept /tmp/m-again
umount_daxfs /mnt/again

step "a region the live data fills: folds for lack of space back off"
mount_daxfs /mnt/b branch=fill,parent=main
head -c $((12 * 1024 * 1024)) /dev/urandom >/mnt/b/fill || fail "cannot write 12 MiB"
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
expect_ok daxfs-branch gc -m "$MAIN"
# The kernel log of the cycles has wrapped: count the folds in a cleared log (after
# checking it for warnings, which clearing would hide from the end-of-run check).
check_dmesg
dmesg -c >/dev/null
start=$(cut -d. -f1 /proc/uptime)
for n in $(seq 1 20); do
	mount_daxfs /mnt/b branch=small$n,parent=main
	echo "$n" >/mnt/b/small$n
	expect_ok daxfs-branch commit -m /mnt/b
	umount_daxfs /mnt/b
done
secs=$(($(cut -d. -f1 /proc/uptime) - start + 1))
folds=$(dmesg | grep -c 'main folded into slot')
echo "20 commits in $secs s, the region three quarters full of live data: $folds folds"
# Once main's chain has 8 slots: 20 / 7 of them, and one to spare.
[ "$folds" -ge 1 ] || fail "no fold in 20 commits with the region three quarters full"
[ "$folds" -le 4 ] || fail "$folds folds for 20 commits: folds for lack of space do not wait for history"
[ "$(cat "$MAIN/small20")" = 20 ] || fail "main lacks the last commit"

step "daxfs-branch gc: text; refused on a writable branch"
expect_ok daxfs-branch gc -m "$MAIN"
mount_daxfs /mnt/b branch=w1,parent=main
out=$(daxfs-branch gc -m /mnt/b 2>&1)
[ $? -eq 1 ] || fail "gc on a writable branch did not exit 1: $out"
echo "$out"
echo "$out" | grep -q 'writable branch' || fail "gc on a writable branch: unclear message"
umount_daxfs /mnt/b
umount_daxfs "$MAIN"
check_region

step "an image made with --no-fold: mounts, branches, commits; gc is refused"
clear_region
expect_ok mkdaxfs -q -b 16M --no-fold -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs "$MAIN"
for n in 1 2 3; do
	mount_daxfs /mnt/b branch=old$n,parent=main
	echo "commit $n" >/mnt/b/c$n
	expect_ok daxfs-branch commit -m /mnt/b
	umount_daxfs /mnt/b
done
[ "$(cat "$MAIN/c3")" = "commit 3" ] || fail "main of the --no-fold image lacks its commits"
out=$(daxfs-branch gc -m "$MAIN" 2>&1)
[ $? -eq 1 ] || fail "gc on a --no-fold image did not exit 1: $out"
echo "$out"
echo "$out" | grep -q 'without folding' || fail "gc on a --no-fold image: unclear message"
umount_daxfs "$MAIN"
check_region
pass
