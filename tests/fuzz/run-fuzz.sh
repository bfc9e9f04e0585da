#!/bin/sh
# run-fuzz.sh FUZZER CORPUS SECONDS [MAXLEN]: fuzz for a bounded time from a copy of the committed
# seed corpus (so new inputs do not land in the source tree). Exit status is the fuzzer's:
# 0 when nothing crashed, leaked, hung or read out of bounds. MAXLEN (default 65536) bounds
# the inputs' size; it must cover the largest seed.
set -eu
fuzzer=$1 corpus=$2 seconds=${3:-60} maxlen=${4:-65536}
work=$(mktemp -d "${TMPDIR:-/tmp}/daxfs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
rc=0
"$fuzzer" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" || rc=$?
if [ "$rc" -ne 0 ]; then
	keep=$(mktemp -d "${TMPDIR:-/tmp}/daxfs-fuzz-crash.XXXXXX")
	cp "$work/artifacts/"* "$keep/" 2>/dev/null || true
	echo "run-fuzz: fuzzer failed ($rc); reproducers kept in $keep" >&2
fi
exit "$rc"
