# Scenario: a fold that moves file data into aligned runs, seen from another kernel
# (issues 12 and 9; scripts/vm-multi, guest 0 "A" on 6.1 and guest 1 "B" on 6.12 in the
# suite). Both guests keep main mounted all along.
#  1. A makes data/large (8 MiB) in a branch and commits it, then 20 commits each rewrite
#     a few of its pages: its pages are scattered in the delta region.
#  2. B maps data/large (MAP_SHARED) and reads every page (daxfs-bprobe hold).
#  3. A folds (daxfs-branch gc): the fold moves the file's four 2 MiB parts into aligned
#     runs. B adopts the fold from its kernel, takes the moved pages and unmaps the file;
#     only then are the old pages freed, and A's next commits write 3 MiB files over them.
#  4. B's mapping still reads the same bytes (it refaulted onto the runs), B reads the
#     file as A does (sha256), and on 6.12 a new shared mapping of it takes PMDs. The
#     host's fsck.daxfs passes with no page leaked (tests/multi/check-region).
# vm-multi-args: --after tests/multi/check-region
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem" 48M
. "$(dirname "$0")/lib.sh"

me=$DAXFS_PEER
OPTS=$(pmem_opts)
MIB=1048576
[ "$DAXFS_PEERS" = 2 ] || fail "this scenario wants 2 guests, got $DAXFS_PEERS"
for tool in daxfs-branch daxfs-bprobe daxfs-hugeprobe sha256sum; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

# commit_with CMD...: a branch of main at /mnt/b, CMD run in it, committed
commits=0
commit_with() {
	commits=$((commits + 1))
	mount -t daxfs -o "$OPTS,branch=c$me-$commits,parent=main" none /mnt/b ||
		fail "cannot create a branch"
	"$@" || fail "'$*' failed in the branch"
	expect_ok daxfs-branch commit -m /mnt/b
	umount /mnt/b || fail "cannot unmount the committed branch"
}

rewrite_pages() { # rewrite_pages ROUND: three pages of data/large
	for _k in 1 2 3; do
		dd if=/dev/urandom of=/mnt/b/data/large bs=4096 count=1 conv=notrunc \
			seek=$((($1 * 389 + _k * 131) % 2048)) 2>/dev/null || return 1
	done
}

# map_kb FILE: the kB of page tables a shared mapping of FILE took
map_kb() {
	_out=$(daxfs-hugeprobe map shared "$1") || fail "daxfs-hugeprobe map shared $1: $_out"
	echo "$DAXFS_KERNEL: map shared $1 -> $_out" >&2
	echo "$_out" | tr ' ' '\n' | sed -n 's/^pte_kb=//p'
}

mkdir -p /mnt/main /mnt/b
mount -t daxfs -o "$OPTS" none /mnt/main || fail "cannot mount main"
barrier mounted

if [ "$me" = 0 ]; then
	step "A: data/large, then 20 commits rewriting its pages"
	commit_with sh -c "head -c $((8 * MIB)) /dev/urandom >/mnt/b/data/large"
	r=1
	while [ $r -le 20 ]; do
		commit_with rewrite_pages $r
		r=$((r + 1))
	done
	peer_put scattered "$(sha256sum /mnt/main/data/large | cut -d' ' -f1)"
	peer_wait held 300
	step "A: gc moves the parts into runs; B takes them before the old pages go"
	expect_ok daxfs-branch gc -m /mnt/main --json >/tmp/gc.json
	cat /tmp/gc.json
	runs=$(tr -d ' \n' </tmp/gc.json | sed -n 's/.*"runs":\([0-9]*\).*/\1/p')
	[ "${runs:-0}" -ge 4 ] || fail "gc moved ${runs:-no} parts; want data/large's 4"
	# Not pending: B has seen the fold (so it took the runs), and the old pages are free.
	i=0
	until tr -d ' \n' </tmp/gc.json | grep -q '"pending":false'; do
		i=$((i + 1))
		[ $i -lt 30 ] || fail "B never said it had seen the fold"
		sleep 1
		expect_ok daxfs-branch gc -m /mnt/main --json >/tmp/gc.json
	done
	for n in 1 2 3 4; do
		commit_with sh -c "head -c $((3 * MIB)) /dev/zero | tr '\\0' 'x' >/mnt/b/over$n"
	done
	peer_put overwritten
else
	peer_wait scattered 600
	step "B: data/large mapped and read while A folds"
	rm -f /tmp/go
	daxfs-bprobe hold /mnt/main/data/large /tmp/go --expect alive >/tmp/hold.out 2>&1 &
	hold_pid=$!
	probe_ready $hold_pid /tmp/hold.out
	peer_put held
	peer_wait overwritten 600
	touch /tmp/go
	wait $hold_pid
	rc=$?
	cat /tmp/hold.out
	[ $rc -eq 0 ] || fail "B's mapping made before A's fold lost its bytes"
fi

step "both: the same bytes; the runs map 2 MiB at a time on 6.12"
want=$(peer_get scattered)
[ "$(sha256sum /mnt/main/data/large | cut -d' ' -f1)" = "$want" ] ||
	fail "$DAXFS_KERNEL reads other bytes of data/large than A committed"
kb=$(map_kb /mnt/main/data/large)
if [ "$DAXFS_KERNEL" = 6.1 ]; then
	[ "$kb" -ge 16 ] || fail "6.1 mapped 8 MiB with $kb kB of page tables"
else
	[ "$kb" -le 12 ] || fail "$DAXFS_KERNEL: $kb kB of page tables, the runs are not mapped huge"
fi
barrier checked
umount /mnt/main || fail "cannot unmount main"
pass
