# SPDX-License-Identifier: BSD-2-Clause
# Bad command lines: exit 64 (EX_USAGE), the cause named, and the usage
# printed.  Nothing here reaches Xen, so it runs outside the simulator.
. "$(dirname "$0")/lib.sh"

P=/local/domain/1/data/vchan/0/7

# bad CAUSE ARGS...: gntcat ARGS must fail with 64, CAUSE and the usage.
bad() {
	_cause=$1
	shift
	expect 64 "$_cause" "$GNTCAT" "$@"
	grep -q '^usage: gntcat \[-kqv\]' "$WORK/expect.err" ||
	    fail "gntcat $*: no usage on stderr"
}

bad "missing domid or path"
bad "missing domid or path" 1
bad "too many arguments" 1 "$P" extra
bad "" -z 1 "$P"
bad "" -w
bad 'domid "abc" is invalid' abc "$P"
bad 'domid "-1" is invalid' -- -1 "$P"
bad 'domid "32752" is too large' 32752 "$P"
bad 'domid "" is invalid' "" "$P"
bad 'domid " 1" is invalid' " 1" "$P"
bad 'domid "1x" is invalid' 1x "$P"
bad 'domid "99999999999999999999" is too large' 99999999999999999999 "$P"
bad "path is empty" 1 ""
bad "path is empty or longer than 3072" 1 "/$(head -c 3072 /dev/zero | tr '\0' a)"
bad '-r: ring size "512" is too small (1K..1M)' -l -r 512 0 "$P"
bad '-r: ring size "0K" is too small' -l -r 0K 0 "$P"
bad '-s: ring size "2M" is too large' -l -s 2M 0 "$P"
bad '-s: ring size "1048577" is too large' -l -s 1048577 0 "$P"
bad '-r: invalid ring size "K"' -l -r K 0 "$P"
bad '-r: ring size "1X" is invalid' -l -r 1X 0 "$P"
bad '-r: ring size "1.5M" is invalid' -l -r 1.5M 0 "$P"
bad '-r: ring size "-4K" is invalid' -l -r -4K 0 "$P"
bad '-s: invalid ring size ""' -l -s "" 0 "$P"
bad '-w: seconds "-1" is invalid' -w -1 1 "$P"
bad '-w: seconds "86401" is too large' -w 86401 1 "$P"
bad '-w: seconds "5s" is invalid' -w 5s 1 "$P"
bad "-e: empty command" -e "" 1 "$P"
bad "-U: socket path is empty or longer than 107 bytes" -U "" 1 "$P"
bad "-U: socket path is empty or longer than 107 bytes" \
    -U "/tmp/$(head -c 110 /dev/zero | tr '\0' s)" 1 "$P"
# conflicting options
bad "cannot use -q and -v" -q -v 1 "$P"
bad "cannot use -e and -U" -e cat -U /tmp/x 1 "$P"
bad "-r and -s need -l" -r 4K 1 "$P"
bad "-r and -s need -l" -s 4K 1 "$P"
bad "cannot use -w with -l" -l -w 5 0 "$P"
bad "-k needs -l or -U" -k 1 "$P"
bad "-k needs -l or -U" -k -e cat 1 "$P"
bad "-k -l needs -e or -U" -lk 0 "$P"
echo "usage: all cases passed"
