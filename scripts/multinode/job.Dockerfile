# The container scripts/multinode.sh runs the multi-node test in, on the
# manager's engine (as a runner's job container): the local Debian base
# with Debian's openssh-client, which docker/cli's connection helper runs
# for ssh:// endpoints. The test binary is static and copied in.
FROM debian:bookworm-slim
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-client \
 && rm -rf /var/lib/apt/lists/*
