# SPDX-License-Identifier: BSD-2-Clause
# faults.sh quick|full: run test programs with the simulator injecting
# faults (XENSIM_FAULTS, see sim/xensim_fault.h), each in its own
# `xensim session --check-leaks`.  Every program must end with a clear
# error or recover (faults-run.sh), and nothing may leak.  quick: gntcat
# and gntring_xfer under a set of single-site faults (label faults); full:
# also vchan-socket-proxy and gntring_load, and random mixes over several
# seeds (label long).  FAULT_SEEDS overrides the seeds of the mixes.
. "$(dirname "$0")/lib.sh"
skip_without_xensim

specs="grant_access:nth=1 end_access:every=2 map_grants:nth=1
evtchn_alloc:nth=1 evtchn_bind:nth=1 evtchn_notify:nth=3 xs_read:every=4
xs_write:nth=1 xs_watch:nth=1 xs_transaction:nth=1"
progs="gntcat xfer"
seeds=
if [ "$1" = full ]; then
	progs="gntcat xfer vsp load"
	seeds=${FAULT_SEEDS:-"1 2 3 4 5 6 7 8"}
	specs="$specs grant_access:every=7 map_grants:every=3 evtchn_bind:every=3
evtchn_notify:nth=5 xs_write:every=3 xs_transaction:every=2
map_grants:p=0.3 evtchn_notify:p=0.01 xs_read:p=0.2"
fi
for s in $seeds; do
	specs="$specs all:p=0.05;seed=$s
grant_access:every=7,map_grants:p=0.05,evtchn_bind:every=3,xs_write:p=0.1;seed=$s"
done

runs=0 errors=0 oks=0 injected=0
for spec in $specs; do
	for prog in $progs; do
		out=$(XENSIM_FAULTS=$spec "$XENSIM" session --check-leaks -- \
		    /bin/sh "$HERE/faults-run.sh" "$prog" 2>&1)
		rc=$?
		line=$(printf '%s\n' "$out" | grep "^$prog: " | tail -n 1)
		if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
			printf '%s\n' "$out" >&2
			fail "XENSIM_FAULTS='$spec' $prog: exit $rc"
		fi
		echo "[$spec] $line"
		runs=$((runs + 1))
		n=$(printf '%s\n' "$line" | sed -n 's/.*: faults \([0-9]*\):.*/\1/p')
		injected=$((injected + ${n:-0}))
		case $line in
		*error*) errors=$((errors + 1)) ;;
		*) oks=$((oks + 1)) ;;
		esac
	done
done
if [ "$injected" -eq 0 ]; then
	echo "skip: the daemon injected no fault in $runs runs (XENSIM_FAULTS unsupported)"
	exit 77
fi
echo "faults: $runs runs, $injected faults injected: $oks recovered or" \
    "unaffected, $errors ended with an error that our programs explained;" \
    "no crash, hang or leak"
