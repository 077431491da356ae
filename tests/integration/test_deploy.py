"""deploy/: units verified by systemd-analyze, install scripts by shellcheck and a dry run,
example configs kept identical to the real settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from common import config
from common.config import HubConfig, SenderConfig
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ["camnet-hub.service", "camnet-sender.service", "camnet-sender@.service"]


@pytest.mark.parametrize(
    "path, cls, program", [("hub.toml", HubConfig, "camnet-hub"), ("sender.toml", SenderConfig, "camnet-sender")]
)
def test_example_configs_match_the_settings(path: str, cls: type, program: str) -> None:
    text = (DEPLOY / path).read_text()
    assert text == config.example(cls, program), f"deploy/{path} is stale: run python -m common.config deploy"
    # and they load: every commented default uncommented must be accepted as it stands
    uncommented = "\n".join(line[1:] if line.startswith("#") and " = " in line else line for line in text.splitlines())
    values = config.read_toml(_write(DEPLOY.parent / "build" / path, uncommented), cls)
    assert set(values) == {f.name for f in config.settings_of(cls)}
    config.make(cls, values)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("unit", UNITS)
def test_units_verify(unit: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is installed by `make test` (apt-get install systemd)"
    text = (DEPLOY / unit).read_text()
    for line in (
        "Type=notify",
        "Restart=always",
        "WatchdogSec=",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "User=camnet",
    ):
        assert line in text, f"{unit} lacks {line}"
    assert ("SupplementaryGroups=video" in text) == ("sender" in unit)
    # The install path does not exist here: point ExecStart at this interpreter to verify the rest.
    (tmp_path / unit).write_text(
        text.replace("/opt/camnet/venv/bin/camnet-hub", sys.executable).replace(
            "/opt/camnet/venv/bin/camnet-sender", sys.executable
        )
    )
    target = tmp_path / unit.replace("@.", "@front.")
    result = subprocess.run([analyze, "verify", str(target)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    problems = [line for line in result.stderr.splitlines() if unit.split("@")[0] in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_install_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is installed by `make test` (apt-get install shellcheck)"
    scripts = [str(p) for p in DEPLOY.glob("*.sh")] + [str(ROOT / ".ci" / "run")]
    result = subprocess.run([shellcheck, "-x", *scripts], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stdout


def test_install_sender_dry_run_prints_every_step_and_changes_nothing(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CAMNET_PREFIX": str(tmp_path / "opt"),
        "CAMNET_CONF_DIR": str(tmp_path / "etc"),
        "CAMNET_UNIT_DIR": str(tmp_path / "units"),
    }
    result = subprocess.run(
        ["bash", str(DEPLOY / "install-sender.sh"), "--hub", "hub.local", "--instance", "back", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    for step in (
        "python3-picamera2",
        "venv --system-site-packages",
        "pip install",
        "sender-back.toml",
        "camnet-sender@.service",
        "systemctl enable camnet-sender@back",
        "systemctl status camnet-sender@back",
    ):
        assert step in out, f"dry run does not show {step!r}:\n{out}"
    assert "[hub]" not in out, "a Pi does not install the hub's web stack"
    assert not any(tmp_path.iterdir()), "a dry run writes nothing"
    missing = subprocess.run(
        ["bash", str(DEPLOY / "install-sender.sh"), "--dry-run"], capture_output=True, text=True, env=env, timeout=60
    )
    assert missing.returncode == 2 and "--hub HOST is required" in missing.stderr


def test_install_config_writes_a_valid_file_and_keeps_an_existing_one(tmp_path: Path) -> None:
    target = tmp_path / "sender.toml"
    script = (
        f'. "{DEPLOY / "lib.sh"}"; install_config "{target}" "{DEPLOY / "sender.toml"}" '
        f'server_ip=hub.local "source=rtsp://u:p@10.0.0.5/s" name=front'
    )
    subprocess.run(["bash", "-c", script], check=True, capture_output=True, timeout=30)
    cfg, _ = config.load(SenderConfig, ["--config", str(target)], {}, "camnet-sender", "")
    assert (cfg.server_ip, cfg.source, cfg.name, cfg.fps) == ("hub.local", "rtsp://u:p@10.0.0.5/s", "front", 15.0)
    target.write_text('server_ip = "mine"\nsource = "0"\n')
    again = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
    assert "keeping existing" in again.stdout and target.read_text().startswith('server_ip = "mine"')
