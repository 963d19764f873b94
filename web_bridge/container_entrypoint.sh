#!/bin/sh
# Runs the WebSocket bridge and Envoy together; the container ends when either ends, so the platform restarts it.
set -eu
python -m web_bridge --host "$LUNA_WEB_BRIDGE_HOST" --port "$LUNA_WEB_BRIDGE_PORT" \
  --gateway "$LUNA_GATEWAY_ADDRESS" &
bridge=$!
python -m web_bridge.envoy --listen "0.0.0.0:$LUNA_WEB_PORT" --gateway "$LUNA_GATEWAY_ADDRESS" \
  --action-agent "$LUNA_ACTION_AGENT_ADDRESS" --bridge "$LUNA_WEB_BRIDGE_HOST:$LUNA_WEB_BRIDGE_PORT" \
  --app "$LUNA_APP_ADDRESS" &
envoy=$!
trap 'kill -TERM $bridge $envoy 2>/dev/null' TERM INT
# POSIX sh has no `wait -n`: poll until one of the two exits.
while kill -0 $bridge 2>/dev/null && kill -0 $envoy 2>/dev/null; do sleep 1; done
kill -TERM $bridge $envoy 2>/dev/null || true
wait
exit 1
