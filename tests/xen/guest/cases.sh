# SPDX-License-Identifier: BSD-2-Clause
# The cases, run by dom0's init (busybox sh).  Each prints one
# "@@XT PASS|FAIL|SKIP name [info]" line.

D0=/local/domain/0/data

# XT_EXTRA (host environment): shell commands to run first, for debugging.
[ -n "${XT_EXTRA:-}" ] && eval "$XT_EXTRA"

# pair NAME SECS STRICT SIZE SEED_A SEED_B CMD_A CMD_B [READY_XS] [BG_CMD]
# CMD_A reads the stream SIZE:SEED_A on stdin and must write SIZE:SEED_B on
# stdout; CMD_B the other way round.  BG_CMD (no data) starts right after
# CMD_A, CMD_B once the xenstore node READY_XS exists.  STRICT says which
# sides must also exit 0 by themselves ("a", "b", "ab" or "-"); the others
# are judged only by the bytes they delivered (vchan-socket-proxy may hang
# after EOF) and killed.  An "h" in STRICT holds both sides' stdin open until
# both outputs are complete: vchan-socket-proxy has no half-close, it drops
# the whole channel when its input ends.
pair() {
	_n=$1 _t=$2 _s=$3 _z=$4 _sa=$5 _sb=$6 _ca=$7 _cb=$8 _ready=${9:-} _bg=${10:-}
	_d=/tmp/xt/$_n
	rm -rf "$_d"; mkdir -p "$_d"
	_nb=$(bytes "$_z")
	_ha="" _hb=""
	case "$_s" in *h*) _ha="$_d/a.out $_nb $_d/b.out $_nb" _hb=$_ha ;; esac
	_t0=$(uptime_s)
	xt-helper gen "$_z" "$_sa" $_ha | sh -c "exec $_ca" >"$_d/a.out" 2>"$_d/a.err" &
	_pa=$!
	_pbg=""
	if [ -n "$_bg" ]; then
		sh -c "exec $_bg" </dev/null >"$_d/bg.out" 2>"$_d/bg.err" &
		_pbg=$!
	fi
	if [ -n "$_ready" ] && ! wait_xs 30 "$_ready"; then
		stop $_pa $_pbg
		res FAIL "$_n" "no $_ready after 30s: $(cat "$_d"/*.err | tail -c 300 | tr '\n' ' ')"
		return
	fi
	xt-helper gen "$_z" "$_sb" $_hb | sh -c "exec $_cb" >"$_d/b.out" 2>"$_d/b.err" &
	_pb=$!
	wait_bytes "$_t" "$_d/a.out:$_nb $_d/b.out:$_nb"
	_t1=$(uptime_s)
	_why="" _note=""
	for _side in a b; do
		eval "_p=\$_p$_side"
		case "$_s" in *$_side*) _grace=20 ;; *) _grace=3 ;; esac
		if wait_exit $_grace $_p; then
			wait $_p; _rc=$?
			if [ $_rc -ne 0 ]; then
				case "$_s" in
				*$_side*) _why="$_why $_side exit $_rc: $(tail -c 200 "$_d/$_side.err" | tr '\n' ' ');" ;;
				*) _note="$_note $_side exit $_rc;" ;;
				esac
			fi
		else
			case "$_s" in
			*$_side*) _why="$_why $_side did not exit;" ;;
			*) _note="$_note $_side hung after delivery (killed);" ;;
			esac
		fi
	done
	stop $_pa $_pb $_pbg
	_r=$(chk "$_d/a.out" "$_z" "$_sb") || _why="$_why $_r;"
	_r=$(chk "$_d/b.out" "$_z" "$_sa") || _why="$_why $_r;"
	_rate=$(awk -v n="$_nb" -v a="$_t0" -v b="$_t1" \
		'BEGIN { if (b > a) { r = n / 1024 / (b - a); if (r >= 1024) printf "%.1f MiB/s each way", r / 1024; else printf "%.0f KiB/s each way", r } }')
	if [ -z "$_why" ]; then
		res PASS "$_n" "$_z each way, $_rate;$_note"
	else
		res FAIL "$_n" "$_why$_note $(cat "$_d"/*.err 2>/dev/null | tail -c 300 | tr '\n' ' ')"
	fi
	rm -rf "$_d"
}

# killpeer NAME VICTIM(a|b) CMD_A CMD_B READY_XS: stream both ways, kill -9
# the victim mid-stream; the survivor must exit non-zero within 10 s.
killpeer() {
	_n=$1 _v=$2 _ca=$3 _cb=$4 _ready=$5
	_d=/tmp/xt/$_n
	rm -rf "$_d"; mkdir -p "$_d"
	xt-helper gen 1G 9 | sh -c "exec $_ca" >"$_d/a.out" 2>"$_d/a.err" &
	_pa=$!
	if ! wait_xs 30 "$_ready"; then
		stop $_pa; res FAIL "$_n" "no $_ready"; return
	fi
	xt-helper gen 1G 10 | sh -c "exec $_cb" >"$_d/b.out" 2>"$_d/b.err" &
	_pb=$!
	if ! wait_bytes 60 "$_d/a.out:1048576 $_d/b.out:1048576"; then
		stop $_pa $_pb; res FAIL "$_n" "no data flowed: $(cat "$_d"/*.err | tail -c 300 | tr '\n' ' ')"
		return
	fi
	if [ "$_v" = a ]; then _pv=$_pa _ps=$_pb _s=b; else _pv=$_pb _ps=$_pa _s=a; fi
	kill -9 $_pv
	_t0=$(uptime_s)
	if wait_exit 10 $_ps; then
		wait $_ps; _rc=$?
		_dt=$(awk -v a="$_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
		if [ $_rc -ne 0 ]; then
			res PASS "$_n" "survivor exit $_rc after ${_dt}s: $(tail -n1 "$_d/$_s.err")"
		else
			res FAIL "$_n" "survivor exited 0 after ${_dt}s"
		fi
	else
		res FAIL "$_n" "survivor still running 10s after its peer was killed"
	fi
	stop $_pa $_pb
	rm -rf "$_d"
}

VSP=vchan-socket-proxy
GC=/opt/xt/bin/gntcat

# 1. The harness itself: Debian's libxenvchan both ends, 16 MiB each way.
if want vsp_loopback; then
	pair vsp_loopback 120 h ${XT_VSP_SIZE:-16M} 1 2 \
		"xt-helper unix-listen /tmp/vsp1.sock" \
		"$VSP 0 $D0/vsp1 -" \
		"$D0/vsp1/event-channel" \
		"$VSP -m server 0 $D0/vsp1 /tmp/vsp1.sock"
fi

# 2. The probe: edge cases of the real devices, for the simulator diff.
if want probe; then
	if [ -x /opt/xt/bin/xen-probe ]; then
		timeout 60 xen-probe >/tmp/probe.out 2>/tmp/probe.err
		_rc=$?
		sed 's/^/@@XT PROBE /' /tmp/probe.out
		if [ $_rc = 0 ]; then
			res PASS probe_dom0 "$(wc -l </tmp/probe.out) cases"
		else
			res FAIL probe_dom0 "rc $_rc: $(tail -c 300 /tmp/probe.err | tr '\n' ' ')"
		fi
	else
		res SKIP probe_dom0 "xen-probe not built"
	fi
fi

# 3. gntcat <-> gntcat, loopback in dom0, 64 MiB each way.
if want gntcat_loopback; then
	if [ -x $GC ]; then
		pair gntcat_loopback 240 ab ${XT_GC_SIZE:-64M} 3 4 \
			"$GC -l 0 $D0/gc1" "$GC -w 30 0 $D0/gc1" "$D0/gc1/event-channel"
	else
		res SKIP gntcat_loopback "gntcat not built"
	fi
fi

# 4. gntcat <-> vchan-socket-proxy, both roles.
if want gntcat_server_vsp_client; then
	if [ -x $GC ]; then
		pair gntcat_server_vsp_client 120 h ${XT_MIX_SIZE:-16M} 1 2 \
			"$GC -l 0 $D0/gc2" "$VSP 0 $D0/gc2 -" "$D0/gc2/event-channel"
	else
		res SKIP gntcat_server_vsp_client "gntcat not built"
	fi
fi
if want vsp_server_gntcat_client; then
	if [ -x $GC ]; then
		pair vsp_server_gntcat_client 120 h ${XT_VSPSRV_SIZE:-4M} 7 8 \
			"xt-helper unix-listen /tmp/vsp3.sock" "$GC -w 30 0 $D0/gc3" \
			"$D0/gc3/event-channel" "$VSP -m server 0 $D0/gc3 /tmp/vsp3.sock"
	else
		res SKIP vsp_server_gntcat_client "gntcat not built"
	fi
fi

# 5. libgntring <-> libxenvchan and the hostile-peer subset (tests/gntring).
[ -f /xt/cases-gntring.sh ] && . /xt/cases-gntring.sh

# 6. Killing one side: the survivor exits non-zero promptly.
for _v in client server; do
	want gntcat_kill_$_v || continue
	if [ -x $GC ]; then
		if [ $_v = client ]; then _k=b; else _k=a; fi
		killpeer gntcat_kill_$_v $_k "$GC -l 0 $D0/gk$_v" "$GC -w 30 0 $D0/gk$_v" \
			"$D0/gk$_v/event-channel"
	else
		res SKIP gntcat_kill_$_v "gntcat not built"
	fi
done

# 7. dom0 <-> PV domU.
[ "$(cat /xt/domu 2>/dev/null)" = 1 ] && [ -f /xt/cases-domu.sh ] && . /xt/cases-domu.sh
res TIME dom0_cases_done "$(uptime_s)"
