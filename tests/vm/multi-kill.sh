# Scenario: a kernel killed at random moments while two kernels share one region
# (scripts/vm-multi, 6.1 and 6.12 in the suite). Guest 1, the victim, runs a busy loop of
# branch creations, writes, commits, aborts and plain unmounts, and keeps up to two branches
# mounted; the host (tests/multi/kill-hook) SIGKILLs its QEMU at a random moment, KILLS times,
# and vm-multi boots it again each time (a new boot on the same kernel, a new loop).
# Guest 0, the survivor, runs its own loop meanwhile (creations under the table lock the
# victim may have died holding, next to slots it may have left half-created) and, after
# each kill, takes over what the victim held: every branch the victim had started is
# attached (once its lease lapsed) and committed or aborted, or found gone (aborted,
# committed, discarded) or stale (main moved past it). Checks:
#  - no operation of the survivor waits more than the lease (5 s) plus SLACK s (default
#    30: TCG guests on a loaded host), neither a loop round nor a takeover;
#  - every takeover ends in one of those outcomes, the attached branch shows the files its
#    victim wrote (its name file, if the victim got that far) and commits or aborts;
#  - after the last kill the victim's new boot finishes cleanly; with every branch gone, the
#    host's fsck.daxfs of the file passes with no leaked page (tests/multi/check-region).
# Prints the kills survived, takeovers by outcome and the longest waits.
# Commits are bounded (3 per victim boot, 40 by the survivor, half the takeovers) so that
# long runs stay within the 255 slots commits keep.
# Arguments: [KILLS [SLACK]] (default 2 30; the long mode, tests/vm/run --long, 20 kills;
#   DAXFS_KILL_MAX_MS on the host makes the runs between kills longer, DAXFS_KILL_SEED
#   repeats one).
# vm-multi-args: --hook tests/multi/kill-hook --after tests/multi/check-region --timeout 3600
# host-prep: tests/multi/make-region "$DAXFS_SHARE/region.pmem"
# quick-args: 1
# long-args: 20
. "$(dirname "$0")/lib.sh"

KILLS=${1:-2}
SLACK=${2:-30}
LEASE=5
M=$DAXFS_MULTI_DIR
me=$DAXFS_PEER
boot=$DAXFS_BOOT
OPTS=$(pmem_opts)
[ "$DAXFS_PEERS" = 2 ] || fail "this scenario wants 2 guests, got $DAXFS_PEERS"

now() { cut -d' ' -f1 /proc/uptime; }
# secs_since T: seconds (one decimal) since uptime T
secs_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
# over T: true if more than LEASE + SLACK seconds passed since uptime T
over() { awk -v s="$1" -v e="$(now)" -v l=$((LEASE + SLACK)) 'BEGIN { exit !(e - s > l) }'; }

# work NAME MNT MODE: create branch NAME of main at MNT, write a file of its own and its
# name (in name.NAME), then MODE: commit, abort, unmount, keep. A branch killed by another kernel's
# commit (ESTALE) is not an error: it is counted as stale.
work() {
	mkdir -p "$2"
	_err=$(mount -t daxfs -o "$OPTS,branch=$1,parent=main" none "$2" 2>&1) || {
		echo "creating $1: $_err"
		return 1
	}
	_kb=$(( ($(od -An -N2 -tu2 /dev/urandom) % 50 + 1) * 4 ))
	if ! dd if=/dev/urandom of="$2/data/$1" bs=1024 count=$_kb 2>/dev/null ||
		! echo "$1" >"$2/name.$1"; then
		stale=$((stale + 1))
		umount "$2"
		return 0
	fi
	case $3 in
	commit)
		if daxfs-branch commit -m "$2" >/dev/null 2>&1; then
			commits=$((commits + 1))
		else
			stale=$((stale + 1))
		fi
		umount "$2" ;;
	abort)
		daxfs-branch abort -m "$2" >/dev/null 2>&1 || stale=$((stale + 1))
		umount "$2" ;;
	unmount) umount "$2" ;;
	keep) ;;
	esac
}

# take_over NAME: attach the victim's branch NAME, once its lease lapsed, and finish it
take_over() {
	_t0=$(now)
	mkdir -p /mnt/t
	while :; do
		if _err=$(mount -t daxfs -o "$OPTS,branch=$1" none /mnt/t 2>&1); then
			# Its name file (name.NAME: committed ones pile up in main) is
			# absent or empty if the victim died before writing it, else
			# whole.
			_saw=$(cat "/mnt/t/name.$1" 2>/dev/null || echo "$1")
			if [ -n "$_saw" ] && [ "$_saw" != "$1" ]; then
				umount /mnt/t
				fail "branch $1, taken over, holds '$_saw' in its name file"
			fi
			if [ $((taken % 2)) = 0 ] && daxfs-branch commit -m /mnt/t >/dev/null 2>&1; then
				outcome=committed
			elif daxfs-branch abort -m /mnt/t >/dev/null 2>&1; then
				outcome=aborted
			else
				outcome=stale-after-attach
			fi
			umount /mnt/t || fail "unmounting the taken-over $1"
			taken=$((taken + 1))
			break
		fi
		case $_err in
		*"busy"*) ;;
		*"No such file"*) outcome=gone; break ;;
		*"Stale"*) outcome=stale; break ;;
		*) fail "attaching the victim's branch $1: $_err" ;;
		esac
		over "$_t0" && fail "branch $1 still busy $(secs_since "$_t0") s after its kernel died (lease $LEASE s + $SLACK s)"
		sleep 0.5
	done
	_w=$(secs_since "$_t0")
	echo "take over $1: $outcome after $_w s"
	awk -v a="$_w" -v b="$max_take" 'BEGIN { exit !(a > b) }' && max_take=$_w
	eval "n_$(echo "$outcome" | tr '-' '_')=\$((n_$(echo "$outcome" | tr '-' '_') + 1))"
}

commits=0 stale=0 taken=0 max_take=0 max_round=0
n_committed=0 n_aborted=0 n_gone=0 n_stale=0 n_stale_after_attach=0

victim() {
	step "victim, boot $boot ($DAXFS_KERNEL): busy until killed${1:+ }$1"
	i=0
	while [ ! -e "$M/stop" ]; do
		i=$((i + 1))
		name=k$boot-$i
		echo "$name" >>"$M/intent.$boot"
		case $((i % 5)) in
		0) mode=commit mnt=/mnt/v ;; # at most 3 per boot: every commit keeps a slot
		1 | 3) mode=abort mnt=/mnt/v ;;
		2) mode=keep mnt=/mnt/keep$((i / 5 % 2)) ;;
		4) mode=unmount mnt=/mnt/v ;;
		esac
		[ $mode != commit ] || [ $commits -lt 3 ] || mode=abort
		if [ $mode = keep ] && grep -q " $mnt " /proc/mounts; then
			umount "$mnt" || fail "unmounting the branch kept at $mnt"
		fi
		work "$name" "$mnt" $mode || fail "round $i"
		echo "$i $name $mode" >>"$M/progress.$boot"
		[ $i != 3 ] || peer_put "busy.$boot"
	done
	step "victim, boot $boot: stop; its kept branches unmounted (discarded)"
	for mnt in /mnt/keep0 /mnt/keep1; do
		! grep -q " $mnt " /proc/mounts || umount "$mnt" || fail "unmounting $mnt"
	done
	echo "victim boot $boot: $i rounds, $commits commits, $stale stale"
	peer_put victim-done
}

survivor() {
	step "survivor ($DAXFS_KERNEL): busy while guest 1 is killed $KILLS times"
	peer_put kills "$KILLS"
	i=0 seen=0
	while :; do
		i=$((i + 1))
		t0=$(now)
		case $((i % 10)) in
		0) mode=commit ;;
		1 | 3 | 5 | 7) mode=abort ;;
		*) mode=unmount ;;
		esac
		[ $mode != commit ] || [ $commits -lt 40 ] || mode=abort
		work "s-$i" /mnt/s $mode || fail "round $i"
		w=$(secs_since "$t0")
		awk -v a="$w" -v b="$max_round" 'BEGIN { exit !(a > b) }' && max_round=$w
		over "$t0" && fail "round $i took $w s: more than the lease ($LEASE s) + $SLACK s"
		if [ -e "$M/killed.$((seen + 1))" ]; then
			seen=$((seen + 1))
			step "kill $seen: taking over what boot $((seen - 1)) of the victim held"
			for name in $(cat "$M/intent.$((seen - 1))" 2>/dev/null); do
				take_over "$name"
			done
		fi
		[ -e "$M/victim-done" ] && [ $seen -ge "$KILLS" ] && break
	done
	echo "survivor: $i rounds, $commits commits, $stale stale, longest round $max_round s"
	echo "kills survived: $seen; takeovers: $n_committed committed, $n_aborted aborted," \
		"$n_stale_after_attach stale after attaching, $n_gone gone, $n_stale stale;" \
		"longest takeover $max_take s"
	echo "survivor's kernel log: $(dmesg | grep -c 'left half-created; freed') half-created slots freed," \
		"$(dmesg | grep -c 'took the branch table lock from mount') table locks taken over," \
		"$(dmesg | grep -c 'stopped its heartbeat') stopped heartbeats"
	# A kernel judges another dead only by its own watch of the heartbeat over a lease
	# (docs/protocol.md): a mount of main kept that long frees what the dead boots left.
	step "a mount of main that watches for more than a lease frees what the dead boots left"
	mkdir -p /mnt/w
	_err=$(mount -t daxfs -o "$OPTS" none /mnt/w 2>&1) || fail "mounting main to watch: $_err"
	sleep $((LEASE + 3))
	work s-last /mnt/s unmount || fail "the last creation"
	umount /mnt/w || fail "unmounting main"
	peer_put all-gone
}

if [ "$me" = 0 ]; then
	survivor
else
	victim
fi
check_dmesg
pass
