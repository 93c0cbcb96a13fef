# SPDX-License-Identifier: BSD-2-Clause
# kill-round.sh ROUND SEED: one round of kill.sh, inside a session.
. "$(dirname "$0")/lib.sh"

round=$1
seed=$2
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kill-round.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
channel=/local/domain/$SERVER_DOM/data/vchan/$CLIENT_DOM/7
delay=$(rand $((seed * 100003 + round)) 800)
victim=$(rand $((seed * 100019 + round)) 2)

dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -v -l "$CLIENT_DOM" \
    "$channel" < /dev/zero > /dev/null 2> "$WORK/server.log" &
server=$!
if [ $((round % 10)) -eq 3 ]; then
	# One round in ten: the server dies after publishing its channel and
	# before any client came; its keys stay in xenstore.  A client that
	# finds them must fail cleanly and soon.
	server_pid=$(read_pid "$WORK/server.pid")
	i=0
	until grep -q "listening" "$WORK/server.log"; do
		i=$((i + 1))
		[ "$i" -le 500 ] || fail "round $round: the server never listened"
		sleep 0.01
	done
	kill -KILL "$server_pid"
	wait "$server"
	start=$(now_ms)
	dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$GNTCAT" -v -w 2 \
	    "$SERVER_DOM" "$channel" < /dev/zero > /dev/null \
	    2> "$WORK/client.log"
	rc=$?
	ms=$(( $(now_ms) - start ))
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] ||
	    fail "round $round: client of a dead server exited $rc: $(cat "$WORK/client.log")"
	[ "$ms" -lt 3000 ] || fail "round $round: the client took $ms ms"
	echo "round $round: killed server before a client came: a new client" \
	    "exits $rc in $ms ms: $(tail -n 1 "$WORK/client.log")"
	exit 0
fi
dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$GNTCAT" -v -w 5 "$SERVER_DOM" \
    "$channel" < /dev/zero > /dev/null 2> "$WORK/client.log" &
client=$!
server_pid=$(read_pid "$WORK/server.pid")
client_pid=$(read_pid "$WORK/client.pid")
sleep "$(awk -v d="$delay" 'BEGIN { printf "%.3f", d / 1000 }')"

if [ "$victim" -eq 0 ]; then
	name=server pid=$server_pid survivor=$client log=$WORK/client.log
else
	name=client pid=$client_pid survivor=$server log=$WORK/server.log
fi
met=pre
if grep -q "connected to" "$WORK/server.log" &&
    grep -q "connected to" "$WORK/client.log"; then
	met=mid
fi
kill -0 "$survivor" 2>/dev/null ||
    fail "round $round: the survivor exited before the kill: $(cat "$log")"
start=$(now_ms)
kill -KILL "$pid"
while kill -0 "$survivor" 2>/dev/null; do
	[ $(( $(now_ms) - start )) -lt 3000 ] || break
	sleep 0.005
done
ms=$(( $(now_ms) - start ))
stopped=
if kill -0 "$survivor" 2>/dev/null; then
	[ "$met" = pre ] || fail "round $round: $name killed mid-transfer," \
	    "the survivor still runs after $ms ms: $(cat "$log")"
	kill -TERM "$survivor"
	stopped=" (stopped: it waits for a peer)"
fi
wait "$survivor"
rc=$?
wait
cause=$(grep -v "connected to\|listening on" "$log" | tail -n 1)
if [ -z "$stopped" ]; then
	[ "$rc" -ne 0 ] || fail "round $round: the survivor exited 0"
	[ "$rc" -lt 128 ] || fail "round $round: the survivor died of" \
	    "signal $((rc - 128)): $(cat "$log")"
fi
if [ "$met" = mid ]; then
	[ "$ms" -lt 1000 ] || fail "round $round: $name killed after" \
	    "$delay ms, the survivor took $ms ms to exit $rc (load:" \
	    "$(cut -d' ' -f1-3 /proc/loadavg)): $cause"
	echo "round $round: killed $name after $delay ms, mid-transfer:" \
	    "survivor exit $rc in $ms ms: $cause"
else
	echo "round $round: killed $name after $delay ms, before the ends" \
	    "met: survivor exit $rc$stopped: $cause"
fi
