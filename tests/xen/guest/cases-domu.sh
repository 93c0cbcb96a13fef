# SPDX-License-Identifier: BSD-2-Clause
# dom0 <-> PV domU cases, sourced by cases.sh in dom0.  The domU runs its
# halves in the same order (guest/init-domu) and reports each result in
# xenstore; dom0 judges both directions.

DZ=${XT_DOMU_SIZE:-16M}
DVZ=${XT_DOMU_VSP_SIZE:-256K}
UNAME=xt-domu
UCFG=/tmp/xt-domu.cfg

domu_start() {
	xenconsoled --pid-file=/run/xenconsoled.pid --log=guest \
		--log-dir=/var/log/xen/console 2>/tmp/xenconsoled.err ||
		{ res FAIL domu_boot "xenconsoled: $(tail -c 200 /tmp/xenconsoled.err)"; return 1; }
	cat >$UCFG <<-EOF
	name = "$UNAME"
	type = "pv"
	kernel = "/domu/vmlinuz"
	ramdisk = "/domu/initrd"
	extra = "console=hvc0 quiet loglevel=3 mitigations=off"
	memory = 128
	vcpus = 1
	on_poweroff = "destroy"
	on_reboot = "destroy"
	on_crash = "destroy"
	EOF
	_t0=$(uptime_s)
	if ! timeout 120 xl create -q $UCFG >/tmp/xl-create.log 2>&1; then
		res FAIL domu_boot "xl create: $(tail -c 300 /tmp/xl-create.log | tr '\n' ' ')"
		return 1
	fi
	U=$(xl domid $UNAME)
	UR=/local/domain/$U/data/xt
	if ! wait_xs 120 $UR/up; then
		res FAIL domu_boot "domU $U never came up: $(tail -c 300 /var/log/xen/console/guest-$UNAME.log | tr '\n' ' ')"
		xl destroy $UNAME
		return 1
	fi
	res PASS domu_boot "domid $U up in $(awk -v a="$_t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')s"
	return 0
}

# domu_case NAME SECS STRICT SIZE SEED_DOM0 SEED_DOMU CMD [BG_CMD]
# CMD runs in dom0 with stream SIZE:SEED_DOM0 on stdin and must receive
# SIZE:SEED_DOMU; the domU's half must receive SIZE:SEED_DOM0.  STRICT=1:
# both sides must exit 0 by themselves.
domu_case() {
	_n=$1 _t=$2 _s=$3 _z=$4 _sa=$5 _sb=$6 _c=$7 _bg=${8:-}
	_d=/tmp/xt/$_n
	rm -rf "$_d"; mkdir -p "$_d"
	_nb=$(bytes "$_z")
	_h=""
	if [ "$_s" != 1 ]; then
		# No half-close: hold our input open until both sides have all.
		_h="$_d/a.out $_nb $_d/domugot 0"
		( wait_xs "$_t" "$UR/$_n-domugot" && touch $_d/domugot ) &
		( wait_bytes "$_t" "$_d/a.out:$_nb" && xenstore-write "$UR/$_n-dom0done" 1 ) &
	fi
	_t0=$(uptime_s)
	xt-helper gen "$_z" "$_sa" $_h | sh -c "exec $_c" >"$_d/a.out" 2>"$_d/a.err" &
	_pa=$!
	_pbg=""
	if [ -n "$_bg" ]; then
		sh -c "exec $_bg" </dev/null >"$_d/bg.out" 2>"$_d/bg.err" &
		_pbg=$!
	fi
	_why=""
	if ! wait_xs "$_t" "$UR/$_n"; then
		_why="no result from the domU;"
	fi
	wait_bytes 30 "$_d/a.out:$_nb"
	_t1=$(uptime_s)
	if [ "$_s" = 1 ]; then _g=20; else _g=3; fi
	if wait_exit $_g $_pa; then
		wait $_pa; _rc=$?
		[ "$_s" = 1 ] && [ $_rc -ne 0 ] && _why="$_why dom0 side exit $_rc;"
	else
		[ "$_s" = 1 ] && _why="$_why dom0 side did not exit;"
	fi
	stop $_pa $_pbg
	_r=$(chk "$_d/a.out" "$_z" "$_sb") || _why="$_why dom0 $_r;"
	if xenstore-exists "$UR/$_n"; then
		set -f
		set -- $(xenstore-read "$UR/$_n")
		set +f
		_ub=$1 _us=$2 _ur=$3
		shift 3
		if [ "$_ub" != "$_nb" ]; then
			_why="$_why domU: $_ub of $_nb bytes;"
		elif [ "$_us" != "$(expect_sha "$_z" "$_sa")" ]; then
			_why="$_why domU: sha256 differs;"
		fi
		[ "$_s" = 1 ] && [ "$_ur" != 0 ] && _why="$_why domU side exit $_ur;"
		[ -n "$_why" ] && _why="$_why domU stderr: $*;"
	fi
	_rate=$(awk -v n="$_nb" -v a="$_t0" -v b="$_t1" \
		'BEGIN { if (b > a) { r = n / 1024 / (b - a); if (r >= 1024) printf "%.1f MiB/s each way", r / 1024; else printf "%.0f KiB/s each way", r } }')
	if [ -z "$_why" ]; then
		res PASS "$_n" "$_z each way, $_rate"
	else
		res FAIL "$_n" "$_why $(cat "$_d"/*.err 2>/dev/null | tail -c 300 | tr '\n' ' ')"
	fi
	rm -rf "$_d"
}

if want domu_boot && domu_start; then
	domu_case domu_vsp 120 0 "$DVZ" 6 5 \
		"xt-helper unix-listen /tmp/dvsp.sock" \
		"vchan-socket-proxy -m server $U $D0/xt-dvsp /tmp/dvsp.sock"
	if [ -x $GC ]; then
		domu_case domu_gntcat_dom0_server 120 1 "$DZ" 8 7 "$GC -l $U $D0/xt-dgc1"
		domu_case domu_gntcat_domu_server 120 1 "$DZ" 6 5 "$GC -w 120 $U $UR/xt-dgc2"
	else
		res SKIP domu_gntcat_dom0_server "gntcat not built"
		res SKIP domu_gntcat_domu_server "gntcat not built"
	fi
	wait_xs 30 $UR/done || res FAIL domu_done "domU did not finish"
	xenstore-write $UR/ack 1
	for i in $(seq 100); do xl domid $UNAME >/dev/null 2>&1 || break; sleep 0.2; done
	if xl domid $UNAME >/dev/null 2>&1; then
		res FAIL domu_shutdown "domU still there; destroying"
		xl destroy $UNAME
	fi
	_log=/var/log/xen/console/guest-$UNAME.log
	if grep -q '@@XU-END' $_log; then
		grep -a '^@@XU ' $_log | tr -d '\r' | sed 's/^@@XU /@@XT PROBEU /'
		res PASS probe_domu "$(grep -c '^@@XU ' $_log) cases"
	elif [ -x /opt/xt/bin/xen-probe ]; then
		res FAIL probe_domu "no probe output in the domU console"
	fi
	echo "--- domU console ---"
	tail -n 20 /var/log/xen/console/guest-$UNAME.log
	echo "---"
fi
