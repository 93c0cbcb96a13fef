# SPDX-License-Identifier: BSD-2-Clause
# -U on both ends, as a drop-in for vchan-socket-proxy:
#   socat -> front (gntcat -U -k, domain 0) => channel =>
#   (gntcat -l -k -U, domain 1) -> service (socat running tr a-z A-Z)
. "$(dirname "$0")/lib.sh"

command -v socat > /dev/null || { echo "skip: no socat"; exit 77; }
front=$WORK/front
service=$WORK/service

# wait_socket PATH: until PATH is a socket, at most 5 s.
wait_socket() {
	_i=0
	while [ ! -S "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 100 ] || fail "no socket $1 after 5 s"
		sleep 0.05
	done
}

timeout "$LIMIT" socat UNIX-LISTEN:"$service",fork \
    SYSTEM:'tr a-z A-Z' 2> "$WORK/socat.log" &
STARTED="$STARTED $!"
wait_socket "$service"
dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -lk -U "$service" \
    "$CLIENT_DOM" "$CHANNEL" < /dev/null > /dev/null 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$GNTCAT" -k -w 10 -U "$front" \
    "$SERVER_DOM" "$CHANNEL" < /dev/null > /dev/null 2> "$WORK/client.log" &
client=$!
STARTED="$STARTED $client"
wait_socket "$front"

for n in 1 2 3; do
	head -c 100000 /dev/urandom | base64 > "$WORK/text"
	tr a-z A-Z < "$WORK/text" > "$WORK/expected"
	timeout 20 socat -t 10 - UNIX-CONNECT:"$front" < "$WORK/text" \
	    > "$WORK/got" 2>> "$WORK/socat.log" || fail "socat $n exited $?"
	same "$WORK/expected" "$WORK/got"
	ok "connection $n through -U on both ends: $(wc -c < "$WORK/got") bytes"
done

kill -TERM "$(read_pid "$WORK/client.pid")" "$(read_pid "$WORK/server.pid")"
wait "$client"
wait "$server"
[ ! -e "$front" ] || fail "gntcat -U left $front behind"
ok "SIGTERM: both ends stopped, $front removed"

# An existing file is never replaced.
: > "$WORK/taken"
expect 73 "$WORK/taken" \
    dom "$CLIENT_DOM" "$GNTCAT" -U "$WORK/taken" "$SERVER_DOM" "$CHANNEL"
[ -f "$WORK/taken" ] || fail "-U removed an existing file"
# A server whose local service is missing: 69, and the client is told.
dom "$SERVER_DOM" "$GNTCAT" -l -U "$WORK/nothing" "$CLIENT_DOM" "$CHANNEL" \
    < /dev/null > /dev/null 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
echo data | dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" "$CHANNEL" \
    > /dev/null 2> "$WORK/client.log"
wait "$server"
rc=$?
[ "$rc" -eq 69 ] || fail "server with no service exited $rc, expected 69"
grep -qF "$WORK/nothing" "$WORK/server.log" || fail "no socket named"
ok "-l -U with no service -> 69"
echo "unix: all cases passed"
