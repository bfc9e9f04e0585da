# Scenario: one file at a time of a writable branch exercised the way fsx does, by
# daxfs-fsx (tests/tools/fsx.cpp): seeded random pread, pwrite (also far past EOF: holes),
# reads and writes through shared mappings (a write past EOF grows the file with ftruncate
# first; the bytes past EOF in the last mapped page must read as zeros), writes through
# private mappings (never reaching the file), ftruncate up and down, fsync, close and open,
# each checked against a model of the file kept in memory, and the whole file compared by
# read() and through a mapping every 1,000 operations. Two files, OPS operations in all:
# a file of the base image (its pages copied on write) and a new file. Then the region passes
# the shared validator, the branch commits, and main (mounted all along, and mounted again)
# holds exactly the models' bytes.
# The fsx of xfstests/LTP is not packaged for Debian bookworm, so this tool is ours; its
# operations and checks follow fsx's (mapped reads and writes on).
# Arguments: [OPS [SEED]] (default 100000 operations, seed 1 on 6.1 and 2 on 6.12).
# vm-run-args: --memmap 64M
# quick-args: 20000
# long-args: 1000000
. "$(dirname "$0")/lib.sh"
need_phys

OPS=${1:-100000}
case $DAXFS_KERNEL in
6.12) SEED=${2:-2} ;;
*) SEED=${2:-1} ;;
esac
BASE_OPS=$((OPS * 7 / 10))
NEW_OPS=$((OPS - BASE_OPS))

step "a base image with a 200 KiB file, main and branch fx mounted"
mkdir -p /tmp/base
head -c 204800 /dev/urandom >/tmp/base/base.bin
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/main
mount_daxfs /mnt/fx branch=fx,parent=main

step "daxfs-fsx: $BASE_OPS operations on the base file (seed $SEED)"
expect_ok daxfs-fsx --seed "$SEED" --ops "$BASE_OPS" --save /tmp/good-base /mnt/fx/base.bin

step "daxfs-fsx: $NEW_OPS operations on a new file (seed $((SEED + 100)))"
expect_ok daxfs-fsx --seed $((SEED + 100)) --ops "$NEW_OPS" --save /tmp/good-new /mnt/fx/new.bin
check_region
cmp -s /tmp/base/base.bin /mnt/main/base.bin || fail "main changed before the commit"
[ ! -e /mnt/main/new.bin ] || fail "main shows new.bin before the commit"

step "commit: main, mounted all along and mounted again, holds the models' bytes"
expect_ok daxfs-branch commit -m /mnt/fx
for m in /mnt/main /mnt/fx; do
	cmp /tmp/good-base $m/base.bin || fail "$m/base.bin differs from the model"
	cmp /tmp/good-new $m/new.bin || fail "$m/new.bin differs from the model"
done
umount_daxfs /mnt/fx
umount_daxfs /mnt/main
check_region
mount_daxfs /mnt/main
cmp /tmp/good-base /mnt/main/base.bin || fail "base.bin differs after a fresh mount"
cmp /tmp/good-new /mnt/main/new.bin || fail "new.bin differs after a fresh mount"
umount_daxfs /mnt/main

check_dmesg
pass
