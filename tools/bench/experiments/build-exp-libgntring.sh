#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# build-exp-libgntring.sh SRC OUTDIR: build the libgntring of the source
# tree SRC (a checkout or a git worktree holding an experimental change) as
# a Release build in OUTDIR, and print the directory to give to
# `gntring-bench --exp-libdir`, which then measures that library as the
# column gntring-exp beside the stock one and libxenvchan, in the same run.
#
#   git worktree add /tmp/exp HEAD && $EDITOR /tmp/exp/libgntring/channel.c
#   tools/bench/experiments/build-exp-libgntring.sh /tmp/exp /tmp/exp-build
#   build/bin/gntring-bench --exp-libdir /tmp/exp-build/lib \
#       --apis gntring,gntring-exp,xenvchan
set -eu
src=${1:?usage: build-exp-libgntring.sh SRC OUTDIR}
out=${2:?usage: build-exp-libgntring.sh SRC OUTDIR}
[ -f "$src/libgntring/ring.c" ] || {
	echo "build-exp-libgntring.sh: $src has no libgntring/" >&2
	exit 2
}
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$out" --target gntring -j "$(getconf _NPROCESSORS_ONLN)" >/dev/null
[ -e "$out/lib/libgntring.so.1" ] || {
	echo "build-exp-libgntring.sh: no $out/lib/libgntring.so.1" >&2
	exit 1
}
echo "$out/lib"
