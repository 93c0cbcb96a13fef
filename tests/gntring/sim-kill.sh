#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A killed sender is not an end of stream: a libgntring end (domain 1 or 2)
# streams data to a peer that only reads, and is SIGKILLed mid-stream.
# Its unmap-notify clears its live byte without the shutdown bit, so the
# reader must get every byte sent before the kill, checked, then ECONNRESET
# (never 0), promptly, with nothing leaked.
#   sim-kill.sh XENSIM XFER KILLED-SIDE(server|client) [extra xfer options]
set -u
xensim=$1 xfer=$2 killed=$3
shift 3
if [ -z "$xensim" ] || [ ! -x "$xensim" ]; then
	echo "no simulator (xensim) in this build" >&2
	exit 77
fi
case $killed in
server) reader=client ;;
client) reader=server ;;
*) echo "usage: sim-kill.sh XENSIM XFER server|client [options]" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path=/local/domain/1/data/vchan/2/k$$

# The sender sends "forever" and reads nothing; the reader only reads and
# expects the death (-D).  The sender's own pid is written by the shell it
# replaces, so that exactly it is killed.
inner='x=$1 f=$2 p=$3 w=$4 k=$5; shift 5
if [ "$k" = server ]; then
	sargs="-b 16G -B 0" cargs="-b 0 -B 16G -D"
	sender=server
else
	sargs="-b 0 -B 16G -D" cargs="-b 16G -B 0"
	sender=client
fi
"$x" run --domid 1 -- sh -c "echo \$\$ >\"$w/server.pid\"; exec \"\$@\"" sh \
	"$f" server 2 "$p" -t 30 $sargs "$@" >"$w/server.out" 2>"$w/server.err" &
spid=$!
"$x" run --domid 2 -- sh -c "echo \$\$ >\"$w/client.pid\"; exec \"\$@\"" sh \
	"$f" client 1 "$p" -t 30 $cargs "$@" >"$w/client.out" 2>"$w/client.err" &
cpid=$!
sleep 1
# Both must still run: the reader has not mistaken anything for an end.
kill -0 $spid $cpid 2>/dev/null || echo "an end exited before the kill" >"$w/early"
date +%s%N >"$w/kill.ns"
kill -KILL "$(cat "$w/$sender.pid")"
wait $spid; echo $? >"$w/server.rc"
wait $cpid; echo $? >"$w/client.rc"
date +%s%N >"$w/done.ns"'
"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$xfer" "$path" \
	"$work" "$killed" "$@" >"$work/session.out" 2>&1
session_rc=$?
status=0
cat "$work/$reader.out" "$work/$reader.err" 2>/dev/null | sed "s/^/  $reader: /"
if [ -e "$work/early" ]; then
	cat "$work/$killed.err" "$work/$reader.err" 2>/dev/null >&2
	echo "FAIL: $(cat "$work/early")" >&2
	status=1
fi
if [ "$(cat "$work/$reader.rc" 2>/dev/null)" != 0 ] ||
   ! grep -q " END reset (got [1-9]" "$work/$reader.out"; then
	echo "FAIL: the $reader did not get ECONNRESET after the data" >&2
	status=1
fi
if [ "$(cat "$work/$killed.rc" 2>/dev/null)" != 137 ]; then
	echo "FAIL: the $killed was not killed by SIGKILL ($(cat "$work/$killed.rc" 2>/dev/null))" >&2
	status=1
fi
ms=$(( ($(cat "$work/done.ns") - $(cat "$work/kill.ns")) / 1000000 ))
if [ "$ms" -ge 2000 ]; then
	echo "FAIL: the $reader took $ms ms to see the death" >&2
	status=1
fi
if [ $session_rc -ne 0 ]; then
	sed 's/^/  session: /' "$work/session.out" >&2
	echo "FAIL: simulator session exited $session_rc (leaks?)" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: $killed killed, the $reader read ECONNRESET in $ms ms $*"
exit $status
