#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Install the build into a scratch prefix, then build and run a program
# against it through pkg-config, and check the exported symbols.
set -eu
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" --component Unspecified >/dev/null
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH=$libdir
flags=$(pkg-config --cflags --libs gntring)
test -e "$prefix"/share/man/man7/gntring.7
test -e "$prefix"/share/man/man3/gntring_connect.3
cat >"$prefix/t.c" <<'C'
#include <stdio.h>
#include <gntring.h>
int main(void) { puts(gntring_version()); return gntring_read_size(NULL) != 0; }
C
cc -o "$prefix/t" "$prefix/t.c" $flags -Wl,-rpath,"$(dirname "$libdir")"
"$prefix/t"
# Only gntring_* symbols are exported: 27 at GNTRING_1.0, two more at 1.1.
lib=$(ls "$(dirname "$libdir")"/libgntring.so.1)
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /[TDB]/ && $3 !~ /^gntring_/ && $3 !~ /^GNTRING_/' || true)
if [ -n "$bad" ]; then
	echo "unexpected exports: $bad" >&2
	exit 1
fi
n=$(nm -D --defined-only "$lib" | grep -c ' T gntring_')
echo "exported $n functions"
test "$n" -eq 29
test "$(nm -D --defined-only --with-symbol-versions "$lib" |
    grep -c ' T gntring_.*@@GNTRING_1\.0$')" -eq 27
nm -D --defined-only --with-symbol-versions "$lib" |
    grep -q ' T gntring_set_spin@@GNTRING_1\.1$'
nm -D --defined-only --with-symbol-versions "$lib" |
    grep -q ' T gntring_abort@@GNTRING_1\.1$'
