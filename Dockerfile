# The action image: one static recipe-test binary, the enrolled recipes'
# precompiled test binaries with their recipe.toml, and Chromium (with
# fonts) for browser tests, on Debian slim. No Go toolchain at run time, no
# USER line (the Actions runner mounts the Docker socket, owned by root).
#
# The build reaches the Go module proxy; the bases are golang:1.26-bookworm
# and debian:bookworm-slim (on machines without registry access, build them
# locally, e.g. debootstrap + docker import, and tag them with these names).

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The release workflow passes git describe --tags --always --dirty.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/cc-ci/recipe-test/v2/internal/buildinfo.version=${VERSION}" -o /out/bin/recipe-test ./cmd/action
# Each enrolled recipe's tests, precompiled: the custom stage runs
# recipes/<name>/<name>.test when it is there.
RUN set -e; for dir in recipes/*/; do \
      name=$(basename "$dir"); mkdir -p "/out/share/recipes/$name"; \
      cp "$dir/recipe.toml" "/out/share/recipes/$name/"; \
      [ ! -f "$dir/PARITY.md" ] || cp "$dir/PARITY.md" "/out/share/recipes/$name/"; \
      if ls "$dir"/*_test.go >/dev/null 2>&1; then \
        CGO_ENABLED=0 go test -c -trimpath -o "/out/share/recipes/$name/$name.test" "./$dir"; \
      fi; \
    done; \
    mkdir -p /out/share/testdata && cp -r testdata/recipes /out/share/testdata/recipes

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc /usr/share/man
COPY --from=build /out/bin/recipe-test /usr/local/bin/recipe-test
# Bundled enrollments refer to fixture recipes by relative path, so both
# keep their places under /usr/share/recipe-test.
COPY --from=build /out/share /usr/share/recipe-test
ENV RECIPE_TEST_RECIPES=/usr/share/recipe-test/recipes
ENTRYPOINT ["/usr/local/bin/recipe-test"]
CMD ["action"]
