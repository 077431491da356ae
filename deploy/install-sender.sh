#!/usr/bin/env bash
# Install a camnet sender as a systemd service on Raspberry Pi OS (or any Debian with a camera).
#   sudo deploy/install-sender.sh --hub HOST [--hub-key KEY] [--source picamera] [--name NAME] [--instance NAME] [--dry-run]
# --name is the camera's name on the hub (default: the host name; a Pi still called
# "raspberrypi" must be given one). --instance NAME (letters, digits, - and _) installs
# camnet-sender@NAME with /etc/camnet/sender-NAME.toml: one per camera.
# --hub-key KEY (install-hub.sh prints it) makes the sender use CURVE; the script creates this
# machine's key pair and prints the command that allows it on the hub.
# Safe to run again: it updates the code and the unit and keeps an existing config file.
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HUB=""
SOURCE=picamera
NAME=""
INSTANCE=""
HUB_KEY=""
STATE=${CAMNET_SENDER_STATE_DIR:-/var/lib/camnet-sender}
while [ $# -gt 0 ]; do
  case $1 in
    --hub) HUB=$2; shift 2 ;;
    --hub-key) HUB_KEY=$2; shift 2 ;;
    --hub-key=*) HUB_KEY=${1#--hub-key=}; shift ;;  # a Z85 key may start with "-"
    --source) SOURCE=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --instance) INSTANCE=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
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
settings=("server_ip=$HUB" "source=$SOURCE" "name=$NAME")
if [ -n "$HUB_KEY" ]; then settings+=("hub_key=$HUB_KEY" "key_file=$STATE/sender.key_secret"); fi
install_config "$CONFIG" sender "${settings[@]}"
if [ "$DRY_RUN" -eq 0 ]; then run "$PREFIX/venv/bin/camnet-sender" --config "$CONFIG" --check-config; fi
allow=""
if [ -n "$HUB_KEY" ]; then
  # The key pair lives in the sender's state directory (StateDirectory=camnet-sender), made as
  # the service user so that only it can read the secret half.
  run install -d -o camnet -g camnet -m 0700 "$STATE"
  echo "+ runuser -u camnet -- $PREFIX/venv/bin/camnet-sender --key-file $STATE/sender.key_secret --show-key"
  public=SENDER_PUBLIC_KEY
  if [ "$DRY_RUN" -eq 0 ]; then
    public=$(runuser -u camnet -- "$PREFIX/venv/bin/camnet-sender" --key-file "$STATE/sender.key_secret" --show-key)
  fi
  allow="On the hub, allow this camera's key (it gets no frame in until then):
  sudo /opt/camnet/venv/bin/camnet-hub sender allow -- '$NAME' '$public'
"
fi
install_unit "$UNIT" "$SERVICE"

cat <<MSG

camnet sender installed as $SERVICE, sending "$NAME" to $HUB. Check it with:
  systemctl status $SERVICE
  journalctl -u $SERVICE -f
and look for the camera at http://$HUB:8000/ (or http://$HUB:8000/api/cameras).
Settings: $CONFIG (then: systemctl restart $SERVICE).
$allow
MSG
