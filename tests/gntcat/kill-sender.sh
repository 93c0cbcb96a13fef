# SPDX-License-Identifier: BSD-2-Clause
# kill-sender.sh server|client: SIGKILL the end that sends, in the middle
# of an endless one-way transfer, while the other end only receives (its
# input is empty, so it has shut down its own writing at once).  A killed
# libgntring sender never ended its stream: the receiver must not take
# its death for the end of the data.  It must write out what it got, then
# exit 74 within 1 s naming the cause, and (--check-leaks) leave nothing
# behind.
. "$(dirname "$0")/lib.sh"

victim=$1
# The receiver's output goes through a FIFO to cmp, which checks that it
# is all zero bytes (as sent) and counts it without storing it.
mkfifo "$WORK/received" || fail "mkfifo"
cmp - /dev/zero < "$WORK/received" 2> "$WORK/cmp.out" &
checker=$!
STARTED="$STARTED $checker"
case $victim in
server)
	sin=/dev/zero sout=/dev/null cin=/dev/null cout=$WORK/received ;;
client)
	sin=/dev/null sout=$WORK/received cin=/dev/zero cout=/dev/null ;;
*) fail "kill-sender.sh server|client" ;;
esac
start_ends "$sin" "$sout" "$cin" "$cout"
kill_end "$victim"
[ "$rc" -ne 0 ] || fail "the receiver exited 0: the death read as end of stream"
[ "$rc" -eq 74 ] || fail "the receiver exited $rc, expected 74"
grep -qF "gntcat: peer died before end of stream" "$log" ||
    fail "the receiver did not name the cause"
[ "$ms" -lt 1000 ] || fail "the receiver took $ms ms to exit"
# cmp reached the end of the output, all zeros: "EOF on - after byte N".
got=$(sed -n 's/.*EOF on - after byte \([0-9][0-9]*\).*/\1/p' "$WORK/cmp.out")
[ -n "$got" ] && [ "$got" -gt 0 ] ||
    fail "the receiver's output: $(cat "$WORK/cmp.out")"
ok "$victim (sender) killed: the receiver wrote $got bytes and exited $rc in $ms ms: $(cat "$log")"
"$XENSIM" status
