# Scenario: huge (2 MiB) mappings of large files (issue 9). mkdaxfs places the data of
# files of 2 MiB or more 2 MiB-aligned; on a kernel with special PMDs (6.12) a shared
# mapping of such a file is mapped 2 MiB at a time, which the probe sees as page tables
# it no longer needs (VmPTE); on 6.1 every mapping is 4 KiB and says so. On both:
#   - the bytes of every mapping equal read(): shared and private (4 KiB pages: copy on
#     write), from offset 0 and from an offset inside a 2 MiB run (the kernel then places
#     the mapping so the runs after it still map whole), files with a partial last 2 MiB;
#     a private mapping's stores stay private;
#   - the calls that pin user pages (futex on a shared address, vmsplice,
#     process_vm_readv) on a mapped large file fail cleanly or work, never an oops;
#   - on a branch: a store through a shared writable mapping into a page mapped 2 MiB at
#     a time lands (the PMD is split, the page copied on write), read() and the mapping
#     show it, nothing else changes, and after commit main shows it; the region checks.
# vm-run-args: --memmap 128M
. "$(dirname "$0")/lib.sh"
need_phys

for tool in mkdaxfs daxfs-branch daxfs-hugeprobe daxfs-inspect; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done

MIB=1048576
# 8 MiB + 5 pages: 4 whole PMDs and a tail; 3 MiB: one PMD and a tail; 2 MiB exactly.
step "a tree with large files"
mkdir -p /tmp/tree/d
head -c $((8 * MIB + 5 * 4096)) /dev/urandom >/tmp/tree/big
head -c $((3 * MIB)) /dev/urandom >/tmp/tree/d/mid
head -c $((2 * MIB)) /dev/urandom >/tmp/tree/two
for i in 1 2 3 4 5 6; do head -c $((i * 1000)) /dev/urandom >/tmp/tree/small$i; done
clear_region
expect_ok mkdaxfs -q -b -d /tmp/tree -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
check_region
daxfs-inspect --phys "$DAXFS_PHYS" --size "$DAXFS_PHYS_SIZE" info --json >/tmp/info.json ||
	fail "daxfs-inspect info failed"
aligned=$(tr -d ' \n' </tmp/info.json | sed -n 's/.*"huge_files":{"aligned":\([0-9]*\),"count":\([0-9]*\)}.*/\1 \2/p')
[ "$aligned" = "3 3" ] || fail "want the 3 files of 2 MiB or more 2 MiB-aligned, info says (aligned count) '$aligned'"

# The kernel maps 2 MiB at a time only with special PMDs (CONFIG_ARCH_SUPPORTS_PMD_PFNMAP).
huge=0
case $DAXFS_KERNEL in
6.1) echo "huge mappings: not on 6.1 (its gup cannot tell a special PMD), 4 KiB expected" ;;
*) huge=1 ;;
esac

# probe ARGS...: daxfs-hugeprobe ARGS, must exit 0 and not be killed; its output in $out
probe() {
	_kmsg "+ daxfs-hugeprobe $*"
	out=$(daxfs-hugeprobe "$@")
	_rc=$?
	! _signalled $_rc || fail "CRASH: daxfs-hugeprobe $* killed by signal $((_rc - 128)): $out"
	[ $_rc -eq 0 ] || fail "daxfs-hugeprobe $*: $out"
	echo "$* -> $out"
}

# pte_kb: the pte_kb= word of $out
pte_kb() {
	echo "$out" | tr ' ' '\n' | sed -n 's/^pte_kb=//p'
}

# expect_ptes WHAT PMDS: $out's page-table growth fits WHAT (huge: at most one page per
# PMD-mapped run and the tail's table; small: at least 4 KiB per 2 MiB of PMDS)
expect_ptes() {
	_kb=$(pte_kb)
	[ -n "$_kb" ] || fail "no pte_kb in '$out'"
	case $1 in
	huge) [ "$_kb" -le 12 ] || fail "$2 PMDs of 2 MiB took $_kb kB of page tables: not mapped huge" ;;
	small) [ "$_kb" -ge $((4 * $2)) ] || fail "$2 x 2 MiB mapped with 4 KiB pages took only $_kb kB of page tables" ;;
	esac
}

step "main: shared and private mappings of large files"
mount_daxfs /mnt/m
kind=small
[ $huge = 0 ] || kind=huge
probe map shared /mnt/m/big
expect_ptes $kind 4
probe map shared /mnt/m/d/mid
probe map shared /mnt/m/two
probe map private /mnt/m/big
expect_ptes small 4
probe map shared /mnt/m/big $((MIB + 4096))
expect_ptes $kind 3
for i in 1 6; do probe map shared /mnt/m/small$i; done

step "main: calls that pin pages of a mapped large file"
probe gup /mnt/m/big
umount_daxfs /mnt/m

step "a branch: a store into a page mapped 2 MiB at a time"
mount_daxfs /mnt/b branch=b,parent=main
cp /mnt/b/big /tmp/big.want
probe store /mnt/b/big $((2 * MIB + 12345))
expect_ptes $kind 4
cmp -l /tmp/big.want /mnt/b/big >/tmp/cmp.out
[ "$(wc -l </tmp/cmp.out)" -eq 1 ] || fail "the store changed $(wc -l </tmp/cmp.out) bytes, not 1"
[ "$(awk '{ print $1 }' /tmp/cmp.out)" -eq $((2 * MIB + 12345 + 1)) ] ||
	fail "the changed byte is not the stored one: $(cat /tmp/cmp.out)"
# A page next to the stored one still maps right after the split.
probe map shared /mnt/b/big
cp /mnt/b/big /tmp/big.new
expect_ok daxfs-branch commit -m /mnt/b
umount_daxfs /mnt/b

step "main after commit"
mount_daxfs /mnt/m
cmp /tmp/big.new /mnt/m/big || fail "main differs from the committed branch"
probe map shared /mnt/m/big
probe map private /mnt/m/big
umount_daxfs /mnt/m
check_region

check_dmesg
pass
