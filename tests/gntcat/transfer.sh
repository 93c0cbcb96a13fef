# SPDX-License-Identifier: BSD-2-Clause
# transfer.sh SIZE [RING]: both directions at once, gntcat to gntcat.
# The server sends one random file of SIZE bytes and the client another;
# each received file must be identical to what the other side sent.
# RING (default 4K) is the size of both rings; SIZE may be N, NK, NM, NG,
# or ring-1, ring, ring+1.
. "$(dirname "$0")/lib.sh"

ring=$(bytes "${2:-4K}") || fail "bad ring size ${2-}"
case $1 in
ring-1) size=$((ring - 1)) ;;
ring) size=$ring ;;
ring+1) size=$((ring + 1)) ;;
*) size=$(bytes "$1") || fail "bad size $1" ;;
esac

random_file "$WORK/from-server" "$size"
random_file "$WORK/from-client" "$size"

start=$(now_ms)
dom "$SERVER_DOM" "$GNTCAT" -l -v -r "$ring" -s "$ring" "$CLIENT_DOM" \
    "$CHANNEL" < "$WORK/from-server" > "$WORK/server-got" \
    2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom "$CLIENT_DOM" "$GNTCAT" -v -w 10 "$SERVER_DOM" "$CHANNEL" \
    < "$WORK/from-client" > "$WORK/client-got" 2> "$WORK/client.log"
client_rc=$?
wait "$server"
server_rc=$?
ms=$(( $(now_ms) - start ))
[ "$client_rc" -eq 0 ] || fail "client exited $client_rc"
[ "$server_rc" -eq 0 ] || fail "server exited $server_rc"
same "$WORK/from-client" "$WORK/server-got"
same "$WORK/from-server" "$WORK/client-got"
# below 4K the wire puts one ring of 1K and one of 2K in the control page
[ "$ring" -lt 4096 ] ||
    grep -q "^gntcat: listening .*read ring $ring bytes, write ring $ring" \
    "$WORK/server.log" || fail "rings are not $ring bytes"
grep -q "^gntcat: sent $size bytes, received $size bytes in" \
    "$WORK/client.log" || fail "client summary line wrong"
ok "$size bytes each way, $ring-byte rings, $ms ms"
awk -v b="$size" -v ms="$ms" 'BEGIN { if (ms > 0 && b > 1048576)
	printf "rate: %.1f MB/s each way, %.1f MB/s both\n",
	    b / ms / 1000, 2 * b / ms / 1000 }'
tail -n 1 "$WORK/server.log"
