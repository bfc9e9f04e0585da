# Scenario: a branch created right after a fold of main at its head (found by
# tests/vm/multi-fold.sh, act 2). A fold of main at head (S, G) stands for that head, and
# live.main_head stays (S, G) until the next commit. Were slot S freed with the rest of the
# folded history, the next branch of main could take it: its parent would be its own slot
# ("bad parent", the slot left corrupt). The slot main_head names is kept until the head
# moves on. Checks, with main mounted all along:
#  - branch x of main is created in slot 1 and committed: main_head is (1, gen);
#  - DAXFS_IOC_FOLD folds main into another slot;
#  - branch y of main is created: the mount must succeed, no slot may be left corrupt,
#    y must commit, and the region must pass daxfs-inspect check.
# vm-run-args: --memmap 64M
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

step "an image with branches; main mounted; branch x created and committed"
mkdir -p /tmp/base/etc
echo base >/tmp/base/etc/motd
clear_region
expect_ok mkdaxfs -q -b 4M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/main
mount_daxfs /mnt/x branch=x,parent=main
echo x >/mnt/x/etc/x || fail "write etc/x"
expect_ok daxfs-branch commit -m /mnt/x
umount_daxfs /mnt/x
daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE"

step "main folded"
expect_ok daxfs-foldprobe fold /mnt/main
daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE"

step "branch y of main, in the first free slot"
mark=$(dmesg | wc -l)
mkdir -p /mnt/y
out=$(mount -t daxfs -o "phys=$DAXFS_PHYS,size=$DAXFS_PHYS_SIZE,branch=y,parent=main" none /mnt/y 2>&1)
rc=$?
[ $rc != 0 ] || DAXFS_MOUNTS="/mnt/y $DAXFS_MOUNTS"
dmesg | tail -n +$((mark + 1)) | grep daxfs
daxfs-branch list --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE"
[ $rc = 0 ] || fail "creating branch y failed: $out"
dmesg | tail -n +$((mark + 1)) | grep -q 'is corrupt' && fail "the kernel left a branch slot corrupt"
echo y >/mnt/y/etc/y || fail "write etc/y"
expect_ok daxfs-branch commit -m /mnt/y
umount_daxfs /mnt/y
[ "$(cat /mnt/main/etc/y)" = y ] || fail "main does not show y's file"
umount_daxfs /mnt/main
check_region
check_dmesg
pass
