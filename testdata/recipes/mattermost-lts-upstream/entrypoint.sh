#!/bin/sh

# Mattermost reads its database's address, password included, from one
# variable: build it from the swarm secret, then start the server as the
# image would.
set -e

MM_SQLSETTINGS_DATASOURCE="postgres://mattermost:$(cat /run/secrets/db_password)@db:5432/mattermost?sslmode=disable&connect_timeout=10"
export MM_SQLSETTINGS_DATASOURCE

exec /mattermost/bin/mattermost "$@"
