#!/bin/sh
# Starts the node's dockerd. The container runs without --privileged (which
# fails on this kind of machine: CAP_SYS_RESOURCE is not in the bounding
# set) but with every other capability and no seccomp, AppArmor or
# masked paths: /sys and each cgroup hierarchy are mounted read-only all
# the same, and dockerd needs them writable.
set -eu
mount -o remount,rw /sys
for d in /sys/fs/cgroup/*; do
	mount -o remount,rw,bind "$d" "$d" 2>/dev/null || true
done
# The engine listens on its socket and, unauthenticated, on the test's own
# bridge network, where the other nodes and the test reach it.
exec dockerd -H unix:///var/run/docker.sock -H tcp://0.0.0.0:2375 \
	--default-address-pool base=10.199.0.0/16,size=24 "$@"
