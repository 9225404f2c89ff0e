#!/bin/sh

# The image reads the database and admin passwords from *_FILE variables
# where it can; export the ones it reads only from the environment, then
# start as the image would.
set -e

DISCOURSE_DATABASE_PASSWORD="$(cat /run/secrets/db_password)"
export DISCOURSE_DATABASE_PASSWORD
POSTGRESQL_CLIENT_POSTGRES_PASSWORD="$DISCOURSE_DATABASE_PASSWORD"
export POSTGRESQL_CLIENT_POSTGRES_PASSWORD
if [ -f /run/secrets/admin_password ]; then
  DISCOURSE_PASSWORD="$(cat /run/secrets/admin_password)"
  export DISCOURSE_PASSWORD
fi

exec /opt/bitnami/scripts/discourse/entrypoint.sh "$@"
