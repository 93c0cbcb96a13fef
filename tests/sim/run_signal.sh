#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `xensim run` passes SIGTERM and SIGHUP on to the command it runs and exits
# with the command's status (128 + signal) at once, also when it is stopped
# through timeout(1), as the vchan tests stop their tools.  (Not SIGINT: an
# asynchronous command of a script ignores it.)
#   run_signal.sh XENSIM      (inside `xensim session`)
set -u
X=$1
for sig in TERM HUP; do
	for how in direct timeout; do
		if [ "$how" = direct ]; then
			"$X" run --domid 1 -- sleep 60 &
		else
			timeout 60 "$X" run --domid 1 -- sleep 60 &
		fi
		pid=$!
		sleep 0.3
		kill -"$sig" "$pid"
		# SIGCONT after the signal, as timeout(1) sends it, and again
		# while the wrapper exits (under ASan, it once discarded the
		# stop of LeakSanitizer's exit-time ptrace and hung the exit).
		# Bounded: a wrapper that hangs is killed after 20 s.
		end=$(($(date +%s) + 20))
		i=0
		while kill -CONT "$pid" 2>/dev/null; do
			i=$((i + 1))
			if [ $((i % 1000)) -eq 0 ] &&
			    [ "$(date +%s)" -ge "$end" ]; then
				break
			fi
		done
		if kill -0 "$pid" 2>/dev/null; then
			pkill -KILL -P "$pid" 2>/dev/null
			kill -KILL "$pid"
			wait "$pid"
			echo "FAIL: SIG$sig ($how): still running after 20 s"
			exit 1
		fi
		wait "$pid"
		rc=$?
		case $sig in TERM) want=143 ;; HUP) want=129 ;; esac
		if [ "$rc" -ne "$want" ]; then
			echo "FAIL: SIG$sig ($how): exit $rc, want $want"
			exit 1
		fi
	done
done
echo "SIGTERM, SIGHUP passed on, directly and through timeout: ok"
