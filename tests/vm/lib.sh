# Helpers for DAXFS guest scenarios; sourced (busybox ash, POSIX sh) by every tests/vm/*.sh
# that scripts/vm-run runs inside a guest:
#
#   . "$(dirname "$0")/lib.sh"
#
#   step TEXT            start a step: echo "== TEXT" to stdout and to the kernel log
#   expect_ok CMD...     run CMD; fail the test unless it exits 0
#   expect_fail CMD...   run CMD; fail the test unless it exits non-zero
#   expect_nocrash CMD...  run CMD; any exit status is fine, output is discarded
#                        (for walks over corrupt images)
#   check_dmesg          fail if the kernel log shows BUG, Oops, WARNING, general protection,
#                        Call Trace, KASAN, UBSAN, lockups or stalls
#   load_image IMG       write image file IMG raw at DAXFS_PHYS through /dev/mem
#   clear_region         zero the whole DAXFS_PHYS region
#   mount_daxfs MNT [OPTS]  mount -t daxfs -o phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE[,OPTS]
#   try_mount_daxfs MNT [OPTS]  the same, but returns the mount status (no test failure
#                        unless mount crashed)
#   umount_daxfs MNT     unmount (fails the test if it cannot)
#   mount_daxfs_fails MNT OPTS TEXT  mounting with OPTS must fail with an error message
#                        containing TEXT (e.g. "Invalid argument"); a crash fails the test
#   need_phys            fail unless the guest was started with --memmap
#   probe_ready PID OUT  wait until the background probe PID (writing OUT) printed "ready"
#   pass                 print PASS and exit 0
#   fail MSG             print FAIL with the current step and MSG, exit 1
#
# Every command run by expect_* is echoed to the kernel log too, so dmesg lines up with the
# test. A command killed by a signal (exit status 129..192, i.e. 128 + signal number) is a
# crash and fails the test in every helper, expected failure or not (busybox applets exit
# 255 on plain errors, which is not a crash). An EXIT trap unmounts whatever the test mounted
# and reports an unexpected exit.
#
# A scenario's header comments tell tests/vm/run how to run it (see tests/vm/run --help):
#   # vm-run-args: --memmap 256M     # host-prep: CMD     # quick-args: ARGS

DAXFS_TEST_NAME=$(basename "$0" .sh)
# The test's own stdout, kept on fd 9 so that messages survive `expect_ok cmd >/dev/null`.
exec 9>&1
DAXFS_STEP="(setup)"
DAXFS_MOUNTS=""
DAXFS_DONE=""

_kmsg() {
	# Level 5 (notice): in the kernel log, not on a quiet console.
	echo "<5>daxfs-test[$DAXFS_TEST_NAME]: $*" >/dev/kmsg 2>/dev/null || true
}

step() {
	DAXFS_STEP=$*
	echo "== [$(cut -d' ' -f1 /proc/uptime)s] $*" >&9
	_kmsg "== $*"
}

fail() {
	echo "FAIL: $DAXFS_TEST_NAME: step '$DAXFS_STEP': $*" >&9
	_kmsg "FAIL: step '$DAXFS_STEP': $*"
	DAXFS_DONE=fail
	exit 1
}

pass() {
	echo "PASS: $DAXFS_TEST_NAME [$(cut -d' ' -f1 /proc/uptime)s]" >&9
	_kmsg "PASS"
	DAXFS_DONE=pass
	exit 0
}

# _signalled STATUS: true if STATUS is that of a command killed by a signal.
_signalled() {
	[ "$1" -gt 128 ] && [ "$1" -le 192 ]
}

expect_ok() {
	_kmsg "+ $*"
	"$@"
	_rc=$?
	! _signalled $_rc || fail "CRASH: '$*' killed by signal $((_rc - 128))"
	[ $_rc -eq 0 ] || fail "'$*' exited $_rc, expected success"
	return 0
}

expect_fail() {
	_kmsg "+ (must fail) $*"
	"$@"
	_rc=$?
	! _signalled $_rc || fail "CRASH: '$*' killed by signal $((_rc - 128))"
	[ $_rc -ne 0 ] || fail "'$*' succeeded, expected failure"
	return 0
}

expect_nocrash() {
	"$@" >/dev/null 2>&1
	_rc=$?
	! _signalled $_rc || fail "CRASH: '$*' killed by signal $((_rc - 128))"
	return $_rc
}

# Patterns of kernel log lines that mean the kernel misbehaved.
DAXFS_DMESG_BAD='BUG:|kernel BUG|Oops|WARNING:|general protection|Call Trace|KASAN|UBSAN|soft lockup|hard LOCKUP|blocked for more than|rcu.*stall|usercopy|Kernel panic|RIP:'

check_dmesg() {
	_bad=$(dmesg | grep -v 'daxfs-test\[' | grep -E "$DAXFS_DMESG_BAD")
	if [ -n "$_bad" ]; then
		echo "---- kernel log (last 60 lines) ----"
		dmesg | tail -n 60
		echo "---- offending lines ----"
		echo "$_bad" | head -n 20
		fail "kernel log shows a BUG/Oops/WARNING"
	fi
	return 0
}

# probe_ready PID OUT: wait until the background probe PID, writing OUT, printed "ready"
# (daxfs-bprobe hold, daxfs-foldprobe ...); fails if it stopped first or after 60 s
probe_ready() {
	_i=0
	until grep -q '^ready' "$2" 2>/dev/null; do
		kill -0 "$1" 2>/dev/null || { cat "$2"; fail "the probe writing $2 stopped before it was ready"; }
		_i=$((_i + 1))
		[ $_i -lt 600 ] || { cat "$2"; fail "the probe writing $2 was not ready after 60 s"; }
		sleep 0.1
	done
}

# wait_kmsg MARK PATTERN: wait until a kernel log line after line MARK (dmesg | wc -l taken
# before) matches PATTERN (grep -E), such as the "testing: sleeping" line of a delay
# parameter; fails after 60 s.
wait_kmsg() {
	_i=0
	until dmesg | tail -n +$(($1 + 1)) | grep -q -E "$2"; do
		_i=$((_i + 1))
		[ $_i -lt 600 ] || fail "no kernel log line matching '$2' after 60 s"
		sleep 0.1
	done
}

# same_manifest WANT GOT: the two daxfs-manifest outputs must be identical; otherwise
# show the first differing lines and fail.
same_manifest() {
	if ! cmp -s "$1" "$2"; then
		echo "manifests differ ($(diff "$1" "$2" | grep -c '^[-+][^-+]') lines):"
		diff "$1" "$2" | head -n 40 | cut -c1-300
		fail "$2 differs from $1"
	fi
	echo "identical: $(wc -l <"$2") paths"
}

need_phys() {
	[ -n "$DAXFS_PHYS" ] && [ -n "$DAXFS_PHYS_SIZE" ] ||
		fail "no physical region: run this scenario with scripts/vm-run --memmap SIZE"
}

load_image() {
	need_phys
	[ -f "$1" ] || fail "load_image: no image file '$1'"
	_size=$(stat -c %s "$1")
	[ "$_size" -le "$DAXFS_PHYS_SIZE" ] ||
		fail "load_image: $1 is $_size bytes, the region only $DAXFS_PHYS_SIZE"
	_kmsg "+ load_image $1 ($_size bytes)"
	# dd's seek counts output blocks: 1 MiB blocks (few 9p round trips) when DAXFS_PHYS
	# is 1 MiB aligned, as vm-run's is.
	_bs=1048576
	[ $((DAXFS_PHYS % _bs)) -eq 0 ] || _bs=4096
	dd if="$1" of=/dev/mem bs=$_bs seek=$((DAXFS_PHYS / _bs)) conv=notrunc 2>/dev/null ||
		fail "load_image: writing $1 to /dev/mem at $DAXFS_PHYS failed"
}

clear_region() {
	need_phys
	dd if=/dev/zero of=/dev/mem bs=4096 seek=$((DAXFS_PHYS / 4096)) \
		count=$((DAXFS_PHYS_SIZE / 4096)) conv=notrunc 2>/dev/null ||
		fail "clear_region: writing /dev/mem failed"
}

# check_region: the region passes daxfs-inspect check (the shared checker, from userspace)
check_region() {
	need_phys
	daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" check >/tmp/check.out 2>&1 || {
		tail -n 20 /tmp/check.out
		fail "daxfs-inspect check of the region failed"
	}
}

_mount_opts() {
	_o="phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE"
	[ -z "$1" ] || _o="$_o,$1"
	echo "$_o"
}

try_mount_daxfs() {
	need_phys
	mkdir -p "$1"
	_kmsg "+ mount -t daxfs -o $(_mount_opts "$2") none $1"
	mount -t daxfs -o "$(_mount_opts "$2")" none "$1" 2>/dev/null
	_rc=$?
	! _signalled $_rc || fail "CRASH: mount of $1 killed by signal $((_rc - 128))"
	[ $_rc -eq 0 ] && DAXFS_MOUNTS="$1 $DAXFS_MOUNTS"
	return $_rc
}

mount_daxfs() {
	need_phys
	mkdir -p "$1"
	expect_ok mount -t daxfs -o "$(_mount_opts "$2")" none "$1"
	DAXFS_MOUNTS="$1 $DAXFS_MOUNTS"
}

umount_daxfs() {
	expect_ok umount "$1"
	_left=""
	for _m in $DAXFS_MOUNTS; do
		[ "$_m" = "$1" ] || _left="$_left $_m"
	done
	DAXFS_MOUNTS=$_left
}

mount_daxfs_fails() {
	need_phys
	mkdir -p "$1"
	_kmsg "+ (must fail: $3) mount -t daxfs -o $(_mount_opts "$2") none $1"
	_out=$(mount -t daxfs -o "$(_mount_opts "$2")" none "$1" 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ]; then
		umount "$1" 2>/dev/null
		fail "mount -o $2 succeeded, expected failure ($3)"
	fi
	! _signalled $_rc || fail "CRASH: mount -o $2 killed by signal $((_rc - 128))"
	case $_out in
	*"$3"*) ;;
	*) fail "mount -o $2 failed with '$_out', expected '$3'" ;;
	esac
	return 0
}

_daxfs_exit() {
	_rc=$?
	for _m in $DAXFS_MOUNTS; do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
	if [ -z "$DAXFS_DONE" ]; then
		echo "FAIL: $DAXFS_TEST_NAME: step '$DAXFS_STEP': script exited $_rc without pass/fail" >&9
		_kmsg "FAIL: exited $_rc in step '$DAXFS_STEP'"
		[ $_rc -ne 0 ] || _rc=1
	fi
	exit $_rc
}
trap _daxfs_exit EXIT

# Several guests on one region (scripts/vm-multi starts them, each with DAXFS_PEER = its
# index 0..N-1, DAXFS_PEERS = N, DAXFS_BOOT = how many times the host killed it before);
# they meet through files in /share/multi:
#   barrier NAME [SEC]   mark NAME reached by this guest, then wait until every guest
#                        reached it (fails after SEC seconds, default 600); without sleeps
#                        between looks, so that the guests leave it within milliseconds
#   peer_put NAME [TEXT] publish /share/multi/NAME holding TEXT (written whole: tmp + mv)
#   peer_wait NAME [SEC] wait until /share/multi/NAME exists (fails after SEC, default 600)
#   peer_get NAME        print /share/multi/NAME
#   pmem_opts            "phys=...,size=..." of the NVDIMM every guest shares
DAXFS_MULTI_DIR=/share/multi

barrier() {
	_b=$DAXFS_MULTI_DIR/barrier.$1
	: >"$_b.$DAXFS_PEER" || fail "barrier $1: cannot write $_b.$DAXFS_PEER"
	_kmsg "barrier $1"
	_end=$(($(cut -d. -f1 /proc/uptime) + ${2:-600}))
	while :; do
		_n=0
		_p=0
		while [ $_p -lt "$DAXFS_PEERS" ]; do
			[ -e "$_b.$_p" ] && _n=$((_n + 1))
			_p=$((_p + 1))
		done
		[ $_n -lt "$DAXFS_PEERS" ] || break
		[ "$(cut -d. -f1 /proc/uptime)" -lt $_end ] ||
			fail "barrier $1: $_n of $DAXFS_PEERS guests came within ${2:-600} s"
	done
}

peer_put() {
	echo "${2:-}" >"$DAXFS_MULTI_DIR/.$1.$DAXFS_PEER" &&
		mv "$DAXFS_MULTI_DIR/.$1.$DAXFS_PEER" "$DAXFS_MULTI_DIR/$1" ||
		fail "peer_put $1: cannot write $DAXFS_MULTI_DIR/$1"
}

peer_wait() {
	_end=$(($(cut -d. -f1 /proc/uptime) + ${2:-600}))
	while [ ! -e "$DAXFS_MULTI_DIR/$1" ]; do
		[ "$(cut -d. -f1 /proc/uptime)" -lt $_end ] ||
			fail "peer_wait $1: not there after ${2:-600} s"
		sleep 0.05
	done
}

peer_get() {
	cat "$DAXFS_MULTI_DIR/$1"
}

pmem_opts() {
	[ -n "$DAXFS_PMEM_PHYS" ] || fail "no NVDIMM: run this scenario with scripts/vm-multi"
	echo "phys=$DAXFS_PMEM_PHYS,size=$DAXFS_PMEM_SIZE"
}

# A scenario run with scripts/vm-run --switch-root (see its --help) hands the guest over to
# a new root; the program that becomes PID 1 there ends the run with
#   vm_init_run CMD...   run CMD as a child (stdin /dev/null), then do what vm-run's /init
#                        does after a script: print the kernel log's BUG/Oops/WARNING lines
#                        for vm-run, then "@@daxfs-vm-exit $DAXFS_VM_NONCE STATUS@@", sync
#                        and power off (sysrq o: a root without busybox has no poweroff -f).
#                        Never returns.
vm_init_run() {
	"$@" </dev/null
	_rc=$?
	_bad=$(dmesg | grep -v 'daxfs-test\[' | grep -E "$DAXFS_DMESG_BAD" | head -n 20)
	if [ -n "$_bad" ]; then
		echo
		echo "$_bad" | sed "s/^/@@daxfs-vm-dmesg $DAXFS_VM_NONCE@@ /"
	fi
	echo
	echo "@@daxfs-vm-exit $DAXFS_VM_NONCE $_rc@@"
	DAXFS_DONE=init
	sync
	echo o >/proc/sysrq-trigger
	sleep 600
}
