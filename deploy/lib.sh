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

install_config() {  # install_config TARGET EXAMPLE [key=value ...]: keeps an existing file
  local target=$1 example=$2
  shift 2
  if [ -f "$target" ]; then
    echo "= keeping existing $target"
    return
  fi
  run mkdir -p "$(dirname "$target")"
  echo "+ write $target from $example with: $*"
  if [ "$DRY_RUN" -eq 0 ]; then
    local text
    text=$(cat "$example")
    for pair in "$@"; do
      local key=${pair%%=*} value=${pair#*=}
      if ! [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]]; then value="\"${value//\"/\\\"}\""; fi  # strings quoted
      text=$(printf '%s\n' "$text" | sed -E "s|^#?${key} = .*|${key} = ${value//|/\\|}|")
    done
    printf '%s\n' "$text" >"$target"
    chmod 644 "$target"
  fi
}

install_unit() {  # install_unit FILE ENABLE_AS
  run install -m 644 "$REPO/deploy/$1" "$UNIT_DIR/$1"
  run systemctl daemon-reload
  run systemctl enable "$2"
  run systemctl restart "$2"
}
