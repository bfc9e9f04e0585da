# Kernel scenario: reading. read() with many sizes and offsets, mmap MAP_SHARED reads,
# MAP_PRIVATE copy-on-write (the file stays unchanged), SIGBUS past EOF, no writable
# shared mapping, stat fields against the source tree (type, mode, owner, size, mtime with
# nanoseconds, atime = mtime, nlink, blocks, blksize, rdev, hard links sharing an inode),
# symlink targets, and EROFS for every modifying call. Runs with and without validate.
# Run: scripts/vm-run --memmap 256M [--kernel 6.1|6.12] tests/vm/image-read-and-mmap.sh
# vm-run-args: --memmap 256M
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernel-helpers.inc"
need_phys
need_tools

MNT=/mnt/daxfs
SRC=/tmp/tree
SIZES="1 100 4095 4096 4097 8191 8192 65537 1048576 3145733 20971520"

step "build a tree of files of many sizes, links, devices, odd modes and owners"
mkdir -p $SRC/files $SRC/odd/sub
for s in $SIZES; do
	head -c "$s" /dev/urandom >$SRC/files/f$s || fail "cannot make a $s byte file"
done
: >$SRC/files/empty
echo "hard linked" >$SRC/files/h1
expect_ok ln $SRC/files/h1 $SRC/files/h2
expect_ok ln $SRC/files/h1 $SRC/odd/h3
expect_ok ln -s ../files/f4096 $SRC/odd/rel-link
expect_ok ln -s /no/such/target/but/long/enough/to/matter $SRC/odd/dangling
expect_ok mknod $SRC/odd/null c 1 3
expect_ok mknod $SRC/odd/disk b 8 17
expect_ok mknod $SRC/odd/bigdev c 300 70000
expect_ok mkfifo $SRC/odd/fifo
expect_ok chmod 4755 $SRC/files/f1
expect_ok chmod 000 $SRC/files/f100
expect_ok chmod 1777 $SRC/odd/sub
expect_ok chown 1234:5678 $SRC/files/f4095
expect_ok chown 4000000000:3000000000 $SRC/odd/fifo
expect_ok touch -d "1999-12-31 23:59:59" $SRC/files/f8191
expect_ok touch -d "1970-01-01 00:00:00" $SRC/files/f8192
# Executables: busybox (static), a dynamic tool with its loader and libraries.
mkdir -p $SRC/bin $SRC/lib
for b in /bin/busybox /usr/bin/busybox /sbin/busybox; do
	[ -f $b ] && break
done
expect_ok cp $b $SRC/bin/busybox
LOADER=ld-linux-x86-64.so.2
DYN=""
for t in daxfs-inspect mkdaxfs; do
	p=$(command -v $t) && [ -f /lib64/$LOADER ] &&
		/lib64/$LOADER --verify "$p" >/dev/null 2>&1 && DYN=$p && break
done
if [ -n "$DYN" ]; then
	expect_ok cp "$DYN" $SRC/bin/dyn
	for l in /lib64/$LOADER /lib/x86_64-linux-gnu/*.so* /usr/lib/x86_64-linux-gnu/*.so* \
		/usr/local/lib/*.so*; do
		[ -f "$l" ] && cp -L "$l" $SRC/lib/ 2>/dev/null
	done
fi
make_image $SRC img
load_image img

# Compare stat fields of every path of the source tree with the mount.
check_stat() {
	(cd $SRC && find . | sort) >paths
	while read -r p; do
		a=$(stat -c '%f %u %g %s %h %t %T %Y %y' "$SRC/$p") || fail "stat $SRC/$p"
		b=$(stat -c '%f %u %g %s %h %t %T %Y %y' "$MNT/$p") ||
			fail "stat $MNT/$p failed"
		if [ -d "$SRC/$p" ] && [ ! -L "$SRC/$p" ]; then
			# A directory's size is ours (entry bytes), not the source's.
			a=$(echo "$a" | awk '{ $4 = "-"; print }')
			b=$(echo "$b" | awk '{ $4 = "-"; print }')
		fi
		[ "$a" = "$b" ] || fail "stat of $p differs: source '$a', daxfs '$b'"
		x=$(stat -c '%x' "$MNT/$p")
		y=$(stat -c '%y' "$MNT/$p")
		[ "$x" = "$y" ] || fail "atime of $p is $x, not its mtime $y"
		[ "$(stat -c %o "$MNT/$p")" = 4096 ] || fail "st_blksize of $p is not 4096"
		if [ -f "$MNT/$p" ] && [ ! -L "$MNT/$p" ]; then
			s=$(stat -c %s "$MNT/$p")
			[ "$(stat -c %b "$MNT/$p")" = $(((s + 4095) / 4096 * 8)) ] ||
				fail "st_blocks of $p is $(stat -c %b "$MNT/$p") for $s bytes"
		fi
		if [ -L "$SRC/$p" ]; then
			[ "$(readlink "$SRC/$p")" = "$(readlink "$MNT/$p")" ] ||
				fail "symlink $p target differs"
		fi
	done <paths
	[ "$(stat -c %i $MNT/files/h1)" = "$(stat -c %i $MNT/files/h2)" ] &&
		[ "$(stat -c %i $MNT/files/h1)" = "$(stat -c %i $MNT/odd/h3)" ] ||
		fail "hard links do not share one inode"
	echo "stat: $(wc -l <paths) paths match"
}

check_data() {
	for s in $SIZES; do
		f=files/f$s
		expect_ok cmp $SRC/$f $MNT/$f
		[ "$1" = quick ] || expect_ok daxfs-kprobe read $MNT/$f $SRC/$f
	done
	expect_ok daxfs-kprobe read $MNT/files/empty $SRC/files/empty
	for s in 1 4095 4096 4097 65537 3145733 20971520; do
		expect_ok daxfs-kprobe mmap-shared $MNT/files/f$s $SRC/files/f$s
	done
	expect_ok daxfs-kprobe mmap-private $MNT/files/f65537 $SRC/files/f65537
	expect_ok daxfs-kprobe mmap-private $MNT/files/f1 $SRC/files/f1
	expect_ok daxfs-kprobe sigbus $MNT/files/f4097
	expect_ok daxfs-kprobe sigbus $MNT/files/f1
	expect_ok daxfs-kprobe mmap-nowrite $MNT/files/f8192
}

step "mount and compare stat fields"
mount_daxfs $MNT
check_stat

step "read(), mmap shared/private, SIGBUS past EOF"
check_data full

step "cp, sendfile, O_DIRECT and /proc/PID/mem read the same bytes"
expect_ok cp $MNT/files/f3145733 copy
expect_ok cmp copy $SRC/files/f3145733
expect_ok daxfs-kprobe sendfile $MNT/files/f3145733 $SRC/files/f3145733
expect_ok daxfs-kprobe direct $MNT/files/f3145733 $SRC/files/f3145733
expect_ok daxfs-kprobe procmem $MNT/files/f65537 $SRC/files/f65537

step "programs run from the mount: a static one, and a dynamic one with its libraries"
expect_ok $MNT/bin/busybox true
[ "$($MNT/bin/busybox echo from-daxfs)" = from-daxfs ] || fail "busybox from daxfs misbehaves"
if [ -n "$DYN" ]; then
	expect_ok $MNT/lib/$LOADER --library-path $MNT/lib $MNT/bin/dyn --help >/dev/null
else
	echo "no dynamically linked tool in this guest: only the static program ran"
fi

step "every modifying call fails with EROFS"
expect_ok daxfs-kprobe erofs $MNT/odd $MNT/files/f4096
expect_fail sh -c "echo x >$MNT/files/f1" 2>/dev/null

step "devices and FIFOs are special files, not daxfs data"
[ -c $MNT/odd/null ] && [ -b $MNT/odd/disk ] && [ -p $MNT/odd/fifo ] ||
	fail "special file types lost"
expect_ok head -c 16 $MNT/odd/null

step "a second mount with validate reads the same"
umount_daxfs $MNT
mount_daxfs $MNT validate
check_stat
check_data quick
umount_daxfs $MNT

check_dmesg
pass
