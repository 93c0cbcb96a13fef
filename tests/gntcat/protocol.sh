# SPDX-License-Identifier: BSD-2-Clause
# A server that breaks the protocol (the libgntring suite's hostile_peer):
# gntcat refuses it with 76 (EX_PROTOCOL) and says so, for a bad ring
# order (case 1) and for ring indices far beyond the ring (case 7; met at
# connect time or at the first read, whichever checks first).
. "$(dirname "$0")/lib.sh"

[ -x "${HOSTILE_PEER:-}" ] || { echo "skip: no hostile_peer"; exit 77; }

for case in 1 7; do
	dom "$SERVER_DOM" "$HOSTILE_PEER" server "$CLIENT_DOM" "$CHANNEL" \
	    -k "$case" -t 2 > /dev/null 2> "$WORK/hostile.log" &
	hostile=$!
	STARTED="$STARTED $hostile"
	case $case in
	1) msg="gntcat: protocol violation by the server at $CHANNEL" ;;
	*) msg="gntcat: protocol violation by" ;;
	esac
	start=$(now_ms)
	expect 76 "$msg" dom "$CLIENT_DOM" "$GNTCAT" -w 5 "$SERVER_DOM" \
	    "$CHANNEL" < /dev/null
	ms=$(( $(now_ms) - start ))
	[ "$ms" -lt 3000 ] || fail "case $case: refused only after $ms ms"
	wait "$hostile"
	echo "case $case: refused in $ms ms, hostile server gone after $(( $(now_ms) - start )) ms"
done
echo "protocol: all cases passed"
