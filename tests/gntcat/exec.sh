# SPDX-License-Identifier: BSD-2-Clause
# -e: a command with its stdin and stdout on the channel, on either end.
. "$(dirname "$0")/lib.sh"

# An upper-case echo service as the server.
head -c 300000 /dev/urandom | base64 > "$WORK/text"
tr a-z A-Z < "$WORK/text" > "$WORK/expected"
dom "$SERVER_DOM" "$GNTCAT" -l -e 'tr a-z A-Z' "$CLIENT_DOM" "$CHANNEL" \
    < /dev/null > "$WORK/server-out" 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" "$CHANNEL" \
    < "$WORK/text" > "$WORK/got" 2> "$WORK/client.log" ||
    fail "client exited $?"
wait "$server" || fail "server exited $?"
same "$WORK/expected" "$WORK/got"
[ ! -s "$WORK/server-out" ] || fail "-e server wrote to its own stdout"
ok "-l -e 'tr a-z A-Z': $(wc -c < "$WORK/got") bytes upper-cased"

# A command as the client: it checksums what the server sends.
random_file "$WORK/data" 5000000
dom "$SERVER_DOM" "$GNTCAT" -l "$CLIENT_DOM" "$CHANNEL" \
    < "$WORK/data" > "$WORK/sum" 2> "$WORK/server.log" &
server=$!
STARTED="$STARTED $server"
dom "$CLIENT_DOM" "$GNTCAT" -w 10 -e sha256sum "$SERVER_DOM" "$CHANNEL" \
    < /dev/null > /dev/null 2> "$WORK/client.log" ||
    fail "client exited $?"
wait "$server" || fail "server exited $?"
[ "$(cat "$WORK/sum")" = "$(sha256sum < "$WORK/data")" ] ||
    fail "-e sha256sum answered \"$(cat "$WORK/sum")\""
ok "-e sha256sum: $(cut -c1-16 "$WORK/sum")..."

# The command's failure is reported (unless -q) but is not gntcat's.
for quiet in "" -q; do
	dom "$SERVER_DOM" "$GNTCAT" -l $quiet -e 'cat >/dev/null; exit 3' \
	    "$CLIENT_DOM" "$CHANNEL" < /dev/null > /dev/null \
	    2> "$WORK/server.log" &
	server=$!
	STARTED="$STARTED $server"
	echo hello | dom "$CLIENT_DOM" "$GNTCAT" -w 10 "$SERVER_DOM" \
	    "$CHANNEL" > /dev/null 2> "$WORK/client.log" ||
	    fail "client exited $?"
	wait "$server" || fail "server exited $?"
	if [ -z "$quiet" ]; then
		grep -qF "gntcat: command exited with status 3" \
		    "$WORK/server.log" || fail "exit status not reported"
	else
		[ ! -s "$WORK/server.log" ] || fail "-q still warned"
	fi
done
ok "command exit status reported, and not with -q"
echo "exec: all cases passed"
