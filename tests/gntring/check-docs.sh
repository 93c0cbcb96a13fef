#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Every public function of gntring.h has a manual page, and every page
# passes mandoc's lint at warning level.  Exit 77 (skip) without mandoc.
set -u
header=$1
mandir=$2
status=0
for fn in $(sed -n 's/^[a-z].*[ *]\(gntring_[a-z_]*\)(.*/\1/p' "$header" | sort -u); do
	if [ ! -e "$mandir/$fn.3" ]; then
		echo "no manual page for $fn" >&2
		status=1
	fi
done
command -v mandoc >/dev/null 2>&1 || { echo "mandoc not installed" >&2; exit 77; }
mandoc -T lint -W warning "$mandir"/*.3 "$mandir"/*.7 || status=1
exit $status
