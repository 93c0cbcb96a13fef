# SPDX-License-Identifier: BSD-2-Clause
# kill.sh server|client: SIGKILL one end in the middle of an endless
# transfer in both directions; the other must exit non-zero within 1 s,
# naming the cause, and (--check-leaks) nothing may be left behind.
. "$(dirname "$0")/lib.sh"

victim=$1
case $victim in
server | client) ;;
*) fail "kill.sh server|client" ;;
esac
start_ends /dev/zero /dev/null /dev/zero /dev/null
kill_end "$victim"
[ "$rc" -eq 74 ] || fail "survivor exited $rc, expected 74"
# It had data the killed peer never took, and it read the peer's stream,
# never ended, up to the death: the death is the cause it names.
grep -qF "gntcat: peer died before end of stream" "$log" ||
    fail "survivor did not name the cause"
[ "$ms" -lt 1000 ] || fail "survivor took $ms ms to exit"
ok "$victim killed: the survivor exited $rc in $ms ms: $(cat "$log")"
"$XENSIM" status
