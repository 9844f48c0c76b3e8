#!/usr/bin/env bash
# Memory after use: the release app's PSS (summed over it and its WebKit
# processes) idle, after a scripted session (50 threads opened, 100 texts
# sent, 200 replies received, a 2,000-message thread scrolled to its start,
# every dialog opened) and after 2,880 more sync cycles (8 hours at the
# default 10-s interval, run at 100 ms). Prints progress on stderr and the
# figures as the last line of stdout (JSON).
#
#   tests/bench/app-after-use.sh [--skip-build]
#
# Runs the ignored end-to-end test `memory_after_use_and_after_idle_hours`
# (tests/e2e/memory_after_use.rs) against target/release/caredesk-desktop,
# under Xvfb in a private D-Bus session with a throwaway gnome-keyring.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BUILD=1
[ "${1:-}" = "--skip-build" ] && BUILD=0
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
log() { echo "app-after-use: $*" >&2; }

for tool in xvfb-run dbus-run-session gnome-keyring-daemon WebKitWebDriver; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run ./tasks.sh test once (it installs the system packages)"; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  log "building the UI, the release app and the test harness"
  (cd ui && timeout 300 npm run build --silent >&2)
  timeout 3000 cargo build --release -p caredesk-desktop --features caredesk-desktop/custom-protocol >&2
  timeout 3000 cargo build -p caredesk-cli >&2
fi
APP="$TARGET/release/caredesk-desktop"
[ -x "$APP" ] || { log "$APP is missing: run without --skip-build"; exit 1; }

log "running the scripted session and the idle hours (about 15 minutes)"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
CAREDESK_E2E=1 CAREDESK_E2E_APP="$APP" timeout 2700 xvfb-run -a -s "-screen 0 1280x800x24" \
  tests/support/with-keyring.sh cargo test -q -p caredesk-tests \
  --test e2e_app memory_after_use -- --ignored --nocapture 2>&1 | tee "$OUT" >&2
grep -o 'memory after use: .*' "$OUT" | tail -1 | sed 's/^memory after use: //'
