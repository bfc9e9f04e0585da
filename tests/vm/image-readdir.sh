# Kernel scenario: directories. readdir of a directory far bigger than one getdents
# buffer, resumed from saved offsets; . and ..; lookup of every name (binary search),
# 255-byte names, odd bytes in names, ENOENT and ENAMETOOLONG; empty directories; a deep
# path; the entry order is the bytewise name order.
# Run: scripts/vm-run --memmap 256M [--kernel 6.1|6.12] tests/vm/image-readdir.sh
# vm-run-args: --memmap 256M
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernel-helpers.inc"
need_phys
need_tools

MNT=/mnt/daxfs
SRC=/tmp/tree
N=5000

step "build a directory of $N entries with long names, and odd ones"
mkdir -p $SRC/big $SRC/empty $SRC/odd
pad=$(printf '%0200d' 0)
i=0
while [ $i -lt $N ]; do
	: >"$SRC/big/$pad-$i"
	i=$((i + 1))
done
long=$(printf '%0255d' 7)
: >"$SRC/odd/$long"
: >"$SRC/odd/with space"
: >"$SRC/odd/$(printf 'tab\tand\001ctl')"
: >"$SRC/odd/$(printf '\303\251t\303\251')"
: >"$SRC/odd/-dash"
: >"$SRC/odd/.hidden"
: >"$SRC/odd/..dots"
: >"$SRC/odd/a"
: >"$SRC/odd/B"
: >"$SRC/odd/ab"
deep=$SRC
d=0
while [ $d -lt 60 ]; do
	deep=$deep/level$d
	d=$((d + 1))
done
expect_ok mkdir -p "$deep"
echo bottom >"$deep/file"
make_image $SRC img
load_image img
mount_daxfs $MNT

step "readdir: one pass and resumed passes agree, every entry once"
expect_ok daxfs-kprobe readdir $MNT/big $N
expect_ok daxfs-kprobe readdir $MNT/odd "$(ls -A $SRC/odd | wc -l)"
expect_ok daxfs-kprobe readdir $MNT/empty 0
[ "$(ls -a $MNT/empty | tr '\n' ' ')" = ". .. " ] || fail "empty dir lists '$(ls -a $MNT/empty)'"

step "entries come in bytewise name order"
# find lists a directory in readdir order.
find $MNT/odd -mindepth 1 -maxdepth 1 | sed "s|^$MNT/odd/||" >got
find $SRC/odd -mindepth 1 -maxdepth 1 | sed "s|^$SRC/odd/||" | LC_ALL=C sort >want
cmp -s want got || { diff want got; fail "readdir order is not the bytewise name order"; }

step "lookup of every name, attributes match"
for d in big odd; do
	(cd $SRC/$d && find . -exec stat -c '%n %f %s %Y' {} + | LC_ALL=C sort) >want.$d
	(cd $MNT/$d && find . -exec stat -c '%n %f %s %Y' {} + | LC_ALL=C sort) >got.$d
	[ "$(wc -l <want.$d)" -gt 1 ] || fail "no entries listed in $SRC/$d"
	# Directory sizes are ours: compare files only (the first line is ".").
	tail -n +2 want.$d >w; tail -n +2 got.$d >g
	expect_ok cmp w g
done
[ "$(cat "$MNT/odd/$long")" = "" ] || fail "255-byte name does not read"
[ "$(cat "$MNT${deep#$SRC}/file")" = bottom ] ||
	fail "deep path does not read"

step "missing names: ENOENT; a 256-byte name: ENAMETOOLONG"
expect_fail stat "$MNT/big/nope" 2>err
grep -q "No such file" err || fail "expected ENOENT: $(cat err)"
expect_fail stat "$MNT/big/$pad-$N" 2>err
grep -q "No such file" err || fail "expected ENOENT: $(cat err)"
expect_fail stat "$MNT/odd/${long}x" 2>err
grep -q "too long" err || fail "expected ENAMETOOLONG: $(cat err)"

step ".. of the mount root and of subdirectories"
[ "$(stat -c %i $MNT/big/..)" = "$(stat -c %i $MNT)" ] || fail "big/.. is not the root"
[ "$(cd "$MNT${deep#$SRC}/.." && pwd)" = "$MNT$(dirname "${deep#$SRC}")" ] ||
	fail "deep .. is wrong"

umount_daxfs $MNT
check_dmesg
pass
