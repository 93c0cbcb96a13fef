# SPDX-License-Identifier: BSD-2-Clause
# libgntring <-> libxenvchan on the real Xen, and the hostile-peer subset,
# with the library's own test programs (tests/gntring: gntring_xfer,
# vchan_xfer, hostile_peer).  Sourced by cases.sh in dom0; both ends in
# dom0 (domain 0 talks to itself through real grants and event channels).

GX=/opt/xt/bin/gntring_xfer
VX=/opt/xt/bin/vchan_xfer
HP=/opt/xt/bin/hostile_peer

# Server options that give each ring order (libxenvchan's rules), as in
# tests/gntring/CMakeLists.txt.
order_args() {
	case $1 in
	10) echo "-l 0 -w 0" ;;
	11) echo "-l 2048 -w 1024" ;;
	*) _sz=$((1 << $1)); echo "-l $_sz -w $_sz" ;;
	esac
}

# xfer NAME SERVER-PROG CLIENT-PROG OPTIONS...: both ways at once; both must
# exit 0 and each direction's sha256 must be equal at both ends.
xfer() {
	_n=$1 _sv=$2 _cl=$3
	shift 3
	# Short paths: libxenvchan builds "PATH/event-channel" in a 64-byte
	# buffer and silently truncates longer ones.
	_xseq=$((${_xseq:-0} + 1))
	_d=/tmp/xt/$_n _path=$D0/vchan/0/x$_xseq
	rm -rf "$_d"; mkdir -p "$_d"
	timeout -s KILL 170 "$_sv" server 0 "$_path" "$@" -t 150 >"$_d/s.out" 2>"$_d/s.err" &
	_ps=$!
	if ! wait_xs 30 "$_path/event-channel"; then
		stop $_ps; res FAIL "$_n" "server never published: $(tail -c 200 "$_d/s.err")"; return
	fi
	timeout -s KILL 170 "$_cl" client 0 "$_path" "$@" -t 150 >"$_d/c.out" 2>"$_d/c.err"
	_rc_c=$?
	wait_exit 20 $_ps || kill -9 $_ps
	wait $_ps; _rc_s=$?
	_why=""
	[ $_rc_s = 0 ] || _why="$_why server exit $_rc_s;"
	[ $_rc_c = 0 ] || _why="$_why client exit $_rc_c;"
	_h() { awk -v w="$2" '$2 == w { print $3, $5 }' "$_d/$1.out"; }
	_us=$(_h c sent) _ug=$(_h s received) _ds=$(_h s sent) _dg=$(_h c received)
	{ [ -n "$_us" ] && [ "$_us" = "$_ug" ]; } || _why="$_why client->server [$_us] vs [$_ug];"
	{ [ -n "$_ds" ] && [ "$_ds" = "$_dg" ]; } || _why="$_why server->client [$_ds] vs [$_dg];"
	if [ -z "$_why" ]; then
		res PASS "$_n" "$(awk '$2 == "received" { printf "%s ", $8 " " $9 }' "$_d/c.out")"
	else
		res FAIL "$_n" "$_why $(cat "$_d/s.err" "$_d/c.err" | tail -c 300 | tr '\n' ' ')"
	fi
	rm -rf "$_d"
}

if [ -x $GX ] && [ -x $VX ]; then
	# Ring orders: 10 and 11 are the in-page rings; 12..16 granted pages.
	for _o in ${XT_RING_ORDERS:-10 12 16}; do
		case $_o in 10|11) _b=${XT_SMALL_RING_BYTES:-512K} ;; *) _b=${XT_RING_SIZE:-4M} ;; esac
		_ra=$(order_args $_o)
		want gntring_vchan_client_order$_o &&
			xfer gntring_vchan_client_order$_o $GX $VX -b $_b -s ${_o}00 $_ra
		want vchan_gntring_client_order$_o &&
			xfer vchan_gntring_client_order$_o $VX $GX -b $_b -s ${_o}00 $_ra
	done
	want gntring_gntring_order14_threads &&
		xfer gntring_gntring_order14_threads $GX $GX -b ${XT_RING_SIZE:-4M} -s 1400 -T $(order_args 14)
else
	for _c in gntring_vchan_client vchan_gntring_client; do
		want ${_c}_order10 && res SKIP $_c "gntring_xfer/vchan_xfer not built"
	done
fi

# Hostile peers.  evil CASE NAME EXPECTED: hostile_peer publishes a malformed
# channel; the libgntring client must refuse it in gntring_connect with
# EXPECTED (strerror text).
evil() {
	_n=hostile_server_$2 _d=/tmp/xt/hostile_$2 _path=$D0/vchan/0/h$1
	rm -rf "$_d"; mkdir -p "$_d"
	timeout -s KILL 30 $HP server 0 "$_path" -k "$1" -t 3 >"$_d/h.out" 2>"$_d/h.err" &
	_ph=$!
	sleep 0.5
	timeout -s KILL 30 $GX client 0 "$_path" -t 10 >"$_d/c.out" 2>"$_d/c.err"
	_rc=$?
	wait_exit 10 $_ph || kill -9 $_ph
	wait $_ph; _rh=$?
	if [ $_rh != 0 ]; then
		res FAIL $_n "hostile_peer failed ($_rh): $(tail -c 200 "$_d/h.err" | tr '\n' ' ')"
	elif [ $_rc != 1 ]; then
		res FAIL $_n "client exit $_rc, expected a refusal (1): $(tail -c 200 "$_d/c.err" | tr '\n' ' ')"
	elif ! grep -q "gntring_connect: $3" "$_d/c.err"; then
		res FAIL $_n "expected '$3', got: $(grep gntring_connect "$_d/c.err" | tail -n1)"
	else
		res PASS $_n "$(grep -o 'gntring_connect: .*' "$_d/c.err" | tail -n1)"
	fi
	rm -rf "$_d"
}

# corrupt SEED: a scribbler (hostile_peer) writes on the shared page of a
# libgntring pair mid-stream; both ends must end cleanly (EPROTO, close or
# completion): exit 0 with an END line, never a crash or a stall.
corrupt() {
	_n=hostile_corrupt_$1 _d=/tmp/xt/corrupt_$1 _path=$D0/vchan/0/c$1
	rm -rf "$_d"; mkdir -p "$_d"
	timeout -s KILL 100 $GX server 0 "$_path" -H -b ${XT_CORRUPT_BYTES:-8M} -l 0 -w 0 -c 4096 -t 80 \
		>"$_d/s.out" 2>"$_d/s.err" &
	_ps=$!
	wait_xs 30 "$_path/event-channel"
	timeout -s KILL 100 $HP corrupt 0 "$_path" -s "$1" -n 3 -d 300 >"$_d/h.out" 2>"$_d/h.err" &
	_ph=$!
	timeout -s KILL 100 $GX client 0 "$_path" -H -b ${XT_CORRUPT_BYTES:-8M} -c 4096 -t 80 \
		>"$_d/c.out" 2>"$_d/c.err"
	_rc=$?
	wait_exit 20 $_ps || kill -9 $_ps
	wait $_ps; _rs=$?
	wait_exit 10 $_ph || kill -9 $_ph
	wait $_ph; _rh=$?
	_why=""
	[ $_rh = 0 ] || _why="$_why hostile_peer exit $_rh;"
	{ [ $_rs = 0 ] && grep -q " END " "$_d/s.out"; } || _why="$_why server exit $_rs without a clean end;"
	{ [ $_rc = 0 ] && grep -q " END " "$_d/c.out"; } || _why="$_why client exit $_rc without a clean end;"
	if [ -z "$_why" ]; then
		res PASS $_n "$(grep -h -o 'END [^(]*' "$_d/s.out" "$_d/c.out" | tr '\n' ' ')"
	else
		res FAIL $_n "$_why $(cat "$_d"/*.err | tail -c 300 | tr '\n' ' ')"
	fi
	rm -rf "$_d"
}

if [ -x $GX ] && [ -x $HP ]; then
	for _e in "1 order9 Protocol.error" "2 order21 Protocol.error" \
		"3 same_in_page_order Protocol.error" "4 grant_area_overlap Protocol.error" \
		"5 srv_live3 Protocol.error" "6 client_already_live Device.or.resource.busy" \
		"7 indices Protocol.error" "8 ring_ref_text Protocol.error" \
		"9 ring_ref_zero Protocol.error" "10 foreign_grant Permission.denied" \
		"11 server_closed Connection.refused" "12 bad_port Permission.denied"; do
		set -- $_e
		want hostile_server_$2 && evil "$1" "$2" "$3"
	done
	for _s in ${XT_CORRUPT_SEEDS:-1 2 3}; do
		want hostile_corrupt_$_s && corrupt $_s
	done
else
	want hostile_server_order9 && res SKIP hostile "gntring_xfer/hostile_peer not built"
fi
