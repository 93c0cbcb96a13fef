#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Constructor failures in the simulator: each fails with the documented
# errno and leaves no grant, port or xenstore node behind.
#   sim-errors.sh XENSIM XFER
set -u
xensim=$1 xfer=$2
if [ -z "$xensim" ] || [ ! -x "$xensim" ]; then
	echo "no simulator (xensim) in this build" >&2
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
inner='x=$1 f=$2 w=$3
# A server may not write into another domain'"'"'s home.
"$x" run --domid 1 -- "$f" server 2 /local/domain/0/data/forbidden -t 10 \
	>"$w/1.out" 2>&1; echo $? >"$w/1.rc"
# A client with no server: ETIMEDOUT after its wait.
"$x" run --domid 2 -- "$f" client 1 /local/domain/1/data/vchan/2/none -t 2 \
	>"$w/2.out" 2>&1; echo $? >"$w/2.rc"
# A client with no server in its own home, not waiting: ENOENT.
"$x" run --domid 2 -- "$f" client 1 data/none -t 0 >"$w/3.out" 2>&1
echo $? >"$w/3.rc"'
"$xensim" session --check-leaks -- sh -c "$inner" sh "$xensim" "$xfer" \
	"$work" >"$work/session.out" 2>&1
session_rc=$?
status=0
check() {
	cat "$work/$1.out" | sed "s/^/  case $1: /"
	if [ "$(cat "$work/$1.rc" 2>/dev/null)" != 1 ] ||
	   ! grep -q "$2" "$work/$1.out"; then
		echo "FAIL: case $1: expected '$2'" >&2
		status=1
	fi
}
check 1 "gntring_listen: Permission denied"
check 2 "gntring_connect: Connection timed out"
check 3 "gntring_connect: No such file or directory"
if [ $session_rc -ne 0 ]; then
	sed 's/^/  session: /' "$work/session.out" >&2
	echo "FAIL: simulator session exited $session_rc (leaks?)" >&2
	status=1
fi
[ $status -eq 0 ] && echo "PASS: constructor failures"
exit $status
