# SPDX-License-Identifier: BSD-2-Clause
# Shared by the reliability scripts.  Environment (set by ctest): XENSIM,
# GNTCAT, LOAD (gntring_load), BIN (the build's bin/), VSP.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SERVER_DOM=1
CLIENT_DOM=0

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip_without_xensim() {
	if [ ! -x "${XENSIM:-}" ]; then
		echo "skip: no xensim at ${XENSIM:-(unset)}"
		exit 77
	fi
}

now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# dom_pid N PIDFILE CMD...: run CMD as domain N; PIDFILE gets CMD's own pid.
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
		[ "$_i" -le 500 ] || fail "no pid in $1 after 5 s"
		sleep 0.01
	done
	cat "$1"
}

# json_total FIELD: FIELD of the "total" object of `xensim status --json`.
json_total() {
	"$XENSIM" status --json | sed -n 's/.*"total":{\(.*\)}}.*/\1/p' |
	    tr ',' '\n' | sed -n "s/^\"$1\":\\([0-9]*\\)\$/\\1/p"
}

# rand SEED MAX: a number in [0, MAX) from SEED.
rand() {
	awk -v s="$1" -v m="$2" 'BEGIN { srand(s); print int(rand() * m) }'
}
