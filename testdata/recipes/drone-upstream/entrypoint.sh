#!/bin/sh
# Drone reads its settings from the environment only: export the secrets
# swarm mounts, then start the server. The admin account (DRONE_ADMIN_USER)
# is made at the first start with the admin_token secret as its API token
# (DRONE_USER_CREATE), for the API and the drone CLI.
set -e
export DRONE_RPC_SECRET="$(cat /run/secrets/rpc_secret)"
export DRONE_GITEA_CLIENT_SECRET="$(cat /run/secrets/client_secret)"
export DRONE_USER_CREATE="username:${DRONE_ADMIN_USER},admin:true,token:$(cat /run/secrets/admin_token)"
exec /bin/drone-server "$@"
