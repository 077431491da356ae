# Shared steps of install-hub.sh and install-sender.sh. Every step is idempotent and is
# printed before it runs; with DRY_RUN=1 it is only printed.
# shellcheck shell=bash

PREFIX=${CAMNET_PREFIX:-/opt/camnet}
# shellcheck disable=SC2034  # used by the scripts that source this file
CONF_DIR=${CAMNET_CONF_DIR:-/etc/camnet}
UNIT_DIR=${CAMNET_UNIT_DIR:-/etc/systemd/system}
DRY_RUN=${DRY_RUN:-0}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

run() {
  echo "+ $*"
  if [ "$DRY_RUN" -eq 0 ]; then "$@"; fi
}

need_root() {
  if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "run me as root (sudo $0 ...), or with --dry-run to see the steps" >&2
    exit 1
  fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    run apt-get update -q
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    echo "= apt packages already installed: $*"
  fi
}

ensure_user() {  # ensure_user none|GROUP: the service user, in GROUP too
  if id camnet >/dev/null 2>&1; then
    echo "= user camnet exists"
  else
    run useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin camnet
  fi
  if [ "$1" != none ]; then run usermod -a -G "$1" camnet; fi
}

ensure_venv() {  # ensure_venv plain|system (system: sees apt's Python packages, e.g. picamera2)
  local flags=()
  if [ "$1" = system ]; then flags=(--system-site-packages); fi
  if [ -x "$PREFIX/venv/bin/python" ]; then
    echo "= virtual environment $PREFIX/venv exists"
  else
    run mkdir -p "$PREFIX"
    run python3 -m venv "${flags[@]}" "$PREFIX/venv"
  fi
}

install_config() {  # install_config TARGET hub|sender [key=value ...]: keeps an existing file
  # The file is the annotated example with the values set, written by camnet's own settings
  # code: every value is converted, range-checked and escaped as TOML (a camera URL with & or
  # \ stays intact), and a bad one stops the install with a message naming the setting.
  # It may hold camera, MQTT and webhook passwords: readable by root and the camnet group only.
  local target=$1 program=$2
  shift 2
  if [ -f "$target" ]; then
    echo "= keeping existing $target"
    protect_config "$target"
    return
  fi
  run mkdir -p "$(dirname "$target")"
  echo "+ write $target ($program settings) with: $*"
  if [ "$DRY_RUN" -eq 0 ]; then
    local text
    text=$(PYTHONPATH="$REPO" python3 -m common.config "$program" "$@") || exit 2
    (umask 077 && printf '%s\n' "$text" >"$target")
  fi
  protect_config "$target"
}

protect_config() {  # protect_config FILE: mode 0640, owner root, group camnet (the services' user)
  run chmod 640 "$1"
  if getent group camnet >/dev/null 2>&1; then
    run chown root:camnet "$1"
  else
    echo "= no group camnet here: $1 stays readable by its owner only"
  fi
}

install_unit() {  # install_unit FILE ENABLE_AS
  run install -m 644 "$REPO/deploy/$1" "$UNIT_DIR/$1"
  run systemctl daemon-reload
  run systemctl enable "$2"
  run systemctl restart "$2"
}
