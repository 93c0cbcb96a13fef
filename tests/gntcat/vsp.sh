# SPDX-License-Identifier: BSD-2-Clause
# vsp.sh MODE [SIZE]: gntcat and Debian's vchan-socket-proxy, one
# direction at a time (libxenvchan has no half-close), SIZE (default 64M)
# of random data, equal sha256 required.  MODE is the direction:
#   to-vsp-server    gntcat client  -> vchan-socket-proxy server
#   from-vsp-server  vchan-socket-proxy server -> gntcat client
#   to-vsp-client    gntcat server  -> vchan-socket-proxy client
#   from-vsp-client  vchan-socket-proxy client -> gntcat server
# vchan-socket-proxy is judged by the bytes it delivers: it may hang
# after end of input, so it is stopped once they are all there.  gntcat
# must finish on its own, with status 0.
. "$(dirname "$0")/lib.sh"

[ -x "${VSP:-}" ] || { echo "skip: no vchan-socket-proxy"; exit 77; }
mode=$1
size=$(bytes "${2:-64M}") || fail "bad size $2"
random_file "$WORK/source" "$size"
# Whichever end only receives keeps its input open: at end of input a
# libxenvchan end closes the whole channel, and ours would look closed.
hold_open "$WORK/hold"

case $mode in
to-vsp-server | from-vsp-server)
	vsp_dom=$SERVER_DOM vsp_peer=$CLIENT_DOM vsp_mode=server
	cat_dom=$CLIENT_DOM cat_args="-w 10 $SERVER_DOM" ;;
to-vsp-client | from-vsp-client)
	vsp_dom=$CLIENT_DOM vsp_peer=$SERVER_DOM vsp_mode=client
	cat_dom=$SERVER_DOM cat_args="-l $CLIENT_DOM" ;;
*)
	fail "unknown mode $mode" ;;
esac
case $mode in
to-*) cat_in=$WORK/source vsp_in=$WORK/hold ;;
*) cat_in=$WORK/hold vsp_in=$WORK/source ;;
esac

start=$(now_ms)
# The server end starts first; both clients wait for it.
run_vsp() {
	dom_pid "$vsp_dom" "$WORK/vsp.pid" timeout -k 2 "$LIMIT" \
	    "$VSP" -m "$vsp_mode" "$vsp_peer" "$CHANNEL" - \
	    < "$vsp_in" > "$WORK/vsp-got" 2> "$WORK/vsp.log" &
	vsp=$!
	STARTED="$STARTED $vsp"
}
run_cat() {
	# shellcheck disable=SC2086 # cat_args is a list of words
	dom "$cat_dom" "$GNTCAT" -v $cat_args "$CHANNEL" \
	    < "$cat_in" > "$WORK/cat-got" 2> "$WORK/gntcat.log" &
	cat=$!
	STARTED="$STARTED $cat"
}
if [ "$vsp_mode" = server ]; then
	run_vsp
	run_cat
else
	run_cat
	run_vsp
fi

case $mode in
to-*)
	# gntcat sends, then must exit 0 by itself
	wait "$cat" || fail "gntcat exited $?"
	wait_size "$WORK/vsp-got" "$size" 20
	got=$WORK/vsp-got ;;
*)
	# gntcat receives; once all is there, vchan-socket-proxy gets 2 s
	# to close, then is stopped; either way gntcat must end with 0.
	wait_size "$WORK/cat-got" "$size" 40
	got=$WORK/cat-got ;;
esac
ms=$(( $(now_ms) - start ))
pid=$(read_pid "$WORK/vsp.pid")
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt 40 ]; do
	sleep 0.05
	i=$((i + 1))
done
if kill -0 "$pid" 2>/dev/null; then
	echo "note: vchan-socket-proxy still running 2 s after the data; stopped"
	kill "$pid"
fi
wait "$vsp"
case $mode in
from-*) wait "$cat" || fail "gntcat exited $?" ;;
esac
[ "$(sha256sum < "$got")" = "$(sha256sum < "$WORK/source")" ] ||
    fail "sha256 differs ($(wc -c < "$got") of $size bytes)"
ok "$mode: $size bytes, equal sha256, $ms ms"
grep '^gntcat: \(connected\|listening\|sent\)' "$WORK/gntcat.log"
