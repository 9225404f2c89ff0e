#!/bin/bash

# Keycloak reads no *_FILE variables: hand it the swarm secrets as the
# variables it reads, then start it as the image would.
set -e

export KC_BOOTSTRAP_ADMIN_PASSWORD="$(cat /run/secrets/admin_password)"
export KC_DB_PASSWORD="$(cat /run/secrets/db_password)"

exec /opt/keycloak/bin/kc.sh "$@"
