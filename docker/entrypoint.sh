#!/bin/sh
# Seeds the workspace with /config/config.toml (if mounted) on first start, then runs the gateway.
set -e
mkdir -p "$TOQ_CONFIG_DIR"
if [ -f /config/config.toml ] && [ ! -f "$TOQ_CONFIG_DIR/config.toml" ]; then
  cp /config/config.toml "$TOQ_CONFIG_DIR/config.toml"
fi
exec node /app/dist/daemon/main.js "$@"
