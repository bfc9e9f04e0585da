# Scenario: every file operation of a writable branch, checked one by one:
#   - create, write, read, append, O_TRUNC; mkdir, rmdir (ENOTEMPTY), link counts;
#   - symlink (short and 4000-byte targets), mknod (char, block, FIFO, socket);
#   - hard links of base files and of branch files; unlink of one link keeps the other;
#   - rename: in a directory, across directories, over a file, over an empty directory,
#     over a non-empty directory (ENOTEMPTY), into its own subdirectory (EINVAL),
#     RENAME_NOREPLACE (EEXIST), RENAME_EXCHANGE (files and directories), RENAME_WHITEOUT
#     (EINVAL);
#   - chmod, chown, utimensat with nanoseconds; uid/gid/mode enforced for another user;
#   - truncate down (base and branch files, partial last page zeroed), up (zeros), holes,
#     data written past EOF; a file unlinked while open keeps its data;
#   - reads after many overwrites return the newest bytes (whole-file and random reads);
#   - MAP_SHARED writes (base page copied on the first write fault, hole, new file) are
#     seen by read(), and read()'s writes by a later mapping; read() into and write() from
#     a shared writable mapping of the same file (faults into the file being copied);
#   - readdir of a base directory while entries are added and removed sees every original
#     entry exactly once;
#   - main stays the base; after commit a fresh main mount (log replay) shows exactly what
#     the branch showed; a branch over the committed main, replayed again, too; a main
#     mounted before a commit follows it through its cached names (replaced file, file
#     become directory, rename, a name that was negative, size, mode, readdir), and a
#     process's mappings of a file the commit changed: its private copy of a page stays,
#     its shared mapping shows the new bytes;
#   - attaching to a branch again replays its own log: its pages are rewritten in place
#     (no new pages), deleting a file frees its pages, a third mount shows the same;
#   - replay of a log holding a record that does not fit the view (unknown parent, name
#     exists, missing name, non-empty directory removed, rename cycle, write to a
#     directory...) fails the mount with EUCLEAN and no oops; a valid appended record
#     applies;
#   - fallocate (mode 0 and KEEP_SIZE; hole punching is EOPNOTSUPP) and mtime/ctime moved
#     by stores through a shared mapping;
#   - a small delta region: a write stops with a short count / ENOSPC, the file reads
#     consistently, deleting a file lets writing continue;
#   - a symlink record followed by its unlink replays even when the target's page holds
#     something else by then (targets are read when the inode is made, not at replay).
# vm-run-args: --memmap 64M
. "$(dirname "$0")/lib.sh"
need_phys

for tool in mkdaxfs daxfs-branch daxfs-manifest daxfs-opsprobe daxfs-inspect; do
	command -v $tool >/dev/null || fail "$tool is not on PATH"
done
P=daxfs-opsprobe
B=/mnt/b

# errno_of CMD...: the error text a busybox command prints (empty on success)
errno_of() {
	"$@" 2>&1 >/dev/null | tr '\n' ' '
}

# want_err TEXT CMD...: CMD fails and its message contains TEXT
want_err() {
	_t=$1
	shift
	_kmsg "+ (must fail: $_t) $*"
	_out=$("$@" 2>&1)
	_rc=$?
	! _signalled $_rc || fail "CRASH: '$*' killed by signal $((_rc - 128))"
	[ $_rc -ne 0 ] || fail "'$*' succeeded, expected '$_t'"
	case $_out in
	*"$_t"*) ;;
	*) fail "'$*' failed with '$_out', expected '$_t'" ;;
	esac
}

# is VALUE WANT WHAT
is() {
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

# probe ARGS...: daxfs-opsprobe ARGS must print a line starting with ok
probe() {
	_kmsg "+ $P $*"
	_out=$($P "$@")
	_rc=$?
	! _signalled $_rc || fail "CRASH: $P $* killed by signal $((_rc - 128))"
	echo "    $P $*: $_out"
	case $_out in
	ok*) ;;
	*) fail "$P $*: $_out" ;;
	esac
}

step "base tree and a branch image"
mkdir -p /tmp/base/dir/sub /tmp/base/edir /tmp/base/many /tmp/base/full
echo "base file" >/tmp/base/file
head -c 300000 /dev/urandom >/tmp/base/big
head -c 40000 /dev/urandom >/tmp/base/mapme
head -c 40000 /dev/urandom >/tmp/base/ow2
head -c 9000 /dev/urandom >/tmp/base/mtimes
head -c 100000 /dev/urandom >/tmp/base/falloc
cp /tmp/base/big /tmp/base/tbase
echo a >/tmp/base/dir/a
echo b >/tmp/base/dir/b
echo s >/tmp/base/dir/sub/s
echo full >/tmp/base/full/x
echo hl >/tmp/base/hl1
ln /tmp/base/hl1 /tmp/base/hl2
ln -s file /tmp/base/link
i=0
while [ $i -lt 200 ]; do
	: >/tmp/base/many/f$i
	i=$((i + 1))
done
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
expect_ok daxfs-manifest /tmp/base >/tmp/base.manifest
mount_daxfs $B branch=b,parent=main

step "create, write, read, append, O_TRUNC"
echo hello >$B/new || fail "create"
is "$(cat $B/new)" hello "new file"
echo more >>$B/new
is "$(cat $B/new)" "$(printf 'hello\nmore')" "append"
echo appended >>$B/file
is "$(cat $B/file)" "$(printf 'base file\nappended')" "append to a base file"
echo x >$B/big
is "$(stat -c %s $B/big)" 2 "O_TRUNC of a base file"
is "$(cat $B/big)" x "O_TRUNC content"
expect_ok cp /tmp/base/big $B/big
probe same $B/big /tmp/base/big

step "mkdir, rmdir, ENOTEMPTY, directory link counts"
is "$(stat -c %h $B)" 6 "root nlink before"
mkdir $B/d1 || fail mkdir
is "$(stat -c %h $B)" 7 "root nlink after mkdir"
is "$(stat -c %h $B/d1)" 2 "new dir nlink"
echo f >$B/d1/f
want_err "not empty" rmdir $B/d1
want_err "not empty" rmdir $B/full
rm $B/d1/f
expect_ok rmdir $B/d1
expect_ok rmdir $B/edir
is "$(stat -c %h $B)" 5 "root nlink after two rmdirs"
[ ! -e $B/d1 ] && [ ! -e $B/edir ] || fail "rmdir left a name"
mkdir -p $B/d2/x/y/z || fail "mkdir -p"
echo deep >$B/d2/x/y/z/f
is "$(cat $B/d2/x/y/z/f)" deep "deep file"

step "symlinks"
ln -s file $B/sl || fail symlink
is "$(readlink $B/sl)" file "readlink"
is "$(cat $B/sl)" "$(cat $B/file)" "read through a symlink"
long=$(head -c 4000 /dev/zero | tr '\0' 'q')
ln -s "$long" $B/longlink || fail "4000-byte symlink"
is "$(readlink $B/longlink)" "$long" "long symlink target"
is "$(readlink $B/link)" file "base symlink"

step "mknod: char, block, FIFO, socket"
expect_ok mknod $B/chr c 1 3
expect_ok mknod $B/blk b 7 0
expect_ok mkfifo $B/fifo
probe mksock $B/sock
is "$(stat -c '%F %t %T' $B/chr)" "character special file 1 3" "char device"
is "$(stat -c '%F %t %T' $B/blk)" "block special file 7 0" "block device"
is "$(stat -c %F $B/fifo)" "fifo" "FIFO"
is "$(stat -c %F $B/sock)" "socket" "socket"
echo through-null >$B/chr || fail "write to a char device node"

step "hard links (base and branch files)"
ln $B/new $B/new.l || fail "link a branch file"
is "$(stat -c %h $B/new)" 2 "nlink of a linked branch file"
is "$(stat -c %i $B/new)" "$(stat -c %i $B/new.l)" "same inode"
ln $B/file $B/dir/file.l || fail "link a base file"
is "$(stat -c %h $B/file)" 2 "nlink of a linked base file"
is "$(stat -c %h $B/hl1)" 2 "base hard link count"
rm $B/hl1
is "$(stat -c %h $B/hl2)" 1 "base hard link count after unlink"
is "$(cat $B/hl2)" hl "the other link still reads"
echo changed >>$B/new.l
is "$(cat $B/new)" "$(printf 'hello\nmore\nchanged')" "write through one link, read through the other"
rm $B/new
is "$(stat -c %h $B/new.l)" 1 "nlink after unlinking one name"
want_err "" ln $B/dir $B/dirlink

step "rename"
expect_ok mv $B/new.l $B/renamed
is "$(cat $B/renamed)" "$(printf 'hello\nmore\nchanged')" "renamed file"
expect_ok mv $B/renamed $B/dir/sub/moved
is "$(cat $B/dir/sub/moved)" "$(printf 'hello\nmore\nchanged')" "moved across dirs"
expect_ok mv $B/dir/a $B/dir/b
is "$(cat $B/dir/b)" a "rename over a file"
[ ! -e $B/dir/a ] || fail "old name still there"
mkdir $B/e1 $B/e2
echo in-e1 >$B/e1/f
is "$($P rename2 $B/e1 $B/e2 none)" ok "rename over an empty directory"
is "$(cat $B/e2/f)" in-e1 "moved directory content"
mkdir $B/e3
is "$($P rename2 $B/e3 $B/e2 none)" ENOTEMPTY "rename over a non-empty directory"
is "$($P rename2 $B/e2 $B/e2/sub none)" EINVAL "rename into its own subdirectory"
is "$($P rename2 $B/file $B/big noreplace)" EEXIST "RENAME_NOREPLACE"
is "$($P rename2 $B/file $B/nosuch noreplace)" ok "RENAME_NOREPLACE to a new name"
is "$($P rename2 $B/nosuch $B/big exchange)" ok "RENAME_EXCHANGE of files"
probe same $B/nosuch /tmp/base/big
is "$(head -n 1 $B/big)" "base file" "exchanged file"
is "$($P rename2 $B/e3 $B/dir exchange)" ok "RENAME_EXCHANGE of directories"
is "$(cat $B/e3/b)" a "exchanged directory content"
[ -d $B/dir ] && [ -z "$(ls $B/dir)" ] || fail "exchanged empty directory"
is "$($P rename2 $B/e3 $B/dir exchange)" ok "exchange back"
is "$($P rename2 $B/big $B/wh whiteout)" EINVAL "RENAME_WHITEOUT"
expect_ok mv $B/big $B/file
expect_ok mv $B/nosuch $B/big
is "$(head -n 1 $B/file)" "base file" "names back"
probe same $B/big /tmp/base/big
expect_ok mv $B/many $B/d2/x/many
expect_ok mv $B/d2/x/many $B/many
is "$(ls $B/many | wc -l)" 200 "a renamed base directory"

step "chmod, chown, utimensat"
expect_ok chmod 640 $B/dir/b
is "$(stat -c %a $B/dir/b)" 640 "chmod"
expect_ok chown 1000:2000 $B/dir/b
is "$(stat -c '%u %g' $B/dir/b)" "1000 2000" "chown"
probe utimens $B/dir/b 1234567890 123456789
probe utimens $B/dir 1500000000 999999999
expect_ok chmod 4755 $B/big
is "$(stat -c %a $B/big)" 4755 "setuid bit"

step "permissions enforced for another user"
# The guest's / may be 0700: let the other user reach the mount at all.
chmod 755 / /mnt
is "$($P as 1000 1000 read $B/file)" ok "read of a 0644 base file by another user"
echo secret >$B/secret
chmod 600 $B/secret
is "$($P as 1000 1000 read $B/secret)" EACCES "read of a 0600 root file"
is "$($P as 1000 1000 create $B/dir/sub/denied)" EACCES "create in a 0755 root directory"
is "$($P as 1000 1000 chmod $B/secret 777)" EPERM "chmod by another user"
is "$($P as 1000 1000 append $B/file)" EACCES "append to a 0644 root file"
mkdir $B/open
chmod 777 $B/open
is "$($P as 1000 1000 create $B/open/mine)" ok "create in a 0777 directory"
is "$(stat -c '%u %g %a' $B/open/mine)" "1000 1000 644" "owner of a file created by a user"
is "$($P as 1000 1000 chmod $B/open/mine 4711)" ok "chmod by the owner"
is "$(stat -c %a $B/open/mine)" 4711 "mode set by the owner"
mkdir $B/sgid
chown 0:3000 $B/sgid
chmod 2777 $B/sgid
is "$($P as 1000 1000 mkdir $B/sgid/sub)" ok "mkdir in a setgid directory"
is "$(stat -c '%g %a' $B/sgid/sub)" "3000 2755" "setgid directory inheritance"
is "$($P as 1000 1000 append $B/open/mine)" ok "append by the owner"
chmod 755 $B/open
is "$($P as 1000 1000 unlink $B/open/mine)" EACCES "unlink in a 0755 directory"
chmod 1777 $B/open
is "$($P as 1001 1001 unlink $B/open/mine)" EPERM "unlink of another's file in a sticky directory"
is "$($P as 1000 1000 unlink $B/open/mine)" ok "unlink of one's own file in a sticky directory"

step "truncate down and up, holes, data past EOF"
probe truncate $B/big 5000
head -c 5000 /tmp/base/big >/tmp/ref
probe same $B/big /tmp/ref
probe truncate $B/big 100000
head -c 95000 /dev/zero >>/tmp/ref
probe same $B/big /tmp/ref
probe truncate $B/tbase 5000
head -c 5000 /tmp/base/big >/tmp/ref
probe same $B/tbase /tmp/ref
probe truncate $B/tbase 100000
head -c 95000 /dev/zero >>/tmp/ref
probe same $B/tbase /tmp/ref
probe mmap-read $B/tbase /tmp/ref
probe truncate $B/big 0
probe truncate $B/big 12345
head -c 12345 /dev/zero >/tmp/ref
probe same $B/big /tmp/ref
probe sparse $B/sparse
printf 'abc' >$B/past
dd if=/tmp/base/file of=$B/past bs=1 seek=10000 conv=notrunc 2>/dev/null
{ printf 'abc'; head -c 9997 /dev/zero; cat /tmp/base/file; } >/tmp/ref
probe same $B/past /tmp/ref
probe truncate $B/past 3
probe truncate $B/past 9000
{ printf 'abc'; head -c 8997 /dev/zero; } >/tmp/ref
probe same $B/past /tmp/ref
probe unlinked $B

step "reads after many overwrites"
cp /tmp/base/big $B/ow || fail "copy"
probe overwrites $B/ow 3000 7
probe overwrites $B/ow2 500 11

step "MAP_SHARED writes"
probe mmap-write $B/dir/sub/s 0 2 0x41
is "$(cat $B/dir/sub/s)" AA "mapped write to a base file"
cp /tmp/base/mapme /tmp/ref
probe mmap-write $B/mapme 5000 9000 0x5a
dd if=/dev/zero bs=9000 count=1 2>/dev/null | tr '\0' 'Z' |
	dd of=/tmp/ref bs=1 seek=5000 conv=notrunc 2>/dev/null
probe same $B/mapme /tmp/ref
probe mmap-read $B/mapme /tmp/ref
expect_ok touch $B/hole
probe truncate $B/hole 50000
probe mmap-write $B/hole 20000 10 0x31
probe mmap-write $B/hole 20005 10 0x32
echo tail >>$B/hole
probe mmap-read $B/hole $B/hole
probe selfcopy $B/selfcopy

step "stores through a shared mapping move mtime and ctime"
probe mmap-mtime $B/mtimes

step "fallocate: allocate and grow, keep size, no hole punching"
expect_ok touch $B/fa
probe fallocate $B/fa 0 0 1048576
is "$(stat -c %s $B/fa)" 1048576 "size after fallocate of 1 MiB"
head -c 1048576 /dev/zero | cmp - $B/fa || fail "fallocated bytes do not read as zeros"
probe fallocate $B/fa keep 0 4194304
is "$(stat -c %s $B/fa)" 1048576 "size after fallocate with KEEP_SIZE"
probe fallocate $B/falloc keep 4096 50000
cmp /tmp/base/falloc $B/falloc || fail "fallocate over base data changed it"
probe fallocate $B/falloc 0 90000 30000
is "$(stat -c %s $B/falloc)" 120000 "size after fallocate past EOF"
head -c 20000 /dev/zero | cat /tmp/base/falloc - | cmp - $B/falloc ||
	fail "fallocate past EOF: the old bytes or the new zeros are wrong"
is "$($P fallocate $B/fa punch 0 4096)" EOPNOTSUPP "punching a hole"

step "readdir while the directory changes"
probe readdir-mutate $B/many 200
is "$(ls $B/many | grep -c '^f')" 200 "base entries left"

step "main still shows the base"
mount_daxfs /mnt/main
expect_ok daxfs-manifest /mnt/main >/tmp/m-main
same_manifest /tmp/base.manifest /tmp/m-main
umount_daxfs /mnt/main

step "commit; a fresh main mount replays the log to the same tree"
rm -f $B/sock
expect_ok daxfs-manifest --all $B >/tmp/m-branch
expect_ok daxfs-branch commit -m $B
mount_daxfs /mnt/main
expect_ok daxfs-manifest --all /mnt/main >/tmp/m-main
same_manifest /tmp/m-branch /tmp/m-main
umount_daxfs /mnt/main
umount_daxfs $B
check_region

step "a branch over the committed main, replayed again"
mount_daxfs /mnt/c branch=c,parent=main
expect_ok daxfs-manifest --all /mnt/c >/tmp/m-c
same_manifest /tmp/m-branch /tmp/m-c
echo c-change >>/mnt/c/file
rm /mnt/c/dir/b
mv /mnt/c/longlink /mnt/c/dir/longlink
mkdir /mnt/c/c-dir
expect_ok daxfs-manifest --all /mnt/c >/tmp/m-c
mount_daxfs /mnt/d branch=d,parent=c
expect_ok daxfs-manifest --all /mnt/d >/tmp/m-d
same_manifest /tmp/m-c /tmp/m-d
umount_daxfs /mnt/d
umount_daxfs /mnt/c

step "replay refuses log records that do not fit the view, without an oops"
clear_region
expect_ok mkdaxfs -q -b -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
n=0
# hostile WANT KIND INO PARENT NAME [NEWPARENT NEWNAME]: append the record to the log of a
# branch kept alive (unmounted) by a mounted child; a new branch over it must mount when
# WANT is ok, else fail with EUCLEAN
hostile() {
	_want=$1
	shift
	n=$((n + 1))
	mount_daxfs /mnt/h1 "branch=h$n,parent=main"
	echo x >/mnt/h1/xfile || fail "write in h$n"
	mount_daxfs /mnt/h2 "branch=h${n}c,parent=h$n"
	umount_daxfs /mnt/h1
	probe logrec "$DAXFS_PHYS" "$DAXFS_PHYS_SIZE" "h$n" "$@"
	if [ "$_want" = ok ]; then
		mount_daxfs /mnt/h3 "branch=h${n}z,parent=h$n"
		[ -f /mnt/h3/hostile-ok ] || fail "the valid record did not apply"
		umount_daxfs /mnt/h3
	else
		mount_daxfs_fails /mnt/h3 "branch=h${n}z,parent=h$n" "Structure needs cleaning"
	fi
	umount_daxfs /mnt/h2
}
mount_daxfs /mnt/main
fi_ino=$(stat -c %i /mnt/main/file)
di_ino=$(stat -c %i /mnt/main/dir)
su_ino=$(stat -c %i /mnt/main/dir/sub)
umount_daxfs /mnt/main
hostile ok create 100000 1 hostile-ok
hostile bad unlink "$fi_ino" 1 nosuch
hostile bad unlink "$di_ino" 1 file
hostile bad unlink "$di_ino" 1 dir
hostile bad create 100001 1 file
hostile bad create 2 1 newname
hostile bad create 100002 999999 orphan
hostile bad mkdir 100003 "$fi_ino" under-a-file
hostile bad rename "$di_ino" 1 dir "$su_ino" inside
hostile bad exchange "$fi_ino" 1 file 1 nosuch
hostile bad link "$di_ino" 1 dirlink
hostile bad write 1 5000 4096
hostile bad truncate "$di_ino" 0 0
hostile bad setattr 888888 0 x
check_dmesg
check_region

step "attach to a branch again: its own log replays; owned pages are rewritten in place, freed on delete"
# free_of MNT: free delta pages as DAXFS_IOC_INFO shows them
free_of() {
	daxfs-branch info -m "$1" --json | sed 's/.*"free_pages": *\([0-9]*\).*/\1/'
}
mount_daxfs /mnt/x branch=x,parent=main
head -c 100000 /dev/urandom >/mnt/x/f1 || fail "write f1"
cp /tmp/base/big /mnt/x/f2 || fail "write f2"
echo keep >/mnt/x/f3
mount_daxfs /mnt/y branch=y,parent=x
umount_daxfs /mnt/x
mount_daxfs /mnt/x branch=x
probe same /mnt/x/f2 /tmp/base/big
is "$(cat /mnt/x/f3)" keep "f3 after the replay"
free0=$(free_of /mnt/x)
i=0
while [ $i -lt 20 ]; do
	dd if=/dev/urandom of=/mnt/x/f1 bs=4096 count=24 conv=notrunc 2>/dev/null ||
		fail "rewrite f1"
	i=$((i + 1))
done
free1=$(free_of /mnt/x)
[ $((free0 - free1)) -le 2 ] || fail "rewrites of owned pages took $((free0 - free1)) pages"
is "$(stat -c %s /mnt/x/f1)" 100000 "size after rewrites"
probe overwrites /mnt/x/f1 300 3
free1=$(free_of /mnt/x)
cp /mnt/x/f1 /tmp/f1.ref
rm /mnt/x/f2 || fail "rm f2"
free2=$(free_of /mnt/x)
[ $((free2 - free1)) -ge 70 ] || fail "deleting 300000 bytes freed $((free2 - free1)) pages"
umount_daxfs /mnt/x
mount_daxfs /mnt/x branch=x
probe same /mnt/x/f1 /tmp/f1.ref
[ ! -e /mnt/x/f2 ] || fail "f2 is back"
umount_daxfs /mnt/x
umount_daxfs /mnt/y
check_region

step "a mounted main's cached names and attributes follow a commit"
mount_daxfs /mnt/m
is "$(cat /mnt/m/file)" "base file" "main before"
old_ino=$(stat -c %i /mnt/m/file)
is "$(cat /mnt/m/dir/a)" a "main dir/a before"
is "$(cat /mnt/m/dir/b)" b "main dir/b before"
[ ! -e /mnt/m/newname ] || fail "newname exists before"
is "$(stat -c %s /mnt/m/big)" 300000 "size before"
ls -l /mnt/m/dir >/dev/null
rm -f /tmp/go-maps
daxfs-bprobe commit-maps /mnt/m/mapme /tmp/go-maps >/tmp/maps.out 2>&1 &
maps_pid=$!
i=0
until grep -q ready /tmp/maps.out; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "commit-maps did not get ready: $(cat /tmp/maps.out)"
	sleep 0.1
done
mount_daxfs /mnt/r branch=r,parent=main
printf XYZ | dd of=/mnt/r/mapme bs=1 seek=100 conv=notrunc 2>/dev/null || fail "write mapme"
rm /mnt/r/file && echo "new file" >/mnt/r/file || fail "replace file"
rm /mnt/r/dir/a && mkdir /mnt/r/dir/a || fail "file to directory"
mv /mnt/r/dir/b /mnt/r/dir/c || fail "rename"
echo created >/mnt/r/newname || fail "create"
echo grown >>/mnt/r/big || fail "append"
chmod 600 /mnt/r/hl2 || fail "chmod"
expect_ok daxfs-branch commit -m /mnt/r
is "$(cat /mnt/m/file)" "new file" "main after: replaced file"
[ "$(stat -c %i /mnt/m/file)" != "$old_ino" ] || fail "main still shows the old inode"
[ -d /mnt/m/dir/a ] || fail "main after: dir/a is not a directory"
[ ! -e /mnt/m/dir/b ] || fail "main after: dir/b still there"
is "$(cat /mnt/m/dir/c)" b "main after: renamed"
is "$(cat /mnt/m/newname)" created "main after: a name that was negative"
is "$(stat -c %s /mnt/m/big)" 300006 "main after: size"
is "$(stat -c %a /mnt/m/hl2)" 600 "main after: mode"
is "$(ls /mnt/m/dir | tr '\n' ' ')" "a c sub " "main after: readdir"
touch /tmp/go-maps
wait $maps_pid
maps_rc=$?
cat /tmp/maps.out
[ $maps_rc -eq 0 ] || fail "a main mapping after the commit (private copy or shared view) is wrong"
umount_daxfs /mnt/r
umount_daxfs /mnt/m

step "ENOSPC in a small delta region, then delete and continue"
clear_region
expect_ok mkdaxfs -q -b 1M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/e branch=e,parent=main
head -c 4000000 /dev/urandom >/tmp/rand
err=$(errno_of dd if=/tmp/rand of=/mnt/e/fill bs=64k)
case $err in *"No space"*) ;; *) fail "filling 1M with 4M: '$err', not ENOSPC" ;; esac
size=$(stat -c %s /mnt/e/fill)
[ "$size" -gt 0 ] && [ "$size" -lt 1048576 ] || fail "size after ENOSPC: $size"
head -c "$size" /tmp/rand >/tmp/ref
probe same /mnt/e/fill /tmp/ref
want_err "No space" sh -c "cat /tmp/base/big >/mnt/e/more"
is "$(cat /mnt/e/file)" "base file" "base still reads"
rm /mnt/e/fill /mnt/e/more || fail "delete after ENOSPC"
head -c 200000 /tmp/rand >/mnt/e/again || fail "write after deleting"
head -c 200000 /tmp/rand >/tmp/ref
probe same /mnt/e/again /tmp/ref
mkdir /mnt/e/dir-after || fail "mkdir after ENOSPC"
umount_daxfs /mnt/e
check_region

step "a symlink unlinked later in its log replays, whatever its old page holds now"
clear_region
expect_ok mkdaxfs -q -b 1M -d /tmp/base -p "$DAXFS_PHYS" -s "$DAXFS_PHYS_SIZE"
mount_daxfs /mnt/s1 branch=s1,parent=main
echo x >/mnt/s1/xfile || fail "write in s1"
mount_daxfs /mnt/s2 branch=s1c,parent=s1
umount_daxfs /mnt/s1
# The target page (the region's last, all zeros) no longer holds the target: the symlink
# was unlinked and its page reused, as far as the replay can tell.
last=255 # mkdaxfs -b 1M: delta pages 0..255
probe logrec "$DAXFS_PHYS" "$DAXFS_PHYS_SIZE" s1 symlink 100000 1 gone "$last" 5
probe logrec "$DAXFS_PHYS" "$DAXFS_PHYS_SIZE" s1 unlink 100000 1 gone
mount_daxfs /mnt/s3 branch=s1z,parent=s1
[ ! -e /mnt/s3/gone ] && [ ! -L /mnt/s3/gone ] || fail "the unlinked symlink is there"
is "$(cat /mnt/s3/xfile)" x "s1's file after the replay"
umount_daxfs /mnt/s3
umount_daxfs /mnt/s2
check_region

check_dmesg
pass
