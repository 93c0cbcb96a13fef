#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `xensim destroy`: a vchan server domain dies mid-session; its processes are
# killed, its ports closed (the client's end goes unbound), the client sees
# the connection close and exits, and nothing is left in any domain.
#   destroy.sh XENSIM      (inside `xensim session`)
set -u
X=$1
VSP=${VCHAN_SOCKET_PROXY:-/usr/lib/xen-4.17/bin/vchan-socket-proxy}
NODE=/local/domain/1/data/vchan/0/7
T=$(mktemp -d /tmp/xensim-destroy.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
mkfifo "$T/hold"
exec 9<>"$T/hold"
timeout 30 "$X" run --domid 1 -- "$VSP" -m server 0 "$NODE" - < "$T/hold" > /dev/null 2>&1 &
timeout 30 "$X" run --domid 0 -- "$VSP" -m client 1 "$NODE" - < "$T/hold" > /dev/null 2>&1 &
cli=$!
# Wait (bounded) until both ends are connected: 2 ports, a mapped grant.
i=0
until "$X" status --json | grep -q '"total":{"grants":[1-9][0-9]*,"grant_maps":[1-9]'; do
  i=$((i + 1)); [ $i -gt 200 ] && { echo "never connected"; "$X" status; exit 1; }
  sleep 0.05
done
"$X" status
start=$(date +%s%N)
"$X" destroy --domid 1 || { echo "destroy failed"; exit 1; }
# The client must notice and leave by itself, well before its timeout.
i=0
while kill -0 "$cli" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "client still running"; exit 1; }
  sleep 0.05
done
echo "client exited $(( ($(date +%s%N) - start) / 1000000 )) ms after destroy"
"$X" status
"$X" status --json | grep -q '"domid":1,"alive":false' || { echo "domain 1 not destroyed"; exit 1; }
"$X" status --json | grep -q '"total":{"grants":0,"grant_maps":0,"mapped_grants":0,"shared_pages":0,"parked_pages":0,"ports":0' ||
  { echo "resources left"; exit 1; }
echo "destroy: ok"
