# SPDX-License-Identifier: BSD-2-Clause
# -k: one server, three successive clients; then SIGTERM, after which the
# server has removed its keys (and the session checks nothing leaked).
. "$(dirname "$0")/lib.sh"

dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -lk -e 'tr a-z A-Z' \
    "$CLIENT_DOM" "$CHANNEL" < /dev/null > /dev/null 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
for n in 1 2 3; do
	printf 'client %s says hello\n' "$n" > "$WORK/in"
	dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" "$CHANNEL" \
	    < "$WORK/in" > "$WORK/got" 2> "$WORK/client.log" ||
	    fail "client $n exited $?"
	[ "$(cat "$WORK/got")" = "CLIENT $n SAYS HELLO" ] ||
	    fail "client $n got \"$(cat "$WORK/got")\""
	ok "client $n: $(cat "$WORK/got")"
done
kill -0 "$server" 2>/dev/null || fail "-k server has exited"
kill -TERM "$(read_pid "$WORK/server.pid")"
wait "$server"
rc=$?
[ "$rc" -ne 0 ] || fail "server stopped by SIGTERM exited 0"
ok "server stopped by SIGTERM (status $rc)"
expect 69 "gntcat: no server at $CHANNEL" \
    dom "$CLIENT_DOM" "$GNTCAT" "$SERVER_DOM" "$CHANNEL" < /dev/null
echo "keep: all cases passed"
