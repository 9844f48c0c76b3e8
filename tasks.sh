#!/usr/bin/env bash
# CareDesk's task runner. Two commands for a new user on Debian 12 / Ubuntu:
#   ./tasks.sh app    install what is missing, build, and start the app (sandbox by default;
#                     the first build takes about 10 minutes on a 2-core machine)
#   ./tasks.sh test   install what is missing and run every test suite
# Other tasks: ./tasks.sh setup | build | ui | lint | types | package | cli ARGS...
#   types     rewrite ui/src/platform/contract.ts (the UI's types, generated from the Rust types by
#             ts-rs) after changing a type a command returns or takes; `test` fails while it is stale
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
APP_FEATURES="caredesk-desktop/custom-protocol"

APT_PACKAGES="libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev \
libayatana-appindicator3-dev librsvg2-dev pkg-config xvfb xauth webkit2gtk-driver dbus dbus-x11 \
gnome-keyring libsecret-1-dev sqlite3 imagemagick x11-utils fonts-noto-color-emoji postgresql openssl python3-venv"

# The FHIR R4 server the FHIR roster tests start for themselves (tests/support/fhir.rs): SEKMET
# from PyPI, pinned, in a venv under target/ (about 15 s the first time; reused while the pin stays).
SEKMET_VERSION="0.1.1"
# The independent validator of the FHIR write-back test (tests/support/fhir_validate.py):
# fhir.resources 6.4.0 is the last release with FHIR R4 (4.0.1) models (6.5 moved to R4B); it
# needs pydantic 1.
FHIR_RESOURCES_VERSION="6.4.0"
PYDANTIC_VERSION="1.10.21"

step() { printf '\n==> %s  [%s]\n' "$*" "$(date +%H:%M:%S)" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "run as root or install sudo to install: $APT_PACKAGES"; fi
}

setup_system() {
  local missing=()
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    step "apt: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v cargo >/dev/null || die "Rust is not installed: install it with rustup (https://rustup.rs), then run this again"
  command -v node >/dev/null || die "Node.js 20.19 or newer is needed for the UI build"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js $(node --version) is too old: the UI build needs 20.19 or newer"
}

setup_ui() {
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    step "npm ci (ui)"
    (cd ui && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

setup_tauri_driver() {
  if ! command -v tauri-driver >/dev/null; then
    step "cargo install tauri-driver"
    timeout 900 cargo install tauri-driver --version '^2' --locked --quiet
  fi
}

# Installs SEKMET (sekmet-fhir==$SEKMET_VERSION) into target/sekmet-venv unless it is there, and
# names its program in CAREDESK_SEKMET for the tests.
setup_fhir_server() {
  local venv="$ROOT/target/sekmet-venv"
  if [ ! -x "$venv/bin/sekmet" ] || ! "$venv/bin/pip" show sekmet-fhir 2>/dev/null | grep -qx "Version: $SEKMET_VERSION"; then
    step "pip: sekmet-fhir==$SEKMET_VERSION (a FHIR R4 server for the FHIR tests) into target/sekmet-venv"
    command -v python3 >/dev/null || die "python3 is needed for the FHIR server of the tests (apt install python3-venv)"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed: install python3-venv"
    timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check "sekmet-fhir==$SEKMET_VERSION" \
      || die "pip could not install sekmet-fhir==$SEKMET_VERSION"
  fi
  export CAREDESK_SEKMET="$venv/bin/sekmet"
}

# Installs fhir.resources==$FHIR_RESOURCES_VERSION into target/fhir-validator-venv unless it is
# there, and names its python in CAREDESK_FHIR_VALIDATOR_PY for the write-back test.
setup_fhir_validator() {
  local venv="$ROOT/target/fhir-validator-venv"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/pip" show fhir.resources 2>/dev/null | grep -qx "Version: $FHIR_RESOURCES_VERSION"; then
    step "pip: fhir.resources==$FHIR_RESOURCES_VERSION (an independent FHIR R4 validator for the write-back test) into target/fhir-validator-venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed: install python3-venv"
    timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "fhir.resources==$FHIR_RESOURCES_VERSION" "pydantic==$PYDANTIC_VERSION" \
      || die "pip could not install fhir.resources==$FHIR_RESOURCES_VERSION"
  fi
  export CAREDESK_FHIR_VALIDATOR_PY="$venv/bin/python"
}

build_ui() {
  step "ui: type check, build into ui/dist"
  (cd ui && timeout 300 npm run build --silent)
}

# The UI build rewrites ui/dist, which makes cargo re-embed it and relink the
# release app (minutes): skip it when nothing the UI is built from changed.
build_ui_if_stale() {
  if [ -f ui/dist/index.html ] && [ -z "$(find ui/src ui/scripts ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts ui/tsconfig.json \
      -newer ui/dist/index.html -print -quit 2>/dev/null)" ]; then
    return
  fi
  build_ui
}

# Runs a command with Xvfb, a private D-Bus session and an unlocked gnome-keyring.
with_desktop() {
  timeout "${CAREDESK_SUITE_TIMEOUT:-2400}" xvfb-run -a -s "-screen 0 1280x800x24" tests/support/with-keyring.sh "$@"
}

cmd_app() {
  setup_system
  setup_ui
  build_ui_if_stale
  step "cargo build --release (app and CLI)"
  cargo build --release -p caredesk-desktop -p caredesk-cli --features "$APP_FEATURES"
  step "starting CareDesk"
  exec "$ROOT/target/release/caredesk-desktop" "$@"
}

cmd_lint() {
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy -D warnings"
  timeout 1800 cargo clippy --workspace --all-targets --features "$APP_FEATURES" --quiet -- -D warnings
}

cmd_test() {
  local start=$SECONDS
  setup_system
  setup_ui
  setup_tauri_driver
  setup_fhir_server
  setup_fhir_validator
  build_ui
  step "ui: component tests (vitest)"
  (cd ui && timeout 600 npm test --silent)
  cmd_lint
  step "cargo build (workspace, all targets)"
  timeout 2400 cargo build --workspace --all-targets --features "$APP_FEATURES" --quiet
  local deb
  deb="$(build_package)"
  step "cargo test: unit, integration (real keyring), the package (installed and removed) and end-to-end (Xvfb + tauri-driver)"
  # The team tests keep PostgreSQL down for the issue's full minute.
  CAREDESK_E2E=1 CAREDESK_PACKAGE_DEB="$deb" CAREDESK_TEAM_OFFLINE_SECS=60 \
    with_desktop cargo test --workspace --features "$APP_FEATURES" --no-fail-fast
  step "all suites passed in $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s"
}

# The UI's types of the command contract, written anew from the Rust types
# (src-tauri/src/contract.rs lists them), then the UI type-checked against them.
cmd_types() {
  step "ts-rs: writing ui/src/platform/contract.ts from the Rust types"
  CAREDESK_WRITE_CONTRACT=1 timeout 1800 cargo test -p caredesk-desktop --lib --quiet \
    contract::tests::the_typescript_contract_is_current
  setup_ui
  step "ui: type check against the new contract"
  (cd ui && npx tsc --noEmit) || die "the UI does not match the new contract: fix what tsc names above"
}

setup_bundler() {
  if [ ! -d src-tauri/bundler/node_modules ] || [ src-tauri/bundler/package-lock.json -nt src-tauri/bundler/node_modules/.package-lock.json ]; then
    step "npm ci (src-tauri/bundler: Tauri's CLI, for its bundler)"
    (cd src-tauri/bundler && timeout 600 npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# The Debian package: the release app and CLI, bundled by Tauri's bundler
# (desktop entry, icons, /usr/bin/caredesk-desktop and /usr/bin/caredesk,
# Depends from src-tauri/bundler/deb.conf.json), renamed to the package `caredesk`
# (the bundler names it after the product, `care-desk`, and has no setting for
# it). Prints the path of target/release/bundle/deb/caredesk_VERSION_ARCH.deb.
cmd_package() {
  setup_system
  setup_ui
  build_ui_if_stale
  build_package
}

build_package() {
  setup_bundler
  step "cargo build --release (app and CLI)"
  timeout 3000 cargo build --release -p caredesk-desktop -p caredesk-cli --features "$APP_FEATURES" --quiet
  step "bundling the Debian package"
  local out="${CARGO_TARGET_DIR:-$ROOT/target}/release/bundle/deb"
  rm -rf "$out"
  # src-tauri/tauri.conf.json links to the root one: the bundler wants the
  # config beside the app crate; paths in deb.conf.json are relative to src-tauri/.
  (cd src-tauri && TAURI_APP_PATH="$ROOT/src-tauri" timeout 600 "$ROOT/src-tauri/bundler/node_modules/.bin/tauri" bundle \
    --ci --bundles deb --features custom-protocol --config "$ROOT/src-tauri/bundler/deb.conf.json" >&2)
  local version arch tauri_deb unpacked deb
  version="$(node -p 'require("./tauri.conf.json").version')"
  arch="$(dpkg --print-architecture)"
  tauri_deb="$out/CareDesk_${version}_${arch}.deb"
  [ -f "$tauri_deb" ] || die "the bundler made no $tauri_deb"
  unpacked="$(mktemp -d)"
  dpkg-deb -R "$tauri_deb" "$unpacked/pkg"
  sed -i 's/^Package: .*/Package: caredesk/' "$unpacked/pkg/DEBIAN/control"
  deb="$out/caredesk_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -b "$unpacked/pkg" "$deb" >/dev/null
  rm -rf "$unpacked" "$tauri_deb"
  step "package: $deb ($(du -h "$deb" | cut -f1))"
  echo "$deb"
}

# The CLI: the release binary `./tasks.sh app` built when it is there and
# no older than the sources (no 3-minute debug build), otherwise a debug build.
cmd_cli() {
  local release="${CARGO_TARGET_DIR:-$ROOT/target}/release/caredesk"
  if [ -x "$release" ] && [ -z "$(find src-tauri/core/src src-tauri/cli/src Cargo.lock -newer "$release" -print -quit)" ]; then
    exec "$release" "$@"
  fi
  exec cargo run --quiet -p caredesk-cli -- "$@"
}

case "${1:-}" in
  app) shift; cmd_app "$@" ;;
  test) cmd_test ;;
  setup) setup_system; setup_ui; setup_tauri_driver ;;
  build) setup_ui; build_ui; cargo build --workspace --features "$APP_FEATURES" ;;
  ui) setup_ui; build_ui; (cd ui && npm test) ;;
  lint) cmd_lint ;;
  types) cmd_types ;;
  package) cmd_package ;;
  cli) shift; cmd_cli "$@" ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
