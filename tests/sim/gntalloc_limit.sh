#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Linux gntalloc's ALLOC_GREF of 0 pages and its global page limit, per
# simulated domain, tunable with XENSIM_GNTALLOC_LIMIT (Linux's
# xen_gntalloc.limit module parameter).  Each part runs in its own
# `xensim session --check-leaks`, so every page must also be gone at the end.
#   gntalloc_limit.sh XENSIM XENSIM_GNTALLOC
set -u
X=$1
G=$2
fail() { echo "FAIL: $*"; exit 1; }
sess() { timeout 120 "$X" session --check-leaks -- "$@"; }

# Default limit (1024): count 0, and the limit's rules in one domain.
unset XENSIM_GNTALLOC_LIMIT
sess "$X" run --domid 0 -- "$G" count0 || fail "count0"
sess "$X" run --domid 0 -- "$G" limit 1024 || fail "limit 1024 (default)"

# Each domain is a kernel of its own: domain 1 full does not stop domain 2,
# but does stop another process of domain 1.
out=$(sess sh -c '
  X=$1 G=$2 T=$(mktemp -d) || exit 1
  trap "rm -rf \"\$T\"" EXIT
  mkfifo "$T/hold"
  exec 9<>"$T/hold"
  "$X" run --domid 1 -- "$G" hold 1024 < "$T/hold" > "$T/held" 9>&- &
  i=0
  until grep -q held "$T/held" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 200 ] && { echo "hold never held"; exit 1; }
    sleep 0.05
  done
  echo "dom2: $("$X" run --domid 2 -- "$G" alloc 1024)"
  echo "dom1: $("$X" run --domid 1 -- "$G" alloc 1)"
  exec 9>&-
  wait
  echo "dom1 after: $("$X" run --domid 1 -- "$G" alloc 1024)"
' sh "$X" "$G" 2>&1)
echo "$out"
echo "$out" | grep -qx "dom2: ok" || fail "domain 2 limited by domain 1's pages"
echo "$out" | grep -qx "dom1: ENOSPC" || fail "domain 1 over its limit"
echo "$out" | grep -qx "dom1 after: ok" || fail "domain 1's pages not given back"

# XENSIM_GNTALLOC_LIMIT sets it, as the module parameter does.
XENSIM_GNTALLOC_LIMIT=40 sess "$X" run --domid 3 -- "$G" limit 40 ||
  fail "limit 40"
out=$(XENSIM_GNTALLOC_LIMIT=0 sess sh -c \
  '"$1" run --domid 0 -- "$2" alloc 1; "$1" run --domid 0 -- "$2" alloc 0' \
  sh "$X" "$G" 2>&1)
[ "$(echo "$out" | grep -x 'ENOSPC\|ok' | tr '\n' ' ')" = "ENOSPC ok " ] ||
  fail "limit 0: $out"
# A limit that is not a page count: the daemon refuses to start.
if XENSIM_GNTALLOC_LIMIT=12x sess true > /dev/null 2>&1; then
  fail "XENSIM_GNTALLOC_LIMIT=12x accepted"
fi
if XENSIM_GNTALLOC_LIMIT=4294967296 sess true > /dev/null 2>&1; then
  fail "XENSIM_GNTALLOC_LIMIT=2^32 accepted"
fi
echo "gntalloc count 0 and limit: ok"
