#!/bin/sh
# Starts the node's sshd and dockerd. The container runs without
# --privileged (which fails on this kind of machine: CAP_SYS_RESOURCE is
# not in the bounding set) but with every other capability and no seccomp,
# AppArmor or masked paths: /sys and each cgroup hierarchy are mounted
# read-only all the same, and dockerd needs them writable.
set -eu
mount -o remount,rw /sys
for d in /sys/fs/cgroup/*; do
	mount -o remount,rw,bind "$d" "$d" 2>/dev/null || true
done
# sshd with host keys of this node's own, made now (the image has none):
# the script pins the public one in the client's known_hosts.
ssh-keygen -A >/dev/null
mkdir -p /run/sshd
/usr/sbin/sshd
# The engine listens on its socket, and on whatever else the script passes
# (-H tcp://0.0.0.0:2375: unauthenticated, on the test's own bridge
# network, for a tcp:// endpoint).
exec dockerd -H unix:///var/run/docker.sock \
	--default-address-pool base=10.199.0.0/16,size=24 "$@"
