#!/usr/bin/env bash
# Measures the real CareDesk app against a bare Tauri 2 window built in the
# same run: startup time until the patient list is rendered, and idle memory
# (PSS summed over the app and its WebKit processes). Prints progress on
# stderr and, as the last line of stdout, one JSON object.
#
#   tests/bench/app-startup.sh [--runs N] [--skip-build]
#
# It builds the UI (npm ci when needed, npm run build), the app
# (release, custom-protocol), the bare window and caredesk-bench; then, under
# Xvfb in a private D-Bus session with a throwaway unlocked gnome-keyring,
# writes a data directory with the generated 100,000 patients and 1,000,000
# messages (its key in that keyring) and runs `caredesk-bench app-startup`.
# Everything runs under timeouts; the data directory is removed at the end.
# See src-tauri/bench/README.md for the method.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
RUNS=3
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    *) echo "usage: $0 [--runs N] [--skip-build]" >&2; exit 2 ;;
  esac
done

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export CARGO_TARGET_DIR="$TARGET"
log() { echo "app-startup: $*" >&2; }

for tool in xvfb-run dbus-run-session gnome-keyring-daemon WebKitWebDriver; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run ./tasks.sh test once (it installs the system packages)"; exit 1; }
done

if [ "$BUILD" = 1 ]; then
  log "building the UI"
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules ]; then
    (cd ui && timeout 600 npm ci --no-audit --no-fund >&2)
  fi
  (cd ui && timeout 300 npm run build >&2)
  log "building the app, the bare window and caredesk-bench (release)"
  timeout 3000 cargo build --release \
    -p caredesk-desktop --features caredesk-desktop/custom-protocol \
    -p caredesk-bare-window --features caredesk-bare-window/custom-protocol \
    -p caredesk-bench >&2
fi

DRIVER="$(command -v tauri-driver || true)"
if [ -z "$DRIVER" ] && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  DRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
fi
if [ -z "$DRIVER" ]; then
  log "installing tauri-driver"
  timeout 900 cargo install tauri-driver --version '^2' --locked >&2
  DRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
fi

BENCH="$TARGET/release/caredesk-bench"
APP="$TARGET/release/caredesk-desktop"
BARE="$TARGET/release/caredesk-bare-window"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/caredesk-startup.XXXXXX")"
trap 'rm -rf "$DATA"' EXIT

log "measuring under Xvfb ($RUNS launches each)"
timeout 900 xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- "$ROOT/tests/support/with-keyring.sh" \
  bash -c '"$1" app-data "$2/data" >&2 && exec "$1" app-startup --app "$3" --bare "$4" --data "$2/data" --driver "$5" --runs "$6"' \
  _ "$BENCH" "$DATA" "$APP" "$BARE" "$DRIVER" "$RUNS"
