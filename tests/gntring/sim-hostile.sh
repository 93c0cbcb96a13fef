#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Hostile-peer cases in a private simulator instance.
#   sim-hostile.sh XENSIM XFER HOSTILE corrupt SEED [COUNT]
#     libgntring server (domain 1) and client (domain 2) move data while
#     hostile_peer, also in domain 2, scribbles on their shared page.
#     Both ends must end in -EPROTO, a clean close or completion.
#   sim-hostile.sh XENSIM XFER HOSTILE evil CASE EXPECTED-ERROR
#     hostile_peer publishes a malformed channel as domain 1; the libgntring
#     client (domain 2) must refuse it with EXPECTED-ERROR (strerror text,
#     or "any" for any clean failure).
# Never a crash, a stall, a sanitizer report or a leaked grant or port.
set -u
xensim=$1 xfer=$2 hostile=$3 mode=$4 arg=$5 extra=${6:-3}
if [ -z "$xensim" ] || [ ! -x "$xensim" ]; then
	echo "no simulator (xensim) in this build" >&2
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path=/local/domain/1/data/vchan/2/h$$
status=0

if [ "$mode" = corrupt ]; then
	inner='x=$1 f=$2 h=$3 p=$4 w=$5 seed=$6 n=$7
"$x" run --domid 1 -- "$f" server 2 "$p" -H -b 64M -l 0 -w 0 -c 4096 -t 60 \
	>"$w/server.out" 2>"$w/server.err" &
spid=$!
"$x" run --domid 2 -- "$h" corrupt 1 "$p" -s "$seed" -n "$n" -d 300 \
	>"$w/hostile.out" 2>"$w/hostile.err" &
hpid=$!
"$x" run --domid 2 -- "$f" client 1 "$p" -H -b 64M -c 4096 -t 60 \
	>"$w/client.out" 2>"$w/client.err"
echo $? >"$w/client.rc"
wait $spid; echo $? >"$w/server.rc"
wait $hpid; echo $? >"$w/hostile.rc"'
	"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$xfer" \
		"$hostile" "$path" "$work" "$arg" "$extra" >"$work/session.out" 2>&1
	session_rc=$?
	sides="hostile server client"
else
	inner='x=$1 f=$2 h=$3 p=$4 w=$5 k=$6
"$x" run --domid 1 -- "$h" server 2 "$p" -k "$k" -t 3 \
	>"$w/hostile.out" 2>"$w/hostile.err" &
hpid=$!
"$x" run --domid 2 -- "$f" client 1 "$p" -t 10 >"$w/client.out" 2>"$w/client.err"
echo $? >"$w/client.rc"
wait $hpid; echo $? >"$w/hostile.rc"'
	"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$xfer" \
		"$hostile" "$path" "$work" "$arg" >"$work/session.out" 2>&1
	session_rc=$?
	sides="hostile client"
fi

for side in $sides; do
	cat "$work/$side.out" "$work/$side.err" 2>/dev/null | sed "s/^/  $side: /"
	if grep -q -e Sanitizer -e 'runtime error' "$work/$side.err" 2>/dev/null; then
		echo "FAIL: sanitizer report from $side" >&2
		status=1
	fi
done
rc() { cat "$work/$1.rc" 2>/dev/null || echo missing; }
if [ "$(rc hostile)" != 0 ]; then
	echo "FAIL: hostile_peer itself failed ($(rc hostile))" >&2
	status=1
fi
if [ "$mode" = corrupt ]; then
	for side in server client; do
		if [ "$(rc $side)" != 0 ] || ! grep -q " END " "$work/$side.out"; then
			echo "FAIL: $side exited $(rc $side) without a clean end" >&2
			status=1
		fi
	done
else
	if [ "$(rc client)" != 1 ]; then
		echo "FAIL: client exited $(rc client), expected a refusal (1)" >&2
		status=1
	elif ! grep -q "gntring_connect: " "$work/client.err"; then
		echo "FAIL: client did not fail in gntring_connect" >&2
		status=1
	elif [ "$extra" != any ] && ! grep -q "gntring_connect: $extra" "$work/client.err"; then
		echo "FAIL: expected '$extra'" >&2
		status=1
	fi
fi
if [ $session_rc -ne 0 ]; then
	sed 's/^/  session: /' "$work/session.out" >&2
	echo "FAIL: simulator session exited $session_rc (leaks?)" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: hostile $mode $arg"
exit $status
