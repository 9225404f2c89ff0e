#!/bin/sh
# authentik's bootstrap blueprint reads the first admin's (akadmin's)
# password and API token from the environment at the first start.
set -e
export AUTHENTIK_BOOTSTRAP_PASSWORD="$(cat /run/secrets/admin_pass)"
export AUTHENTIK_BOOTSTRAP_TOKEN="$(cat /run/secrets/admin_token)"
exec dumb-init -- ak "$@"
