#!/bin/sh

# Synapse makes its signing key once, into the data volume, then starts as
# the image would (start.py reads SYNAPSE_CONFIG_PATH).
set -e

python -m synapse.app.homeserver --config-path "$SYNAPSE_CONFIG_PATH" --generate-keys
exec /start.py "$@"
