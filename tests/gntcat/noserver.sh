# SPDX-License-Identifier: BSD-2-Clause
# A client with no server: 69 (EX_UNAVAILABLE) at once, or after -w;
# a server for another domain: 77 (EX_NOPERM).
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

# A server killed with SIGKILL leaves its keys (as under Xen); they name
# an event channel that is no longer offered to us.
dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -l "$CLIENT_DOM" \
    "$CHANNEL" < /dev/null > /dev/null 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
sleep 0.3
kill -KILL "$(read_pid "$WORK/server.pid")"
wait "$server"
# Depending on what the dead server's unmap notification still holds,
# the stale keys give EINVAL (port not offered: 69) or EACCES (grant
# gone: 77); either way the message says the server may have died.
dom "$CLIENT_DOM" "$GNTCAT" "$SERVER_DOM" "$CHANNEL" < /dev/null \
    2> "$WORK/stale.err"
rc=$?
case $rc in
69 | 77) grep -q "at $CHANNEL.* died\|$CHANNEL: permission denied.* died" \
    "$WORK/stale.err" || fail "stale keys: $(cat "$WORK/stale.err")" ;;
*) fail "stale keys: exit $rc: $(cat "$WORK/stale.err")" ;;
esac
ok "stale keys -> $rc: $(cat "$WORK/stale.err")"
# With -w, a client waits for a new server to replace them.
dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" "$CHANNEL" < /dev/null \
    > "$WORK/got" 2> "$WORK/client.log" &
client=$!
STARTED="$STARTED $client"
sleep 0.5
echo renewed | dom "$SERVER_DOM" "$GNTCAT" -l "$CLIENT_DOM" "$CHANNEL" \
    > /dev/null 2> "$WORK/server.log" || fail "new server exited $?"
wait "$client" || fail "waiting client exited $?"
[ "$(cat "$WORK/got")" = renewed ] || fail "got \"$(cat "$WORK/got")\""
ok "-w waited past stale keys for a new server"

# The keys are readable by the chosen peer (domain 2) only.
other=/local/domain/$SERVER_DOM/data/vchan/2/7
dom "$SERVER_DOM" "$GNTCAT" -l -e cat 2 "$other" < /dev/null > /dev/null \
    2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
expect 77 "gntcat: $other: permission denied" \
    dom 3 "$GNTCAT" "$SERVER_DOM" "$other" < /dev/null
echo hello | dom 2 "$GNTCAT" -w 5 "$SERVER_DOM" "$other" > "$WORK/echo" \
    2> "$WORK/client.log" || fail "the chosen peer could not connect"
[ "$(cat "$WORK/echo")" = hello ] || fail "echo gave \"$(cat "$WORK/echo")\""
wait "$server" || fail "server exited $?"
ok "domain 3 refused, domain 2 served"
echo "noserver: all cases passed"
