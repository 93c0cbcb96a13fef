#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Peer death: libgntring server (domain 1) and client (domain 2) stream
# data until `xensim destroy` removes domain VICTIM-PEER; the other end must
# notice the death (its reads: ECONNRESET, not end of stream; its writes:
# EPIPE) and end without a stall or leak.
#   sim-destroy.sh XENSIM XFER DESTROYED-DOMID [extra xfer options]
set -u
xensim=$1 xfer=$2 doomed=$3
shift 3
if [ -z "$xensim" ] || [ ! -x "$xensim" ]; then
	echo "no simulator (xensim) in this build" >&2
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path=/local/domain/1/data/vchan/2/d$$
survivor=client
[ "$doomed" = 2 ] && survivor=server
inner='x=$1 f=$2 p=$3 w=$4 d=$5; shift 5
"$x" run --domid 1 -- "$f" server 2 "$p" -H -b 16G -t 60 "$@" >"$w/server.out" 2>"$w/server.err" &
spid=$!
"$x" run --domid 2 -- "$f" client 1 "$p" -H -b 16G -t 60 "$@" >"$w/client.out" 2>"$w/client.err" &
cpid=$!
sleep 1
"$x" destroy --domid "$d" >"$w/destroy.out" 2>&1
echo $? >"$w/destroy.rc"
wait $spid; echo $? >"$w/server.rc"
wait $cpid; echo $? >"$w/client.rc"'
start=$(date +%s)
"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$xfer" "$path" \
	"$work" "$doomed" "$@" >"$work/session.out" 2>&1
session_rc=$?
took=$(( $(date +%s) - start ))
status=0
cat "$work/$survivor.out" "$work/$survivor.err" | sed "s/^/  $survivor: /"
if [ "$(cat "$work/destroy.rc")" != 0 ]; then
	cat "$work/destroy.out" >&2
	echo "FAIL: xensim destroy failed" >&2
	status=1
fi
if [ "$(cat "$work/$survivor.rc")" != 0 ] ||
   ! grep -q " END reset" "$work/$survivor.out"; then
	echo "FAIL: the $survivor did not see the death (ECONNRESET)" >&2
	status=1
fi
if [ $session_rc -ne 0 ]; then
	sed 's/^/  session: /' "$work/session.out" >&2
	echo "FAIL: simulator session exited $session_rc (leaks?)" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: domain $doomed destroyed, $survivor saw the death in ${took}s"
exit $status
