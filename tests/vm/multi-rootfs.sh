# Scenario: a shared root filesystem. The host builds a DAXFS image (with branches) of the
# Debian bookworm minbase tree into the NVDIMM file every guest maps (tests/multi/rootfs-image);
# each guest, a 6.1 and a 6.12 kernel in the suite, switches root into it
# (scripts/vm-run --switch-root) and runs real programs from there. The layout
# (docs/multikernel-boot.md):
#   /                  main of the shared region, read-only, following commits live
#   /tmp, /run         tmpfs
#   /var/cache, /var/log, /var/tmp, /home, /root
#                      tmpfs, each seeded at boot with a copy of main's directory
#                      (/var/lib/dpkg and /var/lib/apt stay on main: updates change them)
#   /mnt               tmpfs: share/ (the host's /share), src/ (the repository), tools/
#                      (busybox, daxfs-branch with its libraries), branch/ (the guest's branch)
# This file is the first stage (the initramfs's busybox, run by vm-run's /init): it builds
# the new root at /newroot and leaves /.vm-switch-root; tests/vm/multi-rootfs.root is the
# second stage, PID 1 of the Debian root (see there for what it checks).
# Argument: MODE, one of
#   suite   (default) the smoke test: programs, a per-guest branch, a live update
#   shared  for scripts/multikernel-boot --measure: root on main as above, programs, then
#           wait until the host measured (/share/multi/measured)
#   copy    the same with the root copied into a tmpfs of the guest's own (every guest its
#           own copy: the baseline of the measurement)
# vm-multi-args: --switch-root --after tests/multi/check-region
# host-prep: tests/multi/rootfs-image "$DAXFS_SHARE/region.pmem"
. "$(dirname "$0")/lib.sh"

MODE=${1:-suite}
case $MODE in suite | shared | copy) ;; *) fail "unknown mode '$MODE'" ;; esac
NEW=/newroot
OPTS=$(pmem_opts)

# must CMD...: run a mount-like step, fail the test if it fails
must() {
	"$@" || fail "'$*' failed"
}

step "guest $DAXFS_PEER ($DAXFS_KERNEL): the new root at $NEW ($MODE)"
mkdir -p $NEW
if [ "$MODE" = copy ]; then
	mkdir -p /daxfs
	must mount -t daxfs -o "$OPTS" none /daxfs
	must mount -t tmpfs -o mode=755,size=1G tmpfs $NEW
	must cp -a /daxfs/. $NEW/
	must umount /daxfs
	echo "root copied into a tmpfs: $(du -sm $NEW | cut -f1) MiB"
else
	must mount -t daxfs -o "$OPTS" none $NEW
	awk -v m=$NEW '$2 == m { print "mounted:", $0 }' /proc/mounts
fi

step "writable directories: tmpfs on /tmp and /run; /var/cache, /var/log, /var/tmp, /home, /root: tmpfs copies"
must mount -t tmpfs -o mode=1777 tmpfs $NEW/tmp
must mount -t tmpfs -o mode=755 tmpfs $NEW/run
if [ "$MODE" != copy ]; then
	# A copy of main's directory, taken now: the guest's own from here on. Not an
	# overlay with main's directory as its lower layer: overlayfs answers ESTALE for a
	# name whose lower entry a commit replaced (docs/multikernel-boot.md).
	for d in var/cache var/log var/tmp home root; do
		must mkdir -p /tmp/seed
		must mount -t tmpfs -o mode="$(stat -c %a $NEW/$d)" tmpfs /tmp/seed
		must cp -a $NEW/$d/. /tmp/seed/
		must mount --move /tmp/seed $NEW/$d
	done
fi

step "/mnt: the share, the repository, the tools"
must mount -t tmpfs -o mode=755 tmpfs $NEW/mnt
must mkdir -p $NEW/mnt/share $NEW/mnt/src $NEW/mnt/branch $NEW/mnt/tools/bin \
	$NEW/mnt/tools/lib $NEW/mnt/tools/libexec
# busybox for what a minbase lacks; daxfs-branch with the libraries it was linked with,
# run through their own loader (the root has no libfmt)
must cp /bin/busybox $NEW/mnt/tools/bin/
must cp /usr/local/bin/daxfs-branch $NEW/mnt/tools/libexec/
must cp /lib/x86_64-linux-gnu/* /lib64/ld-linux-x86-64.so.2 $NEW/mnt/tools/lib/
cat >$NEW/mnt/tools/bin/daxfs-branch <<'EOF'
#!/bin/sh
exec /mnt/tools/lib/ld-linux-x86-64.so.2 --library-path /mnt/tools/lib /mnt/tools/libexec/daxfs-branch "$@"
EOF
must chmod 755 $NEW/mnt/tools/bin/daxfs-branch

step "hand over: /share, /src, /dev, /proc and /sys move into the new root"
echo "the initramfs holds $(du -smx / | cut -f1) MiB; Shmem (tmpfs) $(awk '/^Shmem:/ { print int($2 / 1024) }' /proc/meminfo) MiB"
must mount --move /share $NEW/mnt/share
must mount --move /src $NEW/mnt/src
echo "$NEW /bin/sh /mnt/src/tests/vm/multi-rootfs.root $MODE" >/.vm-switch-root ||
	fail "cannot write /.vm-switch-root"
# last: the helpers of lib.sh read /proc
echo "== switching root to $NEW: /bin/sh /mnt/src/tests/vm/multi-rootfs.root $MODE"
must mount --move /dev $NEW/dev
must mount --move /sys $NEW/sys
mount --move /proc $NEW/proc || { echo "FAIL: mount --move /proc"; exit 1; }
DAXFS_DONE=switch
exit 0
