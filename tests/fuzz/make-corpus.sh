#!/bin/sh
# make-corpus.sh MKDAXFS [OUTDIR]: (re)generate the seed corpus, a few small images of
# small trees covering every entry type. Reproducible (SOURCE_DATE_EPOCH, fixed modes), so
# running it again gives the same files. Owners are those of the caller.
set -eu
mkdaxfs=$1 out=${2:-$(dirname "$0")/corpus}
work=$(mktemp -d "${TMPDIR:-/tmp}/daxfs-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$out"

mkdir "$work/empty"
mkdir -p "$work/small/dir/sub"
printf 'hello\n' >"$work/small/file"
ln "$work/small/file" "$work/small/dir/hardlink"
ln -s ../file "$work/small/dir/symlink"
mkfifo "$work/small/fifo"
: >"$work/small/dir/sub/empty"
mkdir -p "$work/names"
for n in a b ab ba zz 'with space' "$(printf 'x%.0s' $(seq 1 100))"; do
	: >"$work/names/$n"
done
printf 'ab' >"$work/names/ab"
ln -s "$(printf 'y%.0s' $(seq 1 300))" "$work/names/longlink"
mkdir -p "$work/deep/1/2/3/4/5/6/7/8"
printf 'deep' >"$work/deep/1/2/3/4/5/6/7/8/leaf"
chmod 4755 "$work/deep/1/2/3/4/5/6/7/8/leaf"

for t in empty small names deep; do
	find "$work/$t" ! -type l -exec chmod go-w {} +
	find "$work/$t" -exec touch -h -d @1700000000 {} +
	"$mkdaxfs" -q -d "$work/$t" -o "$out/$t.daxfs"
done
