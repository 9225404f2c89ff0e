# The action image: one static recipe-test binary, the enrolled recipes'
# precompiled test binaries with their recipe.toml, Debian's
# chromium-headless-shell (with fonts) for browser tests, and OpenSSH's
# client for `--node NAME=ssh://...` endpoints, on Debian slim.
# No Go toolchain at run time, no USER line (the Actions runner mounts the
# Docker socket, owned by root; results written into the workspace are
# handed to the workspace's owner). The release workflow
# (.github/workflows/release.yml) builds and publishes it; bench/image.sh
# measures its size and start time.
#
# The build reaches the Go module proxy; the bases are golang:1.26-bookworm
# and debian:bookworm-slim (on machines without registry access, build them
# locally with scripts/base-images.sh, which tags them with these names).

FROM golang:1.26-bookworm AS build
# xz compresses the recipes' test binaries below.
RUN apt-get update && apt-get install -y --no-install-recommends xz-utils && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The release workflow passes git describe --tags --always --dirty.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/cc-ci/recipe-test/v2/internal/buildinfo.version=${VERSION}" -o /out/bin/recipe-test ./cmd/action
# Each enrolled recipe's tests, precompiled and compressed (a test binary is
# ~10 MB, most of it the harness every recipe links; xz -9e keeps ~31% of
# it): the custom stage unpacks recipes/<name>/<name>.test.xz into the
# run's folder and runs it.
RUN set -e; for dir in recipes/*/; do \
      name=$(basename "$dir"); mkdir -p "/out/share/recipes/$name"; \
      cp "$dir/recipe.toml" "/out/share/recipes/$name/"; \
      [ ! -f "$dir/PARITY.md" ] || cp "$dir/PARITY.md" "/out/share/recipes/$name/"; \
      if ls "$dir"/*_test.go >/dev/null 2>&1; then \
        CGO_ENABLED=0 go test -c -trimpath -ldflags "-s -w" -o "/out/share/recipes/$name/$name.test" "./$dir"; \
        xz -9e "/out/share/recipes/$name/$name.test"; \
      fi; \
    done; \
    mkdir -p /out/share/testdata && cp -r testdata/recipes /out/share/testdata/recipes

# The run-time system is what chromium-headless-shell needs to run, and no
# more: Debian slim installs it, and its dependency closure (its packages'
# files, plus the few files their install scripts generate) is copied into
# an empty root, which the final image starts from. The headless shell is
# all the harness drives (headless mode only), a third of the full
# browser; recipe-test and the recipes' test binaries are static. Left out
# of the closure: Mesa's GPU drivers and their LLVM (chromium-common
# depends on them, but with --disable-gpu Chromium renders with its own
# SwiftShader), X11 tools, keymaps, iconv modules, the full browser's
# resources, Vulkan's validation layer, other locales' strings, docs; no
# shell or package manager. The harness finds the binary in /usr/lib/chromium.
# openssh-client is there for ssh:// node endpoints (docker/cli's connection
# helper runs `ssh HOST docker system dial-stdio`): its ssh and the helpers
# ssh runs for FIDO and PKCS#11 keys, with their libraries (Kerberos',
# libfido2), about 3 MB; not its other tools (scp, sftp, the agent,
# ssh-keygen, ssh-keyscan) nor what only its install scripts use (adduser,
# passwd and their PAM, audit and SELinux policy libraries).
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium-headless-shell fonts-liberation ca-certificates tzdata openssh-client
RUN set -e; \
    skip=' libgl1-mesa-dri libllvm15 libz3-4 libxml2 libicu72 x11-utils xdg-utils sysvinit-utils openssl debconf xkb-data'; \
    skip="$skip adduser passwd libpam0g libpam-modules libpam-modules-bin libaudit1 libaudit-common libcap-ng0 libcrypt1 libdb5.3 libsemanage2 libsemanage-common libsepol2 "; \
    pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
      chromium-headless-shell fonts-liberation ca-certificates tzdata openssh-client | grep '^[a-z0-9]' | sort -u); \
    : > /tmp/files; \
    for p in $pkgs; do \
      case "$skip" in *" $p "*) continue ;; esac; \
      dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' || continue; \
      dpkg -L "$p" >> /tmp/files; \
    done; \
    printf '%s\n' /etc/ld.so.cache /etc/ld.so.conf /etc/ld.so.conf.d /etc/ssl/certs /etc/passwd /etc/group \
      /etc/nsswitch.conf /etc/localtime /var/cache/fontconfig >> /tmp/files; \
    mkdir -p /rootfs/usr/bin /rootfs/usr/lib /rootfs/usr/lib64 /rootfs/usr/sbin /rootfs/tmp /rootfs/root; \
    chmod 1777 /rootfs/tmp; chmod 700 /rootfs/root; \
    for l in bin lib lib64 sbin; do ln -s usr/$l /rootfs/$l; done; \
    sort -u /tmp/files | while read -r f; do \
      [ -e "$f" ] || [ -L "$f" ] || continue; \
      [ -d "$f" ] && [ ! -L "$f" ] && case "$f" in /etc/ssl/certs|/etc/ld.so.conf.d|/var/cache/fontconfig) ;; *) continue ;; esac; \
      case "$f" in /usr/share/doc/*|/usr/share/man/*|/usr/share/info/*|/usr/share/lintian/*|/usr/share/locale/*|/usr/lib/x86_64-linux-gnu/gconv/*) continue ;; esac; \
      case "$f" in /usr/bin/scp|/usr/bin/sftp|/usr/bin/slogin|/usr/bin/ssh-*|/usr/lib/openssh/agent-launch|/usr/lib/openssh/ssh-keysign|/usr/lib/systemd/*|/usr/share/apport/*) continue ;; esac; \
      printf '%s\n' "${f#/}"; \
    done > /tmp/keep; \
    tar -C / -cf - -T /tmp/keep | tar -C /rootfs --keep-directory-symlink -xf -; \
    cd /rootfs/usr/lib/chromium; \
    rm -f resources.pak chrome_100_percent.pak chrome_200_percent.pak libVkLayer_khronos_validation.so libVkICD_mock_icd.so chrome_crashpad_handler; \
    find locales -name '*.pak' ! -name 'en-US.pak' -delete; \
    chroot /rootfs /usr/lib/chromium/chromium-headless-shell --version; \
    if chroot /rootfs /lib64/ld-linux-x86-64.so.2 --list /usr/bin/ssh | grep 'not found'; then exit 1; fi

FROM scratch
COPY --from=runtime /rootfs /
ENV PATH=/usr/local/bin:/usr/bin:/bin HOME=/root
COPY --from=build /out/bin/recipe-test /usr/local/bin/recipe-test
# Bundled enrollments refer to fixture recipes by relative path, so both
# keep their places under /usr/share/recipe-test.
COPY --from=build /out/share /usr/share/recipe-test
ENV RECIPE_TEST_RECIPES=/usr/share/recipe-test/recipes
ENTRYPOINT ["/usr/local/bin/recipe-test"]
CMD ["action"]
