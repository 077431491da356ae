"""Settings: defaults <- TOML <- CAMNET_* environment <- flags, with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import config
from common.config import ConfigError, HubConfig, SenderConfig


def load_hub(argv: list[str], env: dict[str, str] | None = None) -> HubConfig:
    return config.load(HubConfig, argv, env or {}, "camnet-hub", "")[0]


def test_defaults_follow_the_seed() -> None:
    cfg = load_hub([])
    assert (cfg.ip, cfg.port, cfg.zmq_port, cfg.frame_count) == ("0.0.0.0", 8000, 5555, 32)
    assert (cfg.accum_weight, cfg.threshold, cfg.offline_after) == (0.1, 25, 5.0)


def test_layers_file_then_env_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("port = 9000\nzmq_port = 6000\nthreshold = 30\n")
    cfg = load_hub(["--config", str(path), "--port", "9100"], {"CAMNET_ZMQ_PORT": "6100"})
    assert (cfg.port, cfg.zmq_port, cfg.threshold) == (9100, 6100, 30)


def test_seed_short_flags() -> None:
    cfg = load_hub(["-i", "127.0.0.1", "-o", "8123", "-f", "16"])
    assert (cfg.ip, cfg.port, cfg.frame_count) == ("127.0.0.1", 8123, 16)


def test_unknown_key_names_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("port = 9000\n\nzmq_prot = 6000\n")
    with pytest.raises(ConfigError, match=r"line 3: unknown setting 'zmq_prot'"):
        load_hub(["--config", str(path)])


@pytest.mark.parametrize(
    "text, message",
    [
        ("port = 70000\n", "port must be between 1 and 65535"),
        ('port = "80"\n', "port must be a int"),
        ('log_level = "loud"\n', "log_level must be one of"),
        ("port = [\n", "not valid TOML"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_hub(["--config", str(path)])


def test_bad_environment_value() -> None:
    with pytest.raises(ConfigError, match="CAMNET_PORT: 'eighty' is not a valid int"):
        load_hub([], {"CAMNET_PORT": "eighty"})


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_hub(["--config", "/nonexistent/hub.toml"])


def test_sender_requires_hub_and_source() -> None:
    with pytest.raises(ConfigError, match="server_ip is required"):
        config.load(SenderConfig, ["--source", "synthetic"], {}, "camnet-sender", "")
    cfg, _ = config.load(
        SenderConfig, ["--server-ip", "hub", "--source", "0", "--loop"], {"CAMNET_FPS": "5"}, "camnet-sender", ""
    )
    assert (cfg.server_ip, cfg.source, cfg.loop, cfg.fps, cfg.server_port) == ("hub", "0", True, 5.0, 5555)


def test_describe_round_trips_through_toml(tmp_path: Path) -> None:
    cfg = load_hub(["--port", "8111", "--ip", "127.0.0.1"])
    path = tmp_path / "hub.toml"
    path.write_text(config.describe(cfg))
    assert load_hub(["--config", str(path)]) == cfg
