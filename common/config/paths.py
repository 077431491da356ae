"""Where each program keeps its state when the settings do not say."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from common.config.programs import HubConfig, SenderConfig


def state_home(env: Mapping[str, str], program: str) -> Path:
    """A program's state directory: systemd's StateDirectory=, else the user's XDG one."""
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    base = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "state")
    return Path(base) / program


def data_dir(cfg: HubConfig, env: Mapping[str, str]) -> Path:
    """Where the hub keeps its state: data_dir, else the state directory."""
    return Path(cfg.data_dir).expanduser() if cfg.data_dir else state_home(env, "camnet")


def sender_key_file(cfg: SenderConfig, env: Mapping[str, str]) -> Path:
    """Where the sender keeps its CURVE key pair: key_file, else in its state directory."""
    if cfg.key_file:
        return Path(cfg.key_file).expanduser()
    return state_home(env, "camnet-sender") / "sender.key_secret"
