#!/bin/sh
# n8n's container entrypoint, as the official image's: custom CA
# certificates from /opt/custom-certificates are trusted when that
# directory exists, then n8n runs with the container's arguments, if any.
if [ -d /opt/custom-certificates ]; then
  echo "Trusting custom certificates from /opt/custom-certificates."
  export NODE_OPTIONS="--use-openssl-ca $NODE_OPTIONS"
  export SSL_CERT_DIR=/opt/custom-certificates
fi

if [ "$#" -gt 0 ]; then
  exec n8n "$@"
else
  exec n8n
fi
