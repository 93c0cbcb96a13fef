# SPDX-License-Identifier: BSD-2-Clause
# kill.sh server|client: SIGKILL one end in the middle of an endless
# transfer in both directions; the other must exit non-zero within 1 s,
# naming the cause, and (--check-leaks) nothing may be left behind.
. "$(dirname "$0")/lib.sh"

victim=$1
dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -l "$CLIENT_DOM" \
    "$CHANNEL" < /dev/zero > /dev/null 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$GNTCAT" -w 10 "$SERVER_DOM" \
    "$CHANNEL" < /dev/zero > /dev/null 2> "$WORK/client.log" &
client=$!
STARTED="$STARTED $client"
server_pid=$(read_pid "$WORK/server.pid")
client_pid=$(read_pid "$WORK/client.pid")
sleep 1
case $victim in
server) pid=$server_pid survivor=$client log=$WORK/client.log ;;
client) pid=$client_pid survivor=$server log=$WORK/server.log ;;
*) fail "kill.sh server|client" ;;
esac
kill -0 "$server" "$client" 2>/dev/null || fail "an end exited early"
start=$(now_ms)
kill -KILL "$pid"
while kill -0 "$survivor" 2>/dev/null; do
	[ $(( $(now_ms) - start )) -lt 3000 ] || break
	sleep 0.01
done
ms=$(( $(now_ms) - start ))
wait "$survivor"
rc=$?
wait
[ "$rc" -eq 74 ] || fail "survivor exited $rc, expected 74"
# It had data the killed peer never took, and it read the peer's stream,
# never ended, up to the death: the death is the cause it names.
grep -qF "gntcat: peer died before end of stream" "$log" ||
    fail "survivor did not name the cause"
[ "$ms" -lt 1000 ] || fail "survivor took $ms ms to exit"
ok "$victim killed: the survivor exited $rc in $ms ms: $(cat "$log")"
"$XENSIM" status
