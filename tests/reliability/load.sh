# SPDX-License-Identifier: BSD-2-Clause
# load.sh CHANNELS BYTES: CHANNELS libgntring channels open at once between
# two simulated domains (gntring_load, one process per side), each moving
# BYTES (N, NK, NM) from domain 1 to domain 0.  Every byte is checked by
# the reader and both sides' per-channel FNV-1a sums must be equal.  While
# it runs, `xensim status --json` is sampled for the peak grant, mapping,
# port and machine-frame use, and the two processes for their peak RSS.
# Runs in its own `xensim session --check-leaks`.
. "$(dirname "$0")/lib.sh"
skip_without_xensim

if [ "${LOAD_IN_SESSION:-}" != 1 ]; then
	# Linux's gntalloc lets one kernel share at most 1024 pages at once
	# (module parameter xen_gntalloc.limit), and the simulator enforces
	# it per domain (XENSIM_GNTALLOC_LIMIT, read by the daemon at start).
	# The server shares every ring of its channels: at most a control
	# page and two 64 KiB rings (gntring_load's default), 33 pages per
	# channel, so more than 31 channels at once need a higher limit, as
	# they would on Linux (modprobe xen_gntalloc limit=N).  Raise it to
	# what this run needs, unless the caller chose a limit.
	need=$(( $1 * 33 ))
	if [ -z "${XENSIM_GNTALLOC_LIMIT:-}" ] && [ "$need" -gt 1024 ]; then
		XENSIM_GNTALLOC_LIMIT=$need
		export XENSIM_GNTALLOC_LIMIT
	fi
	LOAD_IN_SESSION=1 exec "$XENSIM" session --check-leaks -- \
	    /bin/sh "$0" "$@"
fi
chans=$1
case $2 in
*[Kk]) bytes=$(( ${2%?} * 1024 )) ;;
*[Mm]) bytes=$(( ${2%?} * 1024 * 1024 )) ;;
*) bytes=$2 ;;
esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/load.XXXXXX")
trap 'kill $srv $cli 2>/dev/null; rm -rf "$WORK"' EXIT
srv= cli=

start=$(now_ms)
(dom_pid "$SERVER_DOM" "$WORK/server.pid" "$LOAD" -l -n "$chans" \
    -b "$bytes" "$CLIENT_DOM" data/load > "$WORK/server.out" \
    2> "$WORK/server.log"; echo $? > "$WORK/server.rc") &
srv=$!
(dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$LOAD" -n "$chans" -b "$bytes" \
    "$SERVER_DOM" data/load > "$WORK/client.out" 2> "$WORK/client.log"
    echo $? > "$WORK/client.rc") &
cli=$!
spid=$(read_pid "$WORK/server.pid")
cpid=$(read_pid "$WORK/client.pid")

# Peaks, sampled every 200 ms while either side runs.
pg=0 pm=0 ps=0 pp=0 pf=0 rs=0 rc=0
peak() {
	[ "${2:-0}" -gt "$1" ] 2>/dev/null && echo "$2" || echo "$1"
}
rss() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" \
	    2>/dev/null
}
while kill -0 "$srv" 2>/dev/null || kill -0 "$cli" 2>/dev/null; do
	json=$("$XENSIM" status --json | sed -n 's/.*"total":{\(.*\)}}.*/\1/p' |
	    tr ',' '\n')
	get() { printf '%s\n' "$json" | sed -n "s/^\"$1\":\\([0-9]*\\)\$/\\1/p"; }
	pg=$(peak "$pg" "$(get grants)")
	pm=$(peak "$pm" "$(get mapped_grants)")
	ps=$(peak "$ps" "$(get shared_pages)")
	pp=$(peak "$pp" "$(get ports)")
	pf=$(peak "$pf" "$(get machine_frames)")
	rs=$(peak "$rs" "$(rss "$spid")")
	rc=$(peak "$rc" "$(rss "$cpid")")
	# One side failed: the other would wait for it in vain.
	for f in server client; do
		if [ -s "$WORK/$f.rc" ] && [ "$(cat "$WORK/$f.rc")" -ne 0 ]; then
			kill "$spid" "$cpid" 2>/dev/null
		fi
	done
	sleep 0.2
done
wait
src=$(cat "$WORK/server.rc")
crc=$(cat "$WORK/client.rc")
ms=$(( $(now_ms) - start ))
cat "$WORK/server.log" "$WORK/client.log"
[ "$src" -eq 0 ] || fail "server exited $src"
[ "$crc" -eq 0 ] || fail "client exited $crc"
[ "$(wc -l < "$WORK/server.out")" -eq "$chans" ] || fail "server: not $chans channels"
cmp -s "$WORK/server.out" "$WORK/client.out" ||
    fail "checksums differ: $(diff "$WORK/server.out" "$WORK/client.out" | head -5)"
awk -v b="$bytes" '$2 != b { bad = 1 } END { exit bad }' "$WORK/client.out" ||
    fail "a channel moved the wrong number of bytes"
echo "load: $chans channels x $bytes bytes, all $chans checksums equal," \
    "$ms ms; peak: grants $pg, mapped grants $pm, shared pages $ps," \
    "ports $pp, machine frames $pf ($((pf * 4 / 1024)) MiB);" \
    "peak RSS server $((rs / 1024)) MiB, client $((rc / 1024)) MiB"
