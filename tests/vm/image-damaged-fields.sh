# Kernel scenario: targeted corruption of a mounted image's inodes and entries. Without
# validate the mount succeeds and each access to a damaged object fails with EUCLEAN and a
# kernel message naming the region (never an oops, a hang or a read outside the region);
# with validate the mount itself is refused. Intact objects stay readable.
# Run: scripts/vm-run --memmap 256M [--kernel 6.1|6.12] tests/vm/image-damaged-fields.sh
# vm-run-args: --memmap 256M
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernel-helpers.inc"
need_phys
need_tools

MNT=/mnt/daxfs
SRC=/tmp/tree
PHYS_HEX=$(printf 0x%x "$DAXFS_PHYS")

put_le64() {
	put_le32 "$1" "$2" $(($3 & 0xffffffff))
	put_le32 "$1" $(($2 + 4)) $((($3 >> 32) & 0xffffffff))
}

put_u8() {
	printf "\\$(printf %o $(($3 & 255)))" |
		dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null || fail "put_u8 $1"
}

step "build and map a small tree"
mkdir -p $SRC/dir/sub
head -c 10000 /dev/urandom >$SRC/file
echo intact >$SRC/intact
for n in a b c d e; do echo $n >$SRC/dir/$n; done
ln -s intact $SRC/link
make_image $SRC img
load_image img
mount_daxfs $MNT
INODE_OFF=$(get_le64 img 40)
ino_file=$(stat -c %i $MNT/file)
ino_dir=$(stat -c %i $MNT/dir)
ino_link=$(stat -c %i $MNT/link)
ino_root=$(stat -c %i $MNT)
umount_daxfs $MNT
# inode_at INO: byte offset of inode INO in the image
inode_at() { echo $((INODE_OFF + 64 * ($1 - 1))); }
DIR_DATA=$(get_le64 img $(($(inode_at "$ino_dir") + 24)))
echo "inode table at $INODE_OFF; file $ino_file, dir $ino_dir (entries at $DIR_DATA)"

# damaged NAME CMD...: the damaged image in img.bad mounts without validate, CMD fails
# with EUCLEAN and a message naming the region, the intact file still reads, and a
# validate mount is refused.
damaged() {
	_name=$1
	shift
	step "corruption: $_name"
	load_image img.bad
	mark_kmsg
	mount_daxfs $MNT
	expect_fail "$@" 2>err
	grep -q "Structure needs cleaning" err || fail "expected EUCLEAN: $(cat err)"
	expect_kmsg "daxfs \\(phys=$PHYS_HEX\\)"
	[ "$(cat $MNT/intact)" = intact ] || fail "an intact file no longer reads"
	expect_nocrash find $MNT
	expect_nocrash ls -lR $MNT
	umount_daxfs $MNT
	mark_kmsg
	mount_refused $MNT validate
	expect_kmsg "fails validation"
}

cp img img.bad
put_le64 img.bad $(($(inode_at "$ino_file") + 24)) $((0x7ffffff000))
damaged "file data far outside the region" cat $MNT/file

cp img img.bad
put_le64 img.bad $(($(inode_at "$ino_file") + 16)) $((0x7fffffffffff))
damaged "file size past the data area" stat $MNT/file

cp img img.bad
put_le32 img.bad $(($(inode_at "$ino_file"))) $((0170644))
damaged "file with an invalid type" stat $MNT/file

cp img img.bad
put_le64 img.bad $(($(inode_at "$ino_dir") + 24)) $((DIR_DATA + 1))
damaged "directory entries misaligned" ls $MNT/dir

cp img img.bad
put_le32 img.bad $((DIR_DATA + 264)) 999999
damaged "entry naming an inode out of range (readdir)" daxfs-kprobe readdir $MNT/dir 6
cp img img.bad
put_le32 img.bad $((DIR_DATA + 264)) 999999
damaged "entry naming an inode out of range (lookup)" stat $MNT/dir/b

cp img img.bad
put_u8 img.bad $((DIR_DATA + 6)) 4
damaged "entry type differs from the inode" stat $MNT/dir/a

cp img img.bad
put_u8 img.bad $((DIR_DATA + 8 + 2)) 47
damaged "entry name with a slash past its length" daxfs-kprobe readdir $MNT/dir 6

cp img img.bad
put_u8 img.bad $(($(get_le64 img $(($(inode_at "$ino_link") + 24))) + 2)) 0
damaged "symlink target with a NUL inside" stat $MNT/link

step "corruption: a directory entry naming the root (a cycle)"
cp img img.bad
# Point dir's entry "sub" (the last, sorted after a..e) at the root directory.
put_le32 img.bad $((DIR_DATA + 5 * 264)) "$ino_root"
load_image img.bad
mount_daxfs $MNT
expect_nocrash ls $MNT/dir/sub
expect_nocrash find $MNT
[ "$(cat $MNT/intact)" = intact ] || fail "an intact file no longer reads"
umount_daxfs $MNT
mark_kmsg
mount_refused $MNT validate
expect_kmsg "fails validation"

step "the region is overwritten under a live mount (another writer)"
load_image img
mount_daxfs $MNT
expect_ok cmp $SRC/file $MNT/file
exec 8<$MNT/file
dd if=/dev/urandom of=/dev/mem bs=4096 seek=$((DAXFS_PHYS / 4096)) \
	count=$(($(stat -c %s img) / 4096)) conv=notrunc 2>/dev/null ||
	fail "cannot overwrite the region"
echo 2 >/proc/sys/vm/drop_caches
expect_nocrash find $MNT
expect_nocrash ls -lR $MNT
expect_nocrash cat $MNT/file $MNT/intact $MNT/dir/a
expect_nocrash daxfs-kprobe read $MNT/file $SRC/file
expect_nocrash daxfs-kprobe mmap-shared $MNT/file $SRC/file
expect_nocrash cat <&8
exec 8<&-
umount_daxfs $MNT

step "the intact image still mounts with validate"
load_image img
mount_daxfs $MNT validate
expect_ok cmp $SRC/file $MNT/file
umount_daxfs $MNT

check_dmesg
pass
