#!/bin/sh

# The collaboration server reads its keys from its environment only: hand
# it the swarm secrets, then start it through the image's entrypoint.
set -e

export COLLABORATION_SERVER_SECRET="$(cat /run/secrets/collab_secret)"
export Y_PROVIDER_API_KEY="$(cat /run/secrets/yprovider_key)"

exec /usr/local/bin/entrypoint "$@"
