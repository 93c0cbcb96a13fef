#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# dom0 writes below /local/domain/5 before domain 5 exists (a server that
# publishes for a domain to come).  When domain 5 is introduced (its first
# `xensim run`), it must own its home, as the toolstack makes it at domain
# creation: it reads its domid and writes in its home; dom0's node stays.
# Debian's xenstore tools, through libxenstore.
#   xs_home.sh XENSIM      (inside `xensim session`)
set -u
X=$1
fail() { echo "FAIL: $*"; "$X" run --domid 0 -- xenstore-ls -p /local/domain/5; exit 1; }
"$X" run --domid 0 -- xenstore-write /local/domain/5/data/x v /local/domain/5/domid 42 ||
  fail "dom0 write"
[ "$("$X" run --domid 5 -- xenstore-read domid 2>&1)" = 5 ] ||
  fail "domain 5 cannot read its domid"
[ "$("$X" run --domid 5 -- xenstore-read /local/domain/5/domid 2>&1)" = 5 ] ||
  fail "domain 5 cannot read /local/domain/5/domid"
"$X" run --domid 5 -- xenstore-write mine 1 || fail "domain 5 cannot write in its home"
"$X" run --domid 5 -- xenstore-read data/x > /dev/null 2>&1 &&
  fail "domain 5 reads dom0's node data/x, whose perms are dom0's"
[ "$("$X" run --domid 0 -- xenstore-read /local/domain/5/data/x)" = v ] ||
  fail "dom0's node lost"
[ "$("$X" run --domid 0 -- xenstore-read /local/domain/5/mine)" = 1 ] ||
  fail "domain 5's node lost"
echo "home made by dom0 before the introduce: ok"
