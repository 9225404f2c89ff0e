#!/bin/bash
# Hands the SuperUser's password from its swarm secret to the image's own
# entrypoint, which sets it from MUMBLE_SUPERUSER_PASSWORD before the
# server starts.
set -e
MUMBLE_SUPERUSER_PASSWORD="$(cat /run/secrets/admin_password)"
export MUMBLE_SUPERUSER_PASSWORD
exec /entrypoint.sh "$@"
