#!/usr/bin/env bash
# Install a camnet sender as a systemd service on Raspberry Pi OS (or any Debian with a camera).
#   sudo deploy/install-sender.sh --hub HOST [--source picamera] [--name NAME] [--instance NAME] [--dry-run]
# --name is the camera's name on the hub (default: the host name; a Pi still called
# "raspberrypi" must be given one). --instance NAME (letters, digits, - and _) installs
# camnet-sender@NAME with /etc/camnet/sender-NAME.toml: one per camera.
# Safe to run again: it updates the code and the unit and keeps an existing config file.
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HUB=""
SOURCE=picamera
NAME=""
INSTANCE=""
while [ $# -gt 0 ]; do
  case $1 in
    --hub) HUB=$2; shift 2 ;;
    --source) SOURCE=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --instance) INSTANCE=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$HUB" ]; then
  echo "--hub HOST is required: the address of the machine running camnet-hub" >&2
  exit 2
fi
if [ -n "$INSTANCE" ] && ! [[ $INSTANCE =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$ ]]; then
  echo "--instance must be 1 to 32 letters, digits, - or _ (it names a file and a service), got: $INSTANCE" >&2
  exit 2
fi
if [ -z "$NAME" ]; then
  host=$(hostname)
  if [ "$host" = raspberrypi ]; then
    echo "this Pi is still called 'raspberrypi', like every fresh Raspberry Pi OS: a second one would" >&2
    echo "merge into this camera's feed. Name the camera: --name garage (or rename the host)." >&2
    exit 2
  fi
  NAME=$host${INSTANCE:+-$INSTANCE}
fi
need_root

if [ -n "$INSTANCE" ]; then
  CONFIG="$CONF_DIR/sender-$INSTANCE.toml" UNIT=camnet-sender@.service SERVICE="camnet-sender@$INSTANCE"
else
  CONFIG="$CONF_DIR/sender.toml" UNIT=camnet-sender.service SERVICE=camnet-sender
fi

packages=(python3 python3-venv)
# picamera2 comes from Raspberry Pi OS's apt (it needs libcamera); the venv sees it through
# --system-site-packages. The sender extra pulls in no web framework.
if [ "$SOURCE" = picamera ]; then packages+=(python3-picamera2); fi
apt_install "${packages[@]}"
ensure_user video
ensure_venv system
run "$PREFIX/venv/bin/pip" install --quiet --upgrade "$REPO"
install_config "$CONFIG" sender "server_ip=$HUB" "source=$SOURCE" "name=$NAME"
if [ "$DRY_RUN" -eq 0 ]; then run "$PREFIX/venv/bin/camnet-sender" --config "$CONFIG" --check-config; fi
install_unit "$UNIT" "$SERVICE"

cat <<MSG

camnet sender installed as $SERVICE, sending "$NAME" to $HUB. Check it with:
  systemctl status $SERVICE
  journalctl -u $SERVICE -f
and look for the camera at http://$HUB:8000/ (or http://$HUB:8000/api/cameras).
Settings: $CONFIG (then: systemctl restart $SERVICE).
MSG
