"""Settings: defaults <- TOML <- CAMNET_* environment <- flags, with errors that name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from common import config
from common.config import ConfigError, HubConfig, SenderConfig
from common.detectors import SeedDetector


def load_hub(argv: list[str], env: dict[str, str] | None = None) -> HubConfig:
    return config.load(HubConfig, argv, env or {}, "camnet-hub", "")[0]


def test_defaults_follow_the_seed() -> None:
    cfg = load_hub([])
    assert (cfg.ip, cfg.port, cfg.zmq_port, cfg.frame_count) == ("0.0.0.0", 8000, 5555, 32)
    assert (cfg.accum_weight, cfg.offline_after, cfg.detector) == (0.1, 5.0, "robust")
    seed = SeedDetector(cfg.threshold, cfg.accum_weight, cfg.frame_count)  # threshold 0: the detector's own
    assert (seed.threshold, seed.model.accum_weight) == (25, 0.1), "--detector seed is the tutorial's tVal"


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
        ("port = 70000\n", "port must be between 0 and 65535"),
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


@pytest.mark.parametrize("module", ["hub.cli", "client.cli", "hub.demo"])
def test_help_a_person_can_act_on(module: str) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert "None" not in out and "``" not in out
    flat = " ".join(out.split())  # argparse wraps to the terminal's width
    for option in flat.split(" -")[1:]:
        assert option.count("(default") + option.count("; default") <= 1, f"a default shown twice: {option}"
    if module == "client.cli":
        assert "required (as a flag" in flat and "env CAMNET_SERVER_IP" in flat and "0.1 to 240" in flat
    if module == "hub.cli":
        assert "{debug,info,warning,error}" in flat and "the ZeroMQ port listen" in flat
        assert "(0: any free port) (default: 8000; 0 to 65535; env CAMNET_PORT)" in flat


def test_every_missing_required_setting_is_named_at_once() -> None:
    with pytest.raises(ConfigError, match=r"server_ip and source are required.*--server-ip.*--source"):
        config.load(SenderConfig, [], {}, "camnet-sender", "")


def test_log_level_is_case_insensitive_and_viewer_timeout_keeps_fractions() -> None:
    assert load_hub(["--log-level", "DEBUG"]).log_level == "debug"
    assert load_hub([], {"CAMNET_LOG_LEVEL": "Warning"}).log_level == "warning"
    assert load_hub(["--viewer-timeout", "0.5", "--port", "0"]).viewer_timeout == 0.5


def test_install_values_are_escaped_and_checked() -> None:
    url = "rtsp://u:p@10.0.0.5/cam/realmonitor?channel=1&subtype=0"
    name = 'odd \\ "name" | & \t'
    text = config.example_with(SenderConfig, "camnet-sender", [f"source={url}", f"name={name}", "fps=7"])
    values = tomllib.loads(text)
    assert (values["source"], values["name"], values["fps"]) == (url, name, 7.0)
    with pytest.raises(ConfigError, match="fps must be between"):
        config.example_with(SenderConfig, "camnet-sender", ["fps=999"])
    with pytest.raises(ConfigError, match="cannot set 'nope=1'"):
        config.example_with(SenderConfig, "camnet-sender", ["nope=1"])


def test_camera_tables_set_one_cameras_motion(tmp_path: Path) -> None:
    from hub.masks import settings_for

    path = tmp_path / "hub.toml"
    path.write_text(
        "threshold = 12\nmin_area = 0.001\n\n"
        '[cameras."front door"]\ndetector = "SEED"\nstart_frames = 4\n'
        "masks = [[[0, 0], [1, 0], [1, 0.2]]]\n\n"
        "[cameras.garage]\nanalysis_fps = 5\n"
    )
    cfg = load_hub(["--config", str(path)])
    door = settings_for(cfg, "front door")
    assert (door.detector, door.start_frames, door.threshold, door.min_area) == ("seed", 4, 12, 0.001)
    assert door.masks == (((0.0, 0.0), (1.0, 0.0), (1.0, 0.2)),)
    assert settings_for(cfg, "garage").analysis_fps == 5.0
    other = settings_for(cfg, "not yet connected", saved=(((0.1, 0.1), (0.2, 0.1), (0.2, 0.2)),))
    assert (other.detector, other.threshold, len(other.masks)) == ("robust", 12, 1)
    assert '[cameras."front door"]' in config.describe(cfg), "--check-config shows the tables"
    assert tomllib.loads(config.describe(cfg))["cameras"]["front door"]["start_frames"] == 4


@pytest.mark.parametrize(
    "table, message",
    [
        ("[cameras.garage]\nthreshhold = 3\n", r"line 1: \[cameras.\"garage\"\]: unknown setting 'threshhold'"),
        ("[cameras.garage]\nstart_frames = 0\n", r"start_frames must be between 1 and 100"),
        ('[cameras.garage]\ndetector = "fancy"\n', r"detector must be one of robust, seed"),
        ("[cameras.garage]\nmasks = [[[0, 0], [1, 0]]]\n", r"polygon 1 needs 3 to 64 corners"),
        ("[cameras.garage]\nmasks = [[[0, 0], [1.5, 0], [1, 1]]]\n", r"corner \[1.5, 0\] that is not \[x, y\] in 0-1"),
        ("[cameras.garage]\nport = 80\n", r"unknown setting 'port'; a camera's table may set detector"),
        ('cameras = "garage"\n', r"'cameras' must be tables like \[cameras.garage\]"),
        ('[cameras."a/b"]\nthreshold = 3\n', r"camera name 'a/b' has a '/'"),
    ],
)
def test_bad_camera_tables_name_what_is_wrong(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "hub.toml"
    path.write_text(table)
    with pytest.raises(ConfigError, match=message):
        load_hub(["--config", str(path)])


def test_data_dir_follows_systemd_then_xdg(tmp_path: Path) -> None:
    cfg = load_hub([])
    assert config.data_dir(cfg, {"STATE_DIRECTORY": "/var/lib/camnet"}) == Path("/var/lib/camnet")
    assert config.data_dir(cfg, {"HOME": "/home/pi"}) == Path("/home/pi/.local/state/camnet")
    assert config.data_dir(cfg, {"XDG_STATE_HOME": "/x", "HOME": "/h"}) == Path("/x/camnet")
    given = load_hub(["--data-dir", str(tmp_path)])
    assert config.data_dir(given, {"STATE_DIRECTORY": "/var/lib/camnet"}) == tmp_path
