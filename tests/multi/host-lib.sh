# shellcheck shell=bash
# Host-side helpers for the hook and --after scripts of scripts/vm-multi (bash; sourced):
#
#   guest_pid I              print guest I's QEMU process id (fails if it has none now)
#   kill_guest [--no-respawn] I
#                            SIGKILL guest I's QEMU, as a power cut of that kernel; vm-multi
#                            boots it again (DAXFS_BOOT + 1) unless --no-respawn
#   wait_share NAME [SEC]    wait until $DAXFS_SHARE/multi/NAME exists (default 600 s);
#                            fails (status 1) on timeout
#   put_share NAME [TEXT]    publish $DAXFS_SHARE/multi/NAME (written whole: tmp + mv), for
#                            the guests' peer_wait
#   sleep_ms A B             sleep a random time between A and B milliseconds ($RANDOM)
: "${DAXFS_MULTI_RUN:?run from a scripts/vm-multi --hook or --after script}"

guest_pid() {
	local p
	p=$(cat "$DAXFS_MULTI_RUN/qemu-$1.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
	echo "$p"
}

kill_guest() {
	local mark=kill i p
	if [ "$1" = --no-respawn ]; then
		mark=--no-respawn
		shift
	fi
	i=$1
	p=$(guest_pid "$i") || {
		echo "kill_guest $i: guest $i has no running QEMU" >&2
		return 1
	}
	echo "$mark $(date +%s.%N)" >>"$DAXFS_MULTI_RUN/kill-$i"
	kill -KILL "$p"
}

wait_share() {
	local end=$((SECONDS + ${2:-600}))
	while [ ! -e "$DAXFS_SHARE/multi/$1" ]; do
		[ $SECONDS -lt $end ] || {
			echo "wait_share $1: not there after ${2:-600} s" >&2
			return 1
		}
		sleep 0.1
	done
}

put_share() {
	echo "${2:-}" >"$DAXFS_SHARE/multi/.$1.host" &&
		mv "$DAXFS_SHARE/multi/.$1.host" "$DAXFS_SHARE/multi/$1"
}

sleep_ms() {
	local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}
