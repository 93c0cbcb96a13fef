#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Run one checked transfer in a private simulator instance: the server
# program as domain 1, the client program as domain 2, both ways at once.
# Passes when both ends exit 0, each direction's sha256 is equal at both
# ends, and the simulator finds no leaked grant or port.
#   sim-xfer.sh XENSIM SERVER-PROG CLIENT-PROG [transfer options...]
# XFER_SERVER_ARGS / XFER_CLIENT_ARGS add options to one side only.
# Exit 77 (skip) when there is no simulator.
set -u
xensim=$1 server=$2 client=$3
shift 3
if [ -z "$xensim" ] || [ ! -x "$xensim" ]; then
	echo "no simulator (xensim) in this build" >&2
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
path=/local/domain/1/data/vchan/2/$$
# XFER_RELATIVE=1: the server names its path relative to its home.
server_path=$path
[ "${XFER_RELATIVE:-0}" = 1 ] && server_path=data/vchan/2/$$

# The inner script runs inside the session; $1.. are its arguments.
inner='x=$1 s=$2 c=$3 p=$4 w=$5 sa=$6 ca=$7 sp=$8; shift 8
"$x" run --domid 1 -- "$s" server 2 "$sp" "$@" $sa >"$w/server.out" 2>"$w/server.err" &
spid=$!
"$x" run --domid 2 -- "$c" client 1 "$p" "$@" $ca >"$w/client.out" 2>"$w/client.err"
echo $? >"$w/client.rc"
wait $spid
echo $? >"$w/server.rc"'
"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$server" \
	"$client" "$path" "$work" "${XFER_SERVER_ARGS:-}" "${XFER_CLIENT_ARGS:-}" \
	"$server_path" "$@" >"$work/session.out" 2>&1
session_rc=$?

status=0
for side in server client; do
	cat "$work/$side.out" "$work/$side.err" 2>/dev/null | sed "s/^/  /"
	rc=$(cat "$work/$side.rc" 2>/dev/null || echo missing)
	if [ "$rc" != 0 ]; then
		echo "FAIL: $side exited $rc" >&2
		status=1
	fi
done
if [ $session_rc -ne 0 ]; then
	sed 's/^/  session: /' "$work/session.out" >&2
	echo "FAIL: simulator session exited $session_rc (leaks?)" >&2
	status=1
fi
hash() { awk -v w="$2" '$2 == w { print $3, $5 }' "$work/$1.out"; }
up_sent=$(hash client sent) up_got=$(hash server received)
down_sent=$(hash server sent) down_got=$(hash client received)
if [ -z "$up_sent" ] || [ "$up_sent" != "$up_got" ]; then
	echo "FAIL: client->server: sent [$up_sent] received [$up_got]" >&2
	status=1
fi
if [ -z "$down_sent" ] || [ "$down_sent" != "$down_got" ]; then
	echo "FAIL: server->client: sent [$down_sent] received [$down_got]" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: $(basename "$server") <-> $(basename "$client") $*"
exit $status
