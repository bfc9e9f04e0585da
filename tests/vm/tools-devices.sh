# The tools on real DAX devices: a QEMU NVDIMM switched with ndctl between fsdax
# (/dev/pmem0, a block device) and devdax (/dev/dax0.0, a character device that is only
# mapped). mkdaxfs writes each, fsck.daxfs and daxfs-inspect read each, `daxfs-inspect
# devices --json` agrees with `ndctl list` and `daxctl list`, the kernel mounts /dev/pmem0,
# mount.daxfs mounts the devdax device by name (dax=, its range from libdaxctl) and
# daxfs-branch create makes a branch of that mount, and bad input (a device in use, a device too small, no such device)
# gives one clear line and leaves the image there intact.
# vm-run-args: --pmem build/vm/share/tools-devices/nvdimm-%k.pmem:256M --pmem-labels --tools
. "$(dirname "$0")/lib.sh"

for t in ndctl daxctl jq mkdaxfs mount.daxfs; do
	command -v $t >/dev/null || fail "$t is missing (scripts/vm-run --tools carries ndctl, daxctl, jq)"
done

# must_say TEXT CMD...: CMD fails (not by a signal) with exactly one stderr line holding TEXT.
must_say() {
	_want=$1
	shift
	_kmsg "+ (must fail) $*"
	"$@" >/tmp/out 2>/tmp/err
	_rc=$?
	! _signalled $_rc || fail "CRASH: '$*' killed by signal $((_rc - 128))"
	[ $_rc -ne 0 ] || fail "'$*' succeeded, expected failure"
	[ "$(wc -l </tmp/err)" -eq 1 ] || { cat /tmp/err; fail "'$*': not one line on stderr"; }
	grep -qF -- "$_want" /tmp/err || { cat /tmp/err; fail "'$*': no '$_want' in the message"; }
	echo "  refused: $(cat /tmp/err)"
}
# dev_json NAME: the object of device NAME in `daxfs-inspect devices --json`.
dev_json() { daxfs-inspect devices --json | jq -e ".devices[] | select(.name == \"$1\")"; }

mkdir -p /tmp/tree/etc /tmp/tree/data /mnt/d /mnt/e
echo "daxfs on a DAX device" >/tmp/tree/etc/motd
dd if=/dev/urandom of=/tmp/tree/data/blob bs=1k count=3000 2>/dev/null
ln -s ../etc/motd /tmp/tree/data/link

step "an fsdax namespace over the whole NVDIMM"
ndctl disable-region all >/dev/null 2>&1
expect_ok ndctl init-labels -f all >/dev/null 2>&1
expect_ok ndctl enable-region all >/dev/null 2>&1
expect_ok ndctl create-namespace -r region0 -m fsdax -M mem >/tmp/ns.json
pmem=/dev/$(jq -r .blockdev /tmp/ns.json)
[ -b "$pmem" ] || fail "no block device for the fsdax namespace: $(cat /tmp/ns.json)"

step "mkdaxfs -o $pmem writes the block device and prints its mount line"
expect_ok mkdaxfs -d /tmp/tree -b -o "$pmem" >/tmp/mk.out 2>/tmp/mk.err
cat /tmp/mk.err /tmp/mk.out
grep -qxF "mount -t daxfs $pmem /mnt" /tmp/mk.out || fail "no mount line for $pmem"
expect_ok fsck.daxfs -v "$pmem"
expect_ok daxfs-inspect check "$pmem" >/dev/null
[ "$(daxfs-inspect cat "$pmem" /etc/motd)" = "daxfs on a DAX device" ] || fail "motd differs"
daxfs-inspect cat "$pmem" /data/blob | cmp -s - /tmp/tree/data/blob || fail "blob differs"
uuid=$(daxfs-inspect info --json "$pmem" | jq -r .uuid)
expect_ok daxfs-branch list --json "$pmem" >/tmp/list.json
[ "$(jq -r '.[0].name' /tmp/list.json)" = main ] || fail "no main branch listed"

step "daxfs-inspect devices --json agrees with ndctl list (fsdax)"
daxfs-inspect devices
ndctl list -N >/tmp/ndctl.json
dev_json "${pmem#/dev/}" >/tmp/dev.json || fail "$pmem not listed: $(daxfs-inspect devices --json)"
jq -e --slurpfile n /tmp/ndctl.json '
	($n[0] | if type == "array" then .[0] else . end) as $ns
	| .mode == "fsdax" and .mode == $ns.mode and .namespace == $ns.dev and .size == $ns.size
	  and .align == $ns.align and .region == "region0"' /tmp/dev.json >/dev/null ||
	{ cat /tmp/dev.json /tmp/ndctl.json; fail "devices --json and ndctl list disagree"; }
[ "$(jq -r .daxfs.uuid /tmp/dev.json)" = "$uuid" ] || fail "devices shows another uuid"
[ "$(jq -r .daxfs.branches /tmp/dev.json)" = true ] || fail "devices does not see the branches"

step "too small, and in use: $pmem refused, its image intact"
must_say "but the region holds" mkdaxfs -q -d /tmp/tree -b 1G -o "$pmem"
expect_ok fsck.daxfs "$pmem"
[ "$(daxfs-inspect info --json "$pmem" | jq -r .uuid)" = "$uuid" ] || fail "the image changed"
# Something holds the device: a daxfs mount of it (the kernel claims it exclusively).
expect_ok mount -t daxfs "$pmem" /mnt/e
[ "$(cat /mnt/e/etc/motd)" = "daxfs on a DAX device" ] || fail "motd differs in the mount"
dev_json "${pmem#/dev/}" | jq -e '.mounts[0].dir == "/mnt/e"' >/dev/null ||
	fail "devices does not show the mount"
must_say "is in use" mkdaxfs -q -d /tmp/tree -o "$pmem"
expect_ok umount /mnt/e

step "the namespace becomes devdax: ndctl create-namespace -f -e namespace0.0 -m devdax"
expect_ok ndctl create-namespace -f -e namespace0.0 -m devdax >/tmp/ns.json
dax=/dev/$(jq -r .daxregion.devices[0].chardev /tmp/ns.json)
[ -c "$dax" ] || fail "no character device: $(cat /tmp/ns.json)"

step "mkdaxfs -b -D $dax maps the device, writes the image and prints the mount line"
expect_ok mkdaxfs -d /tmp/tree -b -D "$dax" >/tmp/mk.out 2>/tmp/mk.err
cat /tmp/mk.err /tmp/mk.out
grep -qxF "mount -t daxfs -o dax=$dax none /mnt" /tmp/mk.out || fail "no dax= mount line"
expect_ok fsck.daxfs -v -D "$dax"
expect_ok fsck.daxfs "$dax"
expect_ok daxfs-inspect -D "$dax" check >/dev/null
[ "$(daxfs-inspect -D "$dax" cat /etc/motd)" = "daxfs on a DAX device" ] || fail "motd differs"
daxfs-inspect -D "$dax" cat /data/blob | cmp -s - /tmp/tree/data/blob || fail "blob differs"
uuid=$(daxfs-inspect -D "$dax" info --json | jq -r .uuid)
expect_ok daxfs-branch list -D "$dax" --json >/tmp/list.json
[ "$(jq -r '.[0].name' /tmp/list.json)" = main ] || fail "no main branch listed"

step "daxfs-inspect devices --json agrees with daxctl list and ndctl list (devdax)"
daxfs-inspect devices
daxctl list >/tmp/daxctl.json
ndctl list -N >/tmp/ndctl.json
dev_json "${dax#/dev/}" >/tmp/dev.json || fail "$dax not listed: $(daxfs-inspect devices --json)"
jq -e --slurpfile d /tmp/daxctl.json --slurpfile n /tmp/ndctl.json '
	($d[0] | if type == "array" then .[0] else . end) as $dd
	| ($n[0] | if type == "array" then .[0] else . end) as $ns
	| .mode == "devdax" and .mode == $dd.mode and .mode == $ns.mode
	  and .name == $dd.chardev and .size == $dd.size and .align == $dd.align
	  and .namespace == $ns.dev and .size == $ns.size' /tmp/dev.json >/dev/null ||
	{ cat /tmp/dev.json /tmp/daxctl.json /tmp/ndctl.json; fail "devices --json disagrees"; }
[ "$(jq -r .daxfs.uuid /tmp/dev.json)" = "$uuid" ] || fail "devices shows another uuid"
[ "$(jq -r .daxfs.branches /tmp/dev.json)" = true ] || fail "devices does not see the branches"
# The range comes from libdaxctl; /proc/iomem names the device's range too.
start=$(jq -r .start /tmp/dev.json)
size=$(jq -r .size /tmp/dev.json)
iomem=$(sed -n "s/^ *\([0-9a-f]*\)-[0-9a-f]* : ${dax#/dev/}\$/\1/p" /proc/iomem | head -n 1)
[ -n "$iomem" ] && [ "$((0x$iomem))" = "$start" ] ||
	fail "devices says start $start, /proc/iomem says 0x$iomem"

step "mount.daxfs adds the range of $dax"
expect_ok mount.daxfs -fv none /mnt/d -o "dax=$dax,validate" >/tmp/mh.out
cat /tmp/mh.out
want=$(printf 'validate,phys=0x%x,size=%s,dax=%s' "$start" "$size" "${dax#/dev/}")
grep -qF -- "-o $want none /mnt/d" /tmp/mh.out || fail "mount.daxfs built other options"
expect_ok mount.daxfs -fv "$dax" /mnt/d >/tmp/mh.out
grep -qF -- "-o $(printf 'phys=0x%x,size=%s,dax=%s' "$start" "$size" "${dax#/dev/}") $dax /mnt/d" \
	/tmp/mh.out || { cat /tmp/mh.out; fail "mount.daxfs SOURCE=$dax built other options"; }
must_say "no device-DAX device dax9.9" mount.daxfs none /mnt/d -o dax=/dev/dax9.9
must_say "does not name a device-DAX device" mount.daxfs none /mnt/d -o dax=/dev/pmem7

step "bad input on $dax: too small, no such device, a device in use"
must_say "but the region holds" mkdaxfs -q -d /tmp/tree -b 1G -D "$dax"
must_say "no device-DAX device dax9.9" mkdaxfs -q -d /tmp/tree -D /dev/dax9.9
must_say "not a device-DAX device" daxfs-inspect -D /dev/null check
must_say "not a device-DAX device" fsck.daxfs -D /dev/null
expect_ok fsck.daxfs -D "$dax"
[ "$(daxfs-inspect -D "$dax" info --json | jq -r .uuid)" = "$uuid" ] || fail "the image changed"
# Mounted through mount.daxfs, which finds the range with libdaxctl.
expect_ok mount.daxfs none /mnt/d -o "dax=$dax"
[ "$(cat /mnt/d/etc/motd)" = "daxfs on a DAX device" ] || fail "motd differs in the mount"
dev_json "${dax#/dev/}" | jq -e '.mounts[0].dir == "/mnt/d"' >/dev/null ||
	fail "devices does not show the mount"
must_say "is in use" mkdaxfs -q -d /tmp/tree -D "$dax"
mkdir -p /mnt/b
expect_ok daxfs-branch create work -m /mnt/b
grep " /mnt/b daxfs " /proc/mounts | grep -q "dax=${dax#/dev/}" ||
	fail "the branch mount carries no dax=: $(grep /mnt/b /proc/mounts)"
echo changed >/mnt/b/etc/motd || fail "cannot write in the branch"
expect_ok daxfs-branch diff -D "$dax" work >/dev/null
expect_ok umount /mnt/b
expect_ok umount /mnt/d
expect_ok fsck.daxfs -D "$dax"

check_dmesg
pass
