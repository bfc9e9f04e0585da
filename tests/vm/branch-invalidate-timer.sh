# Scenario: a commit or an abort reaches every mount within about a second, through the
# mount's periodic look at the region (DAXFS_WATCH_MS), with no file operation on it.
# Processes map a file and then only touch its pages (daxfs-mapwatch, no system call on
# the mount after mmap):
#  - branches a and b of main; a process maps a file of b; a commits: the process gets
#    SIGBUS within 3 s of the commit (the delay is printed), and a mapping of the same
#    file through a mount of main shows a's bytes within 3 s;
#  - branch q under branch p; a process maps a file of q; p is aborted: SIGBUS within 3 s;
#  - the kernel log names each dead mount (branch, slot, mount id) and why;
#  - the region passes daxfs-inspect check.
# vm-run-args: --memmap 64M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

LIMIT=3		# seconds a mount may take to notice (the period is 0.5 s; TCG is slow)

# uptime: CLOCK_BOOTTIME in seconds, as daxfs-mapwatch prints it
uptime() {
	cut -d' ' -f1 /proc/uptime
}

# delay_ok NAME EVENT_AT NOTICED_AT: print the delay, fail past LIMIT
delay_ok() {
	_d=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", b - a }')
	echo "$1: noticed $_d s after it returned"
	awk -v d="$_d" -v l="$LIMIT" 'BEGIN { exit !(d <= l) }' ||
		fail "$1 took $_d s to reach the mount (limit $LIMIT s)"
}

# field NAME FILE: the value of NAME=... in FILE
field() {
	sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | head -n 1
}

# wait_mapped FILE: until the watcher writing FILE has read its mapping once
wait_mapped() {
	_n=0
	until grep -q mapped_at "$1" 2>/dev/null; do
		_n=$((_n + 1))
		[ $_n -le 300 ] || fail "the watcher of $1 did not start"
		sleep 0.1
	done
}

step "an image with branches: main, branches a and b of main"
mkdir -p /tmp/base
head -c 65536 /dev/zero | tr '\0' o >/tmp/base/f
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/m
mount_daxfs /mnt/a branch=a,parent=main
mount_daxfs /mnt/b branch=b,parent=main
head -c 65536 /dev/zero | tr '\0' A >/mnt/a/f
head -c 8192 /dev/zero | tr '\0' B >/mnt/b/own

step "a process maps b's files and only reads them; another maps main's f; a commits"
daxfs-mapwatch sigbus /mnt/b/f 20 >/tmp/w-b-f &
wb=$!
daxfs-mapwatch sigbus /mnt/b/own 20 >/tmp/w-b-own &
wo=$!
daxfs-mapwatch change /mnt/m/f 20 A >/tmp/w-m &
wm=$!
wait_mapped /tmp/w-b-f
wait_mapped /tmp/w-b-own
wait_mapped /tmp/w-m
sleep 2
t0=$(uptime)
expect_ok daxfs-branch commit -m /mnt/a
t1=$(uptime)
echo "commit of a: from $t0 to $t1"
wait $wb
rb=$?
wait $wo
ro=$?
wait $wm
rm=$?
cat /tmp/w-b-f /tmp/w-b-own /tmp/w-m
[ $rb -eq 0 ] || fail "the mapping of b's base file did not get SIGBUS (exit $rb)"
[ $ro -eq 0 ] || fail "the mapping of b's own file did not get SIGBUS (exit $ro)"
[ $rm -eq 0 ] || fail "the mapping of main's f did not show a's bytes (exit $rm)"
delay_ok "commit -> SIGBUS in b (base file)" "$t1" "$(field sigbus_at /tmp/w-b-f)"
delay_ok "commit -> SIGBUS in b (its own file)" "$t1" "$(field sigbus_at /tmp/w-b-own)"
delay_ok "commit -> new bytes in main's mapping" "$t1" "$(field changed_at /tmp/w-m)"
dmesg | grep -Eq "branch b \(slot [0-9]+, mount [0-9a-f]+\) is gone \(main moved" ||
	fail "the kernel log does not say b is gone and why"
dmesg | grep -E "branch b \(slot" | tail -n 1

step "branch q under branch p; a process maps q's file; p is aborted"
mount_daxfs /mnt/p branch=p,parent=main
echo p >/mnt/p/pfile
mount_daxfs /mnt/q branch=q,parent=p
head -c 16384 /dev/zero | tr '\0' Q >/mnt/q/qfile
daxfs-mapwatch sigbus /mnt/q/qfile 20 >/tmp/w-q &
wq=$!
wait_mapped /tmp/w-q
sleep 2
expect_ok daxfs-branch abort -m /mnt/p
t1=$(uptime)
wait $wq
rq=$?
cat /tmp/w-q
[ $rq -eq 0 ] || fail "the mapping of q's file did not get SIGBUS after p's abort (exit $rq)"
delay_ok "abort of p -> SIGBUS in q" "$t1" "$(field sigbus_at /tmp/w-q)"
dmesg | grep -Eq "branch q \(slot [0-9]+, mount [0-9a-f]+\) is gone" ||
	fail "the kernel log does not say q is gone"

step "unmount everything; the region checks"
for m in /mnt/q /mnt/p /mnt/b /mnt/a /mnt/m; do
	umount_daxfs $m
done
check_region
check_dmesg
pass
