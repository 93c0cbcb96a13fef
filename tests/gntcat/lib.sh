# SPDX-License-Identifier: BSD-2-Clause
# Shared by the gntcat tests, which run inside `xensim session
# --check-leaks` (see run-in-sim), in the manner of OpenBSD's nc regress
# suite: black box, bounded waits, exact byte comparison, and for each
# failure the exit code and the message that are expected.
#
# Environment (set by ctest): GNTCAT, XENSIM, and VSP (Debian's
# vchan-socket-proxy) for the interop tests.

set -u

SERVER_DOM=1
CLIENT_DOM=0
CHANNEL=/local/domain/$SERVER_DOM/data/vchan/$CLIENT_DOM/7
LIMIT=${GNTCAT_TEST_LIMIT:-50}	# seconds any one process may run

WORK=$(mktemp -d "${TMPDIR:-/tmp}/gntcat-test.XXXXXX")
STARTED=	# background pids to stop if the test ends early

cleanup() {
	for pid in $STARTED; do
		kill "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*" >&2
	for log in "$WORK"/*.log; do
		[ -s "$log" ] || continue
		echo "--- ${log##*/}" >&2
		tail -n 20 "$log" >&2
	done
	exit 1
}

ok() {
	echo "ok: $*"
}

# bytes TEXT: N, NK, NM or NG (binary units) to a count of bytes.
bytes() {
	case $1 in
	*[!0-9KMGkmg]* | "" | [KMGkmg]* | *[KMGkmg]?*) return 1 ;;
	esac
	set -- "$(echo "$1" | sed 's/^0*\([0-9]\)/\1/')"
	case $1 in
	*[Kk]) echo $(( ${1%?} * 1024 )) ;;
	*[Mm]) echo $(( ${1%?} * 1024 * 1024 )) ;;
	*[Gg]) echo $(( ${1%?} * 1024 * 1024 * 1024 )) ;;
	*) echo $(( $1 )) ;;
	esac
}

# random_file PATH BYTES
random_file() {
	head -c "$2" /dev/urandom > "$1" || fail "cannot make $1"
	[ "$(wc -c < "$1")" -eq "$2" ] || fail "short random file $1"
}

# dom N CMD...: run CMD as domain N, killed after LIMIT seconds.
dom() {
	_dom=$1
	shift
	"$XENSIM" run --domid "$_dom" -- timeout -k 2 "$LIMIT" "$@"
}

# dom_pid N PIDFILE CMD...: as dom, and write the pid of CMD itself (not
# of a wrapper) to PIDFILE, so that a test can signal exactly it.
dom_pid() {
	_dom=$1
	_pidfile=$2
	shift 2
	"$XENSIM" run --domid "$_dom" -- \
	    sh -c 'echo $$ > "$0"; exec "$@"' "$_pidfile" "$@"
}

# read_pid PIDFILE: wait up to 5 s for the file, print the pid.
read_pid() {
	_i=0
	while [ ! -s "$1" ]; do
		_i=$((_i + 1))
		[ "$_i" -le 100 ] || fail "no pid in $1 after 5 s"
		sleep 0.05
	done
	cat "$1"
}

# wait_size FILE BYTES SECONDS: wait until FILE holds BYTES bytes.
wait_size() {
	_deadline=$(( $(date +%s) + $3 ))
	while [ "$(wc -c < "$1" 2>/dev/null || echo 0)" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$_deadline" ] ||
		    fail "$1: $(wc -c < "$1") of $2 bytes after $3 s"
		sleep 0.05
	done
}

# now_ms: milliseconds of wall clock.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# same FILE COPY: byte-exact comparison.
same() {
	cmp -s "$1" "$2" || fail "$2 differs from $1 ($(wc -c < "$2") of \
$(wc -c < "$1") bytes; sha256 $(sha256sum < "$2" | cut -c1-16) vs \
$(sha256sum < "$1" | cut -c1-16))"
}

# expect CODE MESSAGE CMD...: CMD must exit with CODE and say MESSAGE on
# stderr (a fixed string; empty: anything).
expect() {
	_code=$1
	_msg=$2
	shift 2
	"$@" > "$WORK/expect.out" 2> "$WORK/expect.err"
	_rc=$?
	if [ "$_rc" -ne "$_code" ]; then
		cat "$WORK/expect.err" >&2
		fail "$*: exit $_rc, expected $_code"
	fi
	if [ -n "$_msg" ] && ! grep -qF -- "$_msg" "$WORK/expect.err"; then
		cat "$WORK/expect.err" >&2
		fail "$*: no \"$_msg\" on stderr"
	fi
	ok "$(echo "$*" | cut -c1-100) -> $_code${_msg:+ \"$_msg\"}"
}

# hold_open FIFO: keep FIFO open for writing until the test ends, so a
# reader of it never sees end of file (for libxenvchan peers, which take
# our end of input for a close).  Prints nothing; the holder is in STARTED.
hold_open() {
	mkfifo "$1" || fail "mkfifo $1"
	sleep "$LIMIT" > "$1" &
	STARTED="$STARTED $!"
}

# start_ends SERVER-IN SERVER-OUT CLIENT-IN CLIENT-OUT: gntcat -l in the
# server domain and gntcat in the client domain, in the background, their
# stderr in $WORK/server.log and $WORK/client.log.  Sets server and client
# (the launchers) and server_pid and client_pid (gntcat itself).
start_ends() {
	dom_pid "$SERVER_DOM" "$WORK/server.pid" "$GNTCAT" -l "$CLIENT_DOM" \
	    "$CHANNEL" < "$1" > "$2" 2> "$WORK/server.log" &
	server=$!
	STARTED="$STARTED $server"
	dom_pid "$CLIENT_DOM" "$WORK/client.pid" "$GNTCAT" -w 10 "$SERVER_DOM" \
	    "$CHANNEL" < "$3" > "$4" 2> "$WORK/client.log" &
	client=$!
	STARTED="$STARTED $client"
	server_pid=$(read_pid "$WORK/server.pid")
	client_pid=$(read_pid "$WORK/client.pid")
}

# kill_end server|client: after a second of traffic between the ends of
# start_ends, SIGKILL that one and wait (at most 3 s) for the other, then
# for every background job.  Sets rc (the survivor's exit status), ms (how
# long it took to exit) and log (its stderr).
kill_end() {
	sleep 1
	case $1 in
	server) pid=$server_pid survivor=$client log=$WORK/client.log ;;
	client) pid=$client_pid survivor=$server log=$WORK/server.log ;;
	*) fail "kill_end server|client" ;;
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
}
