# Scenario: a fold moves scattered file data into aligned 2 MiB runs (compaction; issues 12
# and 9). A file of main rewritten page by page over many commits has its pages scattered
# in the delta region and maps 4 KiB at a time; after a fold its 2 MiB parts are runs again,
# and on 6.12 a shared mapping takes PMDs, as in a fresh image:
#   - 30 commits each rewrite a few pages of an 8 MiB base file and of a 4 MiB file made in
#     a branch; gc then reports the parts it moved (runs), and main's bytes are unchanged;
#   - a process that mapped the file before the fold reads the same bytes after it, once
#     the pages it had mapped were freed and written over by later commits (the fold
#     unmapped it; faults map the runs);
#   - a second mount of main, kept all along, takes the moved pages when it adopts the
#     fold: same bytes, and huge mappings on 6.12;
#   - nothing moves while a branch is live (gc reports no run), and it does after;
#   - with fold_quiet_s at 3, main left without commits for 3 s is folded by the kernel on
#     its own, which moves the parts (no gc), once;
#   - fsck is clean, and a fresh mount of main equals the kept one.
# vm-run-args: --memmap 128M
. "$(dirname "$0")/lib.sh"
need_phys

for tool in mkdaxfs daxfs-branch daxfs-bprobe daxfs-hugeprobe daxfs-manifest; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

MIB=1048576
MAIN=/mnt/main

# gc_runs: daxfs-branch gc --json on main; prints it, sets $runs
gc_runs() {
	expect_ok daxfs-branch gc -m "$MAIN" --json >/tmp/gc.json
	cat /tmp/gc.json
	runs=$(tr -d ' \n' </tmp/gc.json | sed -n 's/.*"runs":\([0-9]*\).*/\1/p')
	[ -n "$runs" ] || fail "gc --json has no runs"
}

# scatter N SEED: N commits, each rewriting pages of big and of made in a branch
scatter() {
	_i=0
	while [ $_i -lt "$1" ]; do
		_i=$((_i + 1))
		mount_daxfs /mnt/b branch=s$2-$_i,parent=main
		for _k in 1 2 3; do
			dd if=/dev/urandom of=/mnt/b/big bs=4096 count=1 conv=notrunc \
				seek=$(((_i * 389 + _k * 131 + $2) % 2048)) 2>/dev/null ||
				fail "cannot rewrite a page of big"
		done
		dd if=/dev/urandom of=/mnt/b/made bs=4096 count=1 conv=notrunc \
			seek=$(((_i * 211 + $2) % 1024)) 2>/dev/null || fail "cannot rewrite a page of made"
		expect_ok daxfs-branch commit -m /mnt/b
		umount_daxfs /mnt/b
	done
}

# probe_map FILE KIND: a shared mapping of FILE is huge (6.12) or small
probe_map() {
	out=$(daxfs-hugeprobe map shared "$1") || fail "daxfs-hugeprobe map shared $1: $out"
	echo "map shared $1 -> $out"
	kb=$(echo "$out" | tr ' ' '\n' | sed -n 's/^pte_kb=//p')
	case $2 in
	huge) [ "$kb" -le 12 ] || fail "$1: $kb kB of page tables, not mapped 2 MiB at a time" ;;
	small) [ "$kb" -ge 8 ] || fail "$1: only $kb kB of page tables for 4 KiB pages" ;;
	esac
}

huge=small
[ "$DAXFS_KERNEL" = 6.1 ] || huge=huge

step "an 8 MiB base file and a 4 MiB file made in a branch, rewritten page by page"
mkdir -p /tmp/tree
head -c $((8 * MIB)) /dev/urandom >/tmp/tree/big
echo small >/tmp/tree/small
clear_region
expect_ok mkdaxfs -q -b 48M -d /tmp/tree -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs "$MAIN"
mount_daxfs /mnt/b branch=made,parent=main
head -c $((4 * MIB)) /dev/urandom >/mnt/b/made
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
gc_runs
scatter 30 0
cp "$MAIN/big" /tmp/big.want
cp "$MAIN/made" /tmp/made.want
mkdir -p /mnt/second
mount_daxfs /mnt/second
probe_map "$MAIN/big" small

step "a process maps big; the fold moves its parts; later commits write over the old pages"
rm -f /tmp/go
daxfs-bprobe hold "$MAIN/big" /tmp/go --expect alive >/tmp/hold.out 2>&1 &
hold_pid=$!
probe_ready $hold_pid /tmp/hold.out
gc_runs
[ "$runs" -ge 6 ] || fail "gc moved $runs parts; want the 4 of big and the 2 of made"
# Once the second mount has seen the fold (its periodic look), the old pages are freed.
sleep 2
expect_ok daxfs-branch gc -m "$MAIN"
cmp "$MAIN/big" /tmp/big.want || fail "big changed in the fold"
cmp "$MAIN/made" /tmp/made.want || fail "made changed in the fold"
# The freed pages are taken again and written over.
for n in 1 2 3 4; do
	mount_daxfs /mnt/b branch=over$n,parent=main
	head -c $((3 * MIB)) /dev/zero | tr '\0' 'x' >/mnt/b/over$n
	expect_ok daxfs-branch commit -m /mnt/b
	umount_daxfs /mnt/b
done
touch /tmp/go
wait $hold_pid
rc=$?
cat /tmp/hold.out
[ $rc -eq 0 ] || fail "the mapping made before the fold lost its bytes"
probe_map "$MAIN/big" $huge
probe_map "$MAIN/made" $huge

step "the second mount of main took the moved pages"
cmp /mnt/second/big /tmp/big.want || fail "the second mount reads other bytes"
cmp /mnt/second/made /tmp/made.want || fail "the second mount reads other bytes of made"
probe_map /mnt/second/big $huge

step "nothing moves while a branch is live"
scatter 5 7
mount_daxfs /mnt/live branch=live,parent=main
gc_runs
[ "$runs" -eq 0 ] || fail "gc moved $runs parts while a branch was live"
cmp /mnt/live/big "$MAIN/big" || fail "the live branch reads other bytes than main"
umount_daxfs /mnt/live
scatter 1 9
gc_runs
[ "$runs" -ge 1 ] || fail "gc moved nothing once no branch was live"
probe_map "$MAIN/big" $huge

step "main quiet for fold_quiet_s: a fold of the kernel's own moves the scattered parts"
Q=/sys/module/daxfs/parameters/fold_quiet_s
[ "$(cat $Q)" = 30 ] || fail "fold_quiet_s is $(cat $Q), not the default 30"
echo 3 >$Q
scatter 3 11
cp "$MAIN/big" /tmp/big.want
probe_map "$MAIN/big" small
mark=$(dmesg | wc -l)
wait_kmsg "$mark" "main had no commit for 3 s and files have scattered parts: folding"
wait_kmsg "$mark" "main folded into slot [0-9]+: .*, [1-9][0-9]* runs of 2 MiB moved"
dmesg | tail -n +$((mark + 1)) | grep "daxfs"
cmp "$MAIN/big" /tmp/big.want || fail "big changed in the quiet fold"
probe_map "$MAIN/big" $huge
# Once a spell: the fold's own commit_seq starts a new one, with nothing left to move.
sleep 5
n=$(dmesg | tail -n +$((mark + 1)) | grep -c "main folded into slot")
[ "$n" -eq 1 ] || fail "$n folds in a quiet spell; want one"
echo 30 >$Q

step "fsck is clean; a fresh mount equals the kept ones"
check_region
expect_ok daxfs-manifest "$MAIN" >/tmp/m-kept
expect_ok daxfs-manifest /mnt/second >/tmp/m-second
same_manifest /tmp/m-kept /tmp/m-second
mount_daxfs /mnt/again
expect_ok daxfs-manifest /mnt/again >/tmp/m-again
same_manifest /tmp/m-kept /tmp/m-again
umount_daxfs /mnt/again
umount_daxfs /mnt/second
umount_daxfs "$MAIN"
check_region
pass
