#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service (gnome-keyring) on a
# private D-Bus session. Use it as: dbus-run-session -- tests/support/with-keyring.sh CMD...
# (The keyring lives in a throwaway XDG_DATA_HOME and dies with the session.)
set -euo pipefail
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  exec dbus-run-session -- "$0" "$@"
fi
export XDG_DATA_HOME="${CAREDESK_KEYRING_HOME:-$(mktemp -d)}"
export NO_AT_BRIDGE=1
eval "$(printf 'caredesk-test' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
exec "$@"
