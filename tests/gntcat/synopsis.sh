# SPDX-License-Identifier: BSD-2-Clause
# synopsis.sh MANPAGE: the SYNOPSIS that mandoc renders must say exactly
# what `gntcat` prints as its usage (blanks aside), and the page must
# pass `mandoc -T lint` at warning level.
. "$(dirname "$0")/lib.sh"

command -v mandoc > /dev/null || { echo "skip: no mandoc"; exit 77; }
page=$1
mandoc -T lint -W warning "$page" || fail "mandoc -T lint -W warning $page"
ok "mandoc -T lint -W warning"

# squeeze: one line, single blanks
squeeze() {
	tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}
"$GNTCAT" > /dev/null 2> "$WORK/usage"
sed -n '/^usage: /,$p' "$WORK/usage" | sed 's/^usage: //' | squeeze > "$WORK/from-usage"
mandoc -T ascii "$page" | sed 's/.\x08//g' |
    sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/!p}' | squeeze > "$WORK/from-page"
[ -s "$WORK/from-page" ] || fail "no SYNOPSIS in $page"
if ! cmp -s "$WORK/from-usage" "$WORK/from-page"; then
	echo "usage():  $(cat "$WORK/from-usage")" >&2
	echo "SYNOPSIS: $(cat "$WORK/from-page")" >&2
	fail "usage() and SYNOPSIS differ"
fi
ok "SYNOPSIS = usage(): $(cat "$WORK/from-page")"
