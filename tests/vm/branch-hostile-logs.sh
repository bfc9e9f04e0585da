# Scenario: hostile logs. Branch logs whose records are well formed (right crc, seq and
# shape) but mean something that must be refused, made on the host by daxfs-hostile (the
# corpus of tests/unit/hostile_corpus.cpp: rename cycles, dangling parents, writes naming
# pages of a committed branch, of a log or of no one, a page named twice, a symlink target
# holding a NUL, every record type with a field that does not fit the view). Checks:
#  - each image: fsck.daxfs (daxfs-inspect check) and the kernel give the same verdict and
#    the same reason: a hostile image fails its mount (main, attach to a branch, a new
#    branch over one, or main with -o validate) with EUCLEAN and the kernel log gives the
#    reason fsck gives, word for word; a good image mounts;
#  - a mounted main that follows a commit whose log it must refuse (made by a branch whose
#    log was changed behind the kernel's back) serves nothing of that commit and fails
#    every later operation with EUCLEAN, saying why; a new mount of main is refused too.
# vm-run-args: --memmap 64M
# host-prep: mkdir -p "$DAXFS_SHARE/hostile" && build/tests/unit/daxfs-hostile "$DAXFS_SHARE/hostile"
# quick-args:
. "$(dirname "$0")/lib.sh"
need_phys

corpus=/share/hostile
P=daxfs-opsprobe
[ -s "$corpus/cases" ] || fail "no hostile corpus in $corpus (host-prep did not run)"

# reason_of IMG: the reason daxfs-inspect check gives for IMG (empty when it passes)
reason_of() {
	daxfs-inspect "$1" check --json >/tmp/verdict.json 2>/dev/null
	sed -n 's/.*"message":"\([^"]*\)".*/\1/p' /tmp/verdict.json
}

step "every image of the corpus: the kernel's verdict and reason are fsck.daxfs's"
n=0 bad=0
while IFS='|' read -r name opts want; do
	n=$((n + 1))
	img=$corpus/$name.img
	got=$(reason_of "$img")
	clear_region
	load_image "$img"
	_kmsg "hostile case $name"
	if [ -z "$want" ]; then
		[ -z "$got" ] && grep -q '"ok":true' /tmp/verdict.json ||
			fail "$name: fsck.daxfs refuses a good image: $got"
		mount_daxfs /mnt/h "$opts"
		ls -R /mnt/h >/dev/null || fail "$name: the good image cannot be read"
		umount_daxfs /mnt/h
		continue
	fi
	bad=$((bad + 1))
	case $got in
	*"$want"*) ;;
	*) fail "$name: fsck.daxfs says '$got', expected '$want'" ;;
	esac
	mount_daxfs_fails /mnt/h "$opts" "Structure needs cleaning"
	dmesg | sed -n "/hostile case $name\$/,\$p" | grep -qF "$got" ||
		fail "$name: the kernel log does not give fsck's reason '$got'"
done <"$corpus/cases"
echo "    $n images, $bad hostile: same verdict and reason in the kernel and fsck.daxfs"
[ "$bad" -ge 20 ] || fail "the corpus has only $bad hostile images"
check_dmesg

step "a mounted main following a commit it must refuse serves none of it, and keeps failing"
clear_region
mkdir -p /tmp/base/d
echo base >/tmp/base/f
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/m
fi_ino=$(stat -c %i /mnt/m/f)
mount_daxfs /mnt/h1 branch=h,parent=main
echo x >/mnt/h1/xfile || fail "write in branch h"
mount_daxfs /mnt/h2 branch=hc,parent=h
umount_daxfs /mnt/h1
# behind the kernel's back: a valid CREATE, then an UNLINK of a name that is not there
expect_ok $P logrec "$DAXFS_PHYS" "$DAXFS_PHYS_SIZE" h create 100000 1 half-commit
expect_ok $P logrec "$DAXFS_PHYS" "$DAXFS_PHYS_SIZE" h unlink "$fi_ino" 1 nosuch
expect_ok daxfs-branch commit -m /mnt/h2
for round in 1 2 3; do
	ls /mnt/m >/tmp/ls.out 2>&1 && fail "ls of main worked after a refused commit (try $round)"
	grep -q "Structure needs cleaning" /tmp/ls.out ||
		fail "ls of main failed with '$(cat /tmp/ls.out)', expected EUCLEAN (try $round)"
done
cat /mnt/m/f >/dev/null 2>&1 && fail "main still serves its old files"
stat /mnt/m/half-commit >/dev/null 2>&1 && fail "main serves half of the refused commit"
dmesg | grep -q "UNLINK of a missing name" || fail "the kernel log does not say which record"
dmesg | grep -q "fails every operation until it is unmounted" ||
	fail "the kernel log does not say the mount is unusable"
umount_daxfs /mnt/m
mount_daxfs_fails /mnt/m "" "Structure needs cleaning"
umount_daxfs /mnt/h2
check_dmesg
pass
