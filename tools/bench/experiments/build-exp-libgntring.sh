#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# build-exp-libgntring.sh REPO OUTDIR: copy REPO/libgntring, apply the
# measured optimisation proposals of BENCHMARKS.md (patch-libgntring.py),
# and build OUTDIR/lib/libgntring.so.1 for `gntring-bench --exp-libdir
# OUTDIR/lib`.  Every change is off unless its variable is set in the
# environment of the benchmark: GNTRING_EXP_FAST, GNTRING_EXP_FASTW,
# GNTRING_EXP_TESTFIRST, GNTRING_EXP_ONEPOLL, GNTRING_EXP_LAZY,
# GNTRING_EXP_BLOCKREAD,
# GNTRING_EXP_SPIN_US=N.  An experiment, not a patch to merge as is.
set -eu
repo=${1:?usage: build-exp-libgntring.sh REPO OUTDIR}
out=${2:?usage: build-exp-libgntring.sh REPO OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out/src" "$out/lib"
cp "$repo"/libgntring/ring.c "$repo"/libgntring/ring.h \
   "$repo"/libgntring/channel.c "$repo"/libgntring/vchan_wire.h \
   "$repo"/libgntring/libgntring.map "$out/src/"
(cd "$out/src" && for f in ring.c ring.h channel.c; do cp "$f" "$f.orig"; done)
# A patch that no longer applies must stop the build, not leave half of it.
(cd "$out/src" && python3 "$here/patch-libgntring.py") || exit 1
(cd "$out/src" &&
 { diff -u ring.h.orig ring.h; diff -u ring.c.orig ring.c;
   diff -u channel.c.orig channel.c; } > ../experiments.diff || true)
cc -O3 -DNDEBUG -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fPIC \
   -shared -fvisibility=hidden -Wall -Wextra -I"$repo/include" -I"$out/src" \
   -DGNTRING_VERSION_STRING='"exp"' "$out/src/ring.c" "$out/src/channel.c" \
   -o "$out/lib/libgntring.so.1" -Wl,-soname,libgntring.so.1 \
   -Wl,--version-script="$out/src/libgntring.map" \
   -lxengnttab -lxenevtchn -lxenstore -lpthread
echo "$out/lib/libgntring.so.1 (diff: $out/experiments.diff)"
