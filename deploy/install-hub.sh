#!/usr/bin/env bash
# Install the camnet hub as a systemd service on a Debian or Ubuntu machine.
#   sudo deploy/install-hub.sh [--port 8000] [--zmq-port 5555] [--dry-run]
# Safe to run again: it updates the code and the unit and keeps /etc/camnet/hub.toml.
set -euo pipefail
# shellcheck source=deploy/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=8000
ZMQ_PORT=5555
while [ $# -gt 0 ]; do
  case $1 in
    --port) PORT=$2; shift 2 ;;
    --zmq-port) ZMQ_PORT=$2; shift 2 ;;
    --dry-run) DRY_RUN=1; shift ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
need_root

apt_install python3 python3-venv
ensure_user none
ensure_venv plain
run "$PREFIX/venv/bin/pip" install --quiet --upgrade "${REPO}[hub]"
install_config "$CONF_DIR/hub.toml" hub "port=$PORT" "zmq_port=$ZMQ_PORT"
if [ "$DRY_RUN" -eq 0 ]; then run "$PREFIX/venv/bin/camnet-hub" --config "$CONF_DIR/hub.toml" --check-config; fi
install_unit camnet-hub.service camnet-hub.service

address=$(hostname -I 2>/dev/null | awk '{print $1}')
cat <<MSG

camnet hub installed. Check it with:
  systemctl status camnet-hub
  journalctl -u camnet-hub -f
  curl http://${address:-localhost}:$PORT/healthz
Open http://${address:-localhost}:$PORT/ in a browser; senders connect to ${address:-this host}:$ZMQ_PORT.
Settings: $CONF_DIR/hub.toml (then: systemctl restart camnet-hub).
MSG
