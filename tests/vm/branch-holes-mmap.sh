# Scenario: holes (pages of a file with no data) through every kind of mapping, against
# tmpfs (issue 9: on 6.12 a load from a hole in a shared writable mapping was SIGBUS).
# Holes of every origin: a sparse new file (the fsx sequence: write 0x8000 0x1000, then a
# mapped read of 0..0xfff), a write past EOF of a base file, truncate up of a base file and
# of a new one, truncate down then up over written pages, fallocate (KEEP_SIZE past EOF
# then truncate up, KEEP_SIZE inside, mode 0 growing). Base files whose size is not page
# aligned on main and on the branch. Each file and its tmpfs copy are made by the same
# operations, then daxfs-holeprobe:
#   - loads every byte through MAP_SHARED (O_RDONLY; O_RDWR with PROT_READ; PROT_WRITE)
#     and MAP_PRIVATE (read-only; writable, with stores read() must not see): equal to
#     read(), zeros past EOF in the last page; these loads take no delta page;
#   - writes through a MAP_SHARED mapping mixed with write()s into the same pages, with
#     the holes mapped first (and a forked child storing through the inherited mapping),
#     never mapped, or mapped read-only then mprotect()ed writable: no byte lost, in that
#     mapping, in read(), in a shared read-only and a private mapping loaded before, after
#     msync and in a new mapping.
# Files equal their tmpfs copies after each phase; the region passes the checker; after
# commit main shows the same, its holes map as zeros, and a branch over it fills them.
# vm-run-args: --memmap 64M
. "$(dirname "$0")/lib.sh"
need_phys

for tool in mkdaxfs daxfs-branch daxfs-bprobe daxfs-opsprobe daxfs-holeprobe daxfs-inspect; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

REF=/tmp/ref
READ_KINDS="shared-ro shared-maywrite shared-rw shared-populate private-ro private-rw"
WRITE_KINDS="loaded cold mprotect"

# same_probe DIR OP KIND FILE: daxfs-holeprobe OP KIND on DIR/FILE and $REF/FILE, both ok
# and with the same size and hash
same_probe() {
	_kmsg "+ daxfs-holeprobe $2 $3 $1/$4"
	_got=$(daxfs-holeprobe "$2" "$3" "$1/$4")
	_rc=$?
	! _signalled $_rc || fail "CRASH: daxfs-holeprobe $2 $3 $1/$4 killed by signal $((_rc - 128)): $_got"
	[ $_rc -eq 0 ] || fail "daxfs-holeprobe $2 $3 $1/$4: $_got"
	_want=$(daxfs-holeprobe "$2" "$3" "$REF/$4") || fail "on tmpfs: daxfs-holeprobe $2 $3 $4: $_want"
	[ "$_got" = "$_want" ] || fail "$2 $3 $4: daxfs '$_got', tmpfs '$_want'"
}

# same_files DIR FILE...: every DIR/FILE reads like $REF/FILE
same_files() {
	_d=$1
	shift
	for _f in "$@"; do
		cmp "$REF/$_f" "$_d/$_f" || fail "$_d/$_f differs from its tmpfs copy"
	done
}

# free_pages MNT: the region's free delta pages, as the mount at MNT reports them
free_pages() {
	daxfs-bprobe info "$1" | tr ' ' '\n' | sed -n 's/^free_pages=//p'
}

# both CMD...: run CMD with @ replaced by /mnt/b, then by $REF
both() {
	_cmd=$*
	expect_ok sh -c "$(echo "$_cmd" | sed 's|@|/mnt/b|g')"
	expect_ok sh -c "$(echo "$_cmd" | sed "s|@|$REF|g")"
}

# falloc FILE MODE OFF LEN on both
falloc() {
	for _d in /mnt/b "$REF"; do
		_out=$(daxfs-opsprobe fallocate "$_d/$1" "$2" "$3" "$4")
		[ "$_out" = ok ] || fail "fallocate $_d/$1 $2 $3 $4: $_out"
	done
}

BASE_FILES="odd short tiny"

# make_holes SUFFIX: files with holes of every origin, named ORIGIN$SUFFIX, on both
make_holes() {
	_s=$1
	# the fsx sequence: write 0x8000 0x1000 into an empty file
	both "dd if=/tmp/rnd of=@/sparse$_s bs=4096 seek=8 count=1 2>/dev/null"
	# a write past EOF of a base file: the rest of its last page and pages 4..8
	both "cp @/odd @/wpast$_s && dd if=/tmp/rnd of=@/wpast$_s bs=1 seek=40000 count=50 conv=notrunc 2>/dev/null"
	# truncate up: a base file and a new one (all hole)
	both "cp @/short @/tup$_s && truncate -s 50000 @/tup$_s"
	both "truncate -s 70001 @/grown$_s"
	# truncate down then up over written pages
	both "dd if=/tmp/rnd of=@/tdu$_s bs=4096 count=5 2>/dev/null && truncate -s 6000 @/tdu$_s && truncate -s 30000 @/tdu$_s"
	# fallocate: KEEP_SIZE past EOF then truncate up; KEEP_SIZE inside; mode 0 growing
	both "dd if=/tmp/rnd of=@/fkeep$_s bs=4096 count=2 2>/dev/null"
	falloc "fkeep$_s" keep 8192 16384
	both "truncate -s 30000 @/fkeep$_s"
	both "truncate -s 65536 @/falloc$_s"
	falloc "falloc$_s" keep 8192 8192
	falloc "falloc$_s" keep 60000 20000
	falloc "falloc$_s" 0 69632 4196
}
HOLE_FILES="sparse wpast tup grown tdu fkeep falloc"

step "base: files whose size is not page aligned"
mkdir -p /tmp/base "$REF"
head -c 12388 /dev/urandom >/tmp/base/odd
head -c 5000 /dev/urandom >/tmp/base/short
head -c 100 /dev/urandom >/tmp/base/tiny
head -c 65536 /dev/urandom >/tmp/rnd
for f in $BASE_FILES; do cp /tmp/base/$f "$REF/"; done
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"

step "main: base files through read-only mappings"
mount_daxfs /mnt/m
for f in $BASE_FILES; do
	for k in shared-ro private-ro; do same_probe /mnt/m read $k $f; done
done
umount_daxfs /mnt/m

step "branch: holes of every origin"
mount_daxfs /mnt/b branch=b,parent=main
make_holes ""
for s in $WRITE_KINDS; do make_holes "-$s"; done
for f in $HOLE_FILES; do same_files /mnt/b $f $f-loaded $f-cold $f-mprotect; done
same_files /mnt/b $BASE_FILES
check_region

step "branch: every kind of mapping reads holes and base files as read() does"
free=$(free_pages /mnt/b)
for f in $HOLE_FILES $BASE_FILES; do
	for k in $READ_KINDS; do same_probe /mnt/b read $k $f; done
done
same_files /mnt/b $HOLE_FILES
[ "$(free_pages /mnt/b)" = "$free" ] ||
	fail "loads through mappings took delta pages: $free free before, $(free_pages /mnt/b) after"

step "branch: stores through shared mappings and write() fill the holes"
for k in $WRITE_KINDS; do
	for f in $HOLE_FILES; do same_probe /mnt/b write $k $f-$k; done
	same_probe /mnt/b write $k odd
done
for k in $WRITE_KINDS; do
	for f in $HOLE_FILES; do same_files /mnt/b $f-$k; done
done
same_files /mnt/b odd
for f in $HOLE_FILES; do
	for k in $READ_KINDS; do same_probe /mnt/b read $k $f-loaded; done
done
check_region

step "commit; main shows the same and maps its holes as zeros"
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b
check_region
mount_daxfs /mnt/m
for f in $HOLE_FILES; do
	same_files /mnt/m $f $f-loaded $f-cold $f-mprotect
	for k in shared-ro private-ro; do same_probe /mnt/m read $k $f; done
done
umount_daxfs /mnt/m

step "a branch over main fills the holes main has"
mount_daxfs /mnt/b branch=c,parent=main
free=$(free_pages /mnt/b)
for f in $HOLE_FILES; do
	for k in shared-maywrite shared-rw shared-populate; do same_probe /mnt/b read $k $f; done
done
[ "$(free_pages /mnt/b)" = "$free" ] ||
	fail "loads through mappings took delta pages: $free free before, $(free_pages /mnt/b) after"
for f in $HOLE_FILES; do same_probe /mnt/b write loaded $f; done
for f in $HOLE_FILES; do same_files /mnt/b $f; done
check_region
umount_daxfs /mnt/b

check_dmesg
pass
