# SPDX-License-Identifier: BSD-2-Clause
# kill.sh ROUNDS: ROUNDS gntcat transfers in both directions between two
# simulated domains, each in its own `xensim session --check-leaks`, with
# SIGKILL at a random moment (0..800 ms after start) to a random side.
# Killed mid-transfer, the survivor must exit non-zero (no crash) within
# 1 s; killed before the two ends met, the survivor may wait for a peer
# and is stopped.  Nothing may leak in any round.  KILL_SEED varies the
# schedule (default 1).  Prints one line per round and a summary.
. "$(dirname "$0")/lib.sh"
skip_without_xensim

rounds=$1
seed=${KILL_SEED:-1}
mid=0 pre=0 early=0 srv=0 cli=0 max=0 maxround=0
r=1
while [ "$r" -le "$rounds" ]; do
	out=$("$XENSIM" session --check-leaks -- /bin/sh "$HERE/kill-round.sh" \
	    "$r" "$seed" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep '^round ' | tail -n 1)
	if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
		printf '%s\n' "$out" >&2
		fail "round $r (KILL_SEED=$seed): exit $rc"
	fi
	echo "$line"
	case $line in
	*"killed server"*) srv=$((srv + 1)) ;;
	*) cli=$((cli + 1)) ;;
	esac
	case $line in
	*mid-transfer*)
		mid=$((mid + 1))
		ms=$(printf '%s\n' "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
		if [ "$ms" -gt "$max" ]; then
			max=$ms
			maxround=$r
		fi
		;;
	*"before a client came"*) early=$((early + 1)) ;;
	*) pre=$((pre + 1)) ;;
	esac
	r=$((r + 1))
done
echo "kill: $rounds rounds (server killed $srv, client killed $cli):" \
    "$mid mid-transfer, max survivor exit latency $max ms (round" \
    "$maxround); $pre before the ends met; $early with the server dead" \
    "before its client came; no leaks"
