#!/usr/bin/env bash
# Install the camnet hub as a systemd service on a Debian or Ubuntu machine.
#   sudo deploy/install-hub.sh [--port 8000] [--zmq-port 5555] [--sender-auth none|curve] [--objects] [--dry-run]
# Safe to run again: it updates the code and the unit and keeps /etc/camnet/hub.toml.
# It creates the hub's CURVE key pair and prints the public key senders need (--hub-key).
# --objects installs the object model (person, car, ...; about 6 MB from the npm registry).
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=8000
ZMQ_PORT=5555
SENDER_AUTH=none
OBJECTS=0
STATE=${CAMNET_STATE_DIR:-/var/lib/camnet}
while [ $# -gt 0 ]; do
  case $1 in
    --port) PORT=$2; shift 2 ;;
    --zmq-port) ZMQ_PORT=$2; shift 2 ;;
    --sender-auth) SENDER_AUTH=$2; shift 2 ;;
    --objects) OBJECTS=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
need_root

apt_install python3 python3-venv
ensure_user none
ensure_venv plain
run "$PREFIX/venv/bin/pip" install --quiet --upgrade "${REPO}[hub]"
install_config "$CONF_DIR/hub.toml" hub "port=$PORT" "zmq_port=$ZMQ_PORT" "sender_auth=$SENDER_AUTH"
if [ "$DRY_RUN" -eq 0 ]; then run "$PREFIX/venv/bin/camnet-hub" --config "$CONF_DIR/hub.toml" --check-config; fi
# The state directory is systemd's (StateDirectory=camnet); made here so the keys exist before
# the first start. Run as root on it, camnet-hub acts as its owner, camnet.
run install -d -o camnet -g camnet -m 0700 "$STATE"
echo "+ $PREFIX/venv/bin/camnet-hub keys --data-dir $STATE"
hub_key=HUB_PUBLIC_KEY
if [ "$DRY_RUN" -eq 0 ]; then hub_key=$("$PREFIX/venv/bin/camnet-hub" keys --data-dir "$STATE"); fi
if [ "$OBJECTS" -eq 1 ]; then run "$PREFIX/venv/bin/camnet-hub" model install --data-dir "$STATE"; fi
install_unit camnet-hub.service camnet-hub.service

address=$(hostname -I 2>/dev/null | awk '{print $1}')
cat <<MSG

camnet hub installed. Check it with:
  systemctl status camnet-hub
  journalctl -u camnet-hub -f
  curl http://${address:-localhost}:$PORT/healthz
Open http://${address:-localhost}:$PORT/ in a browser; senders connect to ${address:-this host}:$ZMQ_PORT.
Settings: $CONF_DIR/hub.toml (then: systemctl restart camnet-hub).

Web login: with no users, the first start created user "admin" with a random password, shown
once in the log:  journalctl -u camnet-hub | grep password
Add people with:  sudo $PREFIX/venv/bin/camnet-hub user add NAME --role viewer --data-dir $STATE

The hub's public key (senders' --hub-key):
  $hub_key
Senders: sudo deploy/install-sender.sh --hub ${address:-HUB} --hub-key='$hub_key' ...
then allow each one here with the command it prints (camnet-hub sender allow CAMERA KEY).
Sender authentication is "$SENDER_AUTH"; to require keys set sender_auth = "curve" in $CONF_DIR/hub.toml.
MSG
if [ "$OBJECTS" -eq 0 ]; then
  echo "Objects (person, car, ... on every event): sudo $PREFIX/venv/bin/camnet-hub model install --data-dir $STATE"
fi
