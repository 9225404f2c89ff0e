#!/bin/sh

# Mailu reads its secret key and API token from the environment: export them
# from the swarm secrets the service has, then start as the image would.
set -e

SECRET_KEY="$(cat /run/secrets/secret_key)"
export SECRET_KEY
if [ -f /run/secrets/api_token ]; then
  API_TOKEN="$(cat /run/secrets/api_token)"
  export API_TOKEN
fi

exec "$@"
