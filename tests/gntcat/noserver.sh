# SPDX-License-Identifier: BSD-2-Clause
# A client with no server: 69 (EX_UNAVAILABLE) at once, or after -w.
. "$(dirname "$0")/lib.sh"

expect 69 "gntcat: no server at $CHANNEL" \
    dom "$CLIENT_DOM" "$GNTCAT" "$SERVER_DOM" "$CHANNEL" < /dev/null
grep -q "after" "$WORK/expect.err" && fail "-w 0 does not wait"

start=$(now_ms)
expect 69 "gntcat: no server at $CHANNEL after 1 s" \
    dom "$CLIENT_DOM" "$GNTCAT" -w 1 "$SERVER_DOM" "$CHANNEL" < /dev/null
waited=$(( $(now_ms) - start ))
[ "$waited" -ge 900 ] || fail "-w 1 gave up after $waited ms"
[ "$waited" -lt 5000 ] || fail "-w 1 took $waited ms"
ok "-w 1 waited $waited ms"

# A server that was there and left: its keys went with it.
dom "$SERVER_DOM" "$GNTCAT" -l "$CLIENT_DOM" "$CHANNEL" \
    < /dev/null > "$WORK/out" 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" "$CHANNEL" \
    < /dev/null > /dev/null 2> "$WORK/client.log" || fail "client failed"
wait "$server" || fail "server failed"
expect 69 "gntcat: no server at $CHANNEL" \
    dom "$CLIENT_DOM" "$GNTCAT" "$SERVER_DOM" "$CHANNEL" < /dev/null
echo "noserver: all cases passed"
