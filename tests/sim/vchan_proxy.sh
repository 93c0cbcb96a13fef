#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Debian's unmodified vchan-socket-proxy in the simulator: server in domain 1,
# client in domain 0, default rings (1 KiB client->server, 2 KiB back).
#
#   vchan_proxy.sh XENSIM s2c|c2s [MiB]
#
# Runs inside `xensim session`.  One direction at a time: the receiving
# side's stdin never reaches EOF (the tool drops what is still in its ring
# when its peer closes), the sending side's stdin is a file.  The tool often
# hangs once its input is done, so it runs under timeout(1) and is judged by
# the bytes delivered: count and sha256.
set -u
XENSIM=$1
MODE=$2
MIB=${3:-64}
VSP=${VCHAN_SOCKET_PROXY:-/usr/lib/xen-4.17/bin/vchan-socket-proxy}
NODE=/local/domain/1/data/vchan/0/7
BYTES=$((MIB * 1048576))

T=$(mktemp -d /tmp/vchan-proxy.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
head -c "$BYTES" /dev/urandom > "$T/in" || exit 1
mkfifo "$T/hold" || exit 1
exec 9<>"$T/hold"           # a writer that never closes: stdin without EOF

if [ "$MODE" = s2c ]; then
  srv_in=$T/in; cli_in=$T/hold; out=$T/cli.out; srv_out=/dev/null; cli_out=$out
else
  srv_in=$T/hold; cli_in=$T/in; out=$T/srv.out; srv_out=$out; cli_out=/dev/null
fi
: > "$out"
start=$(date +%s%N)
timeout 55 "$XENSIM" run --domid 1 -- "$VSP" -m server 0 "$NODE" - \
  < "$srv_in" > "$srv_out" 2> "$T/srv.err" &
srv=$!
# The client retries through a xenstore watch until the server is there.
timeout 55 "$XENSIM" run --domid 0 -- "$VSP" -m client 1 "$NODE" - \
  < "$cli_in" > "$cli_out" 2> "$T/cli.err" &
cli=$!

deadline=$(( $(date +%s) + 50 ))
while :; do
  got=$(stat -c %s "$out")
  [ "$got" -ge "$BYTES" ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "timeout: $got of $BYTES bytes delivered" >&2
    break
  fi
  sleep 0.05
done
end=$(date +%s%N)
kill "$srv" "$cli" 2>/dev/null
wait "$srv" "$cli" 2>/dev/null
exec 9>&-

want=$(sha256sum < "$T/in" | cut -d' ' -f1)
have=$(sha256sum < "$out" | cut -d' ' -f1)
ms=$(( (end - start) / 1000000 ))
echo "$MODE: $(stat -c %s "$out") of $BYTES bytes in ${ms} ms"
echo "sha256 sent     $want"
echo "sha256 received $have"
if [ "$want" != "$have" ]; then
  echo "--- server stderr"; cat "$T/srv.err"
  echo "--- client stderr"; cat "$T/cli.err"
  exit 1
fi
exit 0
