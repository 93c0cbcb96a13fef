# SPDX-License-Identifier: BSD-2-Clause
# Shared shell functions of the real-Xen guests (busybox sh, dom0 and domU).
# Results go to the console as "@@XT KIND NAME [INFO]" lines, which the host
# parses out of the serial log.

XT_EXPECT=${XT_EXPECT:-/xt/expect}

res() { echo "@@XT $*"; }

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# want NAME: is this case selected (--cases on the host, shell patterns)?
want() {
	[ -s /xt/only ] || return 0
	set -f
	for _w in $(cat /xt/only); do
		case "$1" in $_w) set +f; return 0 ;; esac
	done
	set +f
	return 1
}

have() { command -v "$1" >/dev/null 2>&1; }

# bytes 16M -> 16777216
bytes() {
	case "$1" in
	*K) echo $(( ${1%K} * 1024 )) ;;
	*M) echo $(( ${1%M} * 1048576 )) ;;
	*G) echo $(( ${1%G} * 1073741824 )) ;;
	*) echo "$1" ;;
	esac
}

expect_sha() { awk -v s="$1:$2" '$1 == s { print $2 }' "$XT_EXPECT"; }

fsize() { if [ -e "$1" ]; then stat -c %s "$1"; else echo 0; fi; }

# exited PID: true when PID is gone or a zombie.
exited() {
	_st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$_st" ] || [ "$_st" = Z ]
}

# wait_exit SECS PID: true if PID exited within SECS.
wait_exit() {
	_end=$(( $(date +%s) + $1 ))
	while ! exited "$2"; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}

# rc_of PID: exit status of a background child that has exited.
rc_of() { wait "$1"; echo $?; }

# wait_bytes SECS "FILE:SIZE ...": true when every FILE has SIZE bytes.
wait_bytes() {
	_wb_end=$(( $(date +%s) + $1 ))
	while :; do
		_wb_ok=1
		for _wb_p in $2; do
			[ "$(fsize "${_wb_p%%:*}")" -ge "${_wb_p#*:}" ] || { _wb_ok=0; break; }
		done
		[ $_wb_ok = 1 ] && return 0
		[ "$(date +%s)" -ge "$_wb_end" ] && return 1
		sleep 0.2
	done
}

# wait_xs SECS PATH: wait until a xenstore node exists.
wait_xs() {
	_end=$(( $(date +%s) + $1 ))
	until xenstore-exists "$2" 2>/dev/null; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 0.1
	done
	return 0
}

# stop PID...: kill what still runs, reap.
stop() {
	for _st_p in "$@"; do
		exited "$_st_p" || kill -9 "$_st_p" 2>/dev/null
		wait "$_st_p" 2>/dev/null
	done
	return 0
}

# chk FILE SIZE SEED: prints a reason and fails unless FILE holds exactly
# the generated stream SIZE:SEED (byte count and sha256).
chk() {
	_got=$(fsize "$1"); _exp=$(bytes "$2")
	if [ "$_got" != "$_exp" ]; then
		echo "$(basename "$1"): $_got of $_exp bytes"
		return 1
	fi
	if [ "$(sha256sum <"$1" | cut -c1-64)" != "$(expect_sha "$2" "$3")" ]; then
		echo "$(basename "$1"): sha256 differs"
		return 1
	fi
	return 0
}
