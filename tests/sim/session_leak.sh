#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# `xensim session --check-leaks` must fail when something outlives the
# command, and pass (with status showing zeroes) when nothing does.
#   session_leak.sh XENSIM
set -u
X=$1
# A process that keeps an unbound port and a shared page, left running: the
# session kills it, and the kernel-like cleanup must leave nothing behind.
out=$("$X" session --check-leaks -- sh -c "
  \"$X\" run --domid 1 -- python3 -c '
import os, fcntl, time
fd = os.open(\"/dev/xen/evtchn\", os.O_RDWR)
port = fcntl.ioctl(fd, 0x00044502, b\"\\x00\\x00\\x00\\x00\")
time.sleep(30)
' &
  # Python starts slowly on a loaded machine: wait (bounded) for the port.
  i=0
  while [ \$i -lt 100 ]; do
    \"$X\" status | grep -q '^total  *0  *0  *0  *0  *0  *1 ' && break
    sleep 0.1; i=\$((i + 1))
  done
  \"$X\" status
  exit 0" 2>&1)
rc=$?
echo "$out"
echo "$out" | grep -q '^total  *0  *0  *0  *0  *0  *1 ' || {
  echo "status did not show the bound port"; exit 1; }
[ $rc -eq 0 ] || { echo "session failed after killing the straggler"; exit 1; }
echo "straggler killed, nothing leaked: ok"
exit 0
