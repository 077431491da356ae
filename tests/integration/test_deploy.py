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
from common.config.portal import PortalConfig
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ["camnet-hub.service", "camnet-sender.service", "camnet-sender@.service", "camnet-portal.service"]


@pytest.mark.parametrize(
    "path, cls, program",
    [
        ("hub.toml", HubConfig, "camnet-hub"),
        ("sender.toml", SenderConfig, "camnet-sender"),
        ("portal.toml", PortalConfig, "camnet-portal"),
    ],
)
def test_example_configs_match_the_settings(path: str, cls: type, program: str, tmp_path: Path) -> None:
    text = (DEPLOY / path).read_text()
    assert text == config.example(cls, program), f"deploy/{path} is stale: run python -m common.config deploy"
    # and they load: every commented default uncommented must be accepted as it stands
    # (the [cameras."front door"] example table too)
    uncommented = "\n".join(
        line[1:] if line.startswith("#") and (" = " in line or line.startswith("#[")) else line
        for line in text.splitlines()
    )
    (tmp_path / path).write_text(uncommented)
    values = config.read_toml(tmp_path / path, cls)
    tables = {"cameras"} if cls is HubConfig else set()
    assert set(values) == {f.name for f in config.settings_of(cls)} | tables
    built = config.make(cls, values)
    if cls is HubConfig:
        assert built.cameras["front door"]["min_area"] == 0.001 and len(built.cameras["front door"]["masks"]) == 1


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
    assert ("StateDirectory=camnet\n" in text) == ("hub" in unit), "the hub's --data-dir is systemd's state directory"
    assert ("StateDirectory=camnet-sender\n" in text) == ("sender" in unit), "the sender's key pair lives there"
    assert ("StateDirectory=camnet-portal\n" in text) == ("portal" in unit), "the portal's index and tokens too"
    # The install path does not exist here: point ExecStart at this interpreter to verify the rest.
    (tmp_path / unit).write_text(
        text.replace("/opt/camnet/venv/bin/camnet-hub", sys.executable)
        .replace("/opt/camnet/venv/bin/camnet-sender", sys.executable)
        .replace("/opt/camnet/venv/bin/camnet-portal", sys.executable)
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


def dry_run_env(tmp_path: Path) -> dict[str, str]:
    """Every place an install script writes, moved under ``tmp_path`` (a dry run writes none)."""
    return {
        "PATH": "/usr/bin:/bin",
        "CAMNET_PREFIX": str(tmp_path / "opt"),
        "CAMNET_CONF_DIR": str(tmp_path / "etc"),
        "CAMNET_UNIT_DIR": str(tmp_path / "units"),
        "CAMNET_STATE_DIR": str(tmp_path / "state"),
        "CAMNET_SENDER_STATE_DIR": str(tmp_path / "sender-state"),
    }


def test_install_sender_dry_run_prints_every_step_and_changes_nothing(tmp_path: Path) -> None:
    env = dry_run_env(tmp_path)
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


HOSTILE_URL = "rtsp://admin:p&ss\\w0rd|@10.0.0.5/cam/realmonitor?channel=1&subtype=0"


def test_install_config_writes_hostile_values_intact_and_keeps_an_existing_one(tmp_path: Path) -> None:
    target = tmp_path / "sender.toml"
    script = f'. "{DEPLOY / "lib.sh"}"; install_config "$1" sender server_ip=hub.local "source=$2" "name=$3"'
    args = ["bash", "-c", script, "-", str(target), HOSTILE_URL, 'front "door" \\ & |']
    subprocess.run(args, check=True, capture_output=True, timeout=30)
    cfg, _ = config.load(SenderConfig, ["--config", str(target)], {}, "camnet-sender", "")
    assert (cfg.server_ip, cfg.source, cfg.name, cfg.fps) == ("hub.local", HOSTILE_URL, 'front "door" \\ & |', 15.0)
    assert target.stat().st_mode & 0o777 == 0o640, "it holds the camera's password: not world-readable"
    target.write_text('server_ip = "mine"\nsource = "0"\n')
    target.chmod(0o644)
    again = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert "keeping existing" in again.stdout and target.read_text().startswith('server_ip = "mine"')
    assert target.stat().st_mode & 0o777 == 0o640, "an existing world-readable file is closed too"
    bad = subprocess.run(
        ["bash", "-c", f'. "{DEPLOY / "lib.sh"}"; install_config "$1" sender fps=500', "-", str(tmp_path / "x.toml")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "fps must be between 0.1 and 240" in bad.stderr
    assert not (tmp_path / "x.toml").exists()


def _install_sender(tmp_path: Path, *flags: str, hostname: str = "frontpi") -> subprocess.CompletedProcess[str]:
    """A dry run of install-sender.sh with a fake ``hostname`` command first on the PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "hostname").write_text(f"#!/bin/sh\necho {hostname}\n")
    (bin_dir / "hostname").chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "CAMNET_CONF_DIR": str(tmp_path / "etc")}
    return subprocess.run(
        ["bash", str(DEPLOY / "install-sender.sh"), "--hub", "hub.local", "--dry-run", *flags],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_install_sender_refuses_the_default_raspberrypi_name(tmp_path: Path) -> None:
    refused = _install_sender(tmp_path, hostname="raspberrypi")
    assert refused.returncode == 2 and "--name garage" in refused.stderr
    named = _install_sender(tmp_path, "--name", "garage", hostname="raspberrypi")
    assert named.returncode == 0 and "name=garage" in named.stdout
    other = _install_sender(tmp_path, "--instance", "usb", hostname="frontpi")
    assert other.returncode == 0 and "name=frontpi-usb" in other.stdout


@pytest.mark.parametrize("instance", ["../../etc/x", "a b", "-x", "a;reboot", "x" * 40, "a/b"])
def test_install_sender_refuses_a_hostile_instance(tmp_path: Path, instance: str) -> None:
    result = _install_sender(tmp_path, "--name", "cam", "--instance", instance)
    assert result.returncode == 2 and "--instance must be" in result.stderr
    assert "+ " not in result.stdout, "refused before any step"


def test_install_hub_dry_run_creates_keys_and_explains_logins(tmp_path: Path) -> None:
    env = dry_run_env(tmp_path)
    result = subprocess.run(
        ["bash", str(DEPLOY / "install-hub.sh"), "--sender-auth", "curve", "--dry-run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for step in ("sender_auth=curve", "camnet-hub keys --data-dir", "grep password", "camnet-hub sender allow"):
        assert step in result.stdout, f"dry run does not show {step!r}:\n{result.stdout}"
    assert not any(tmp_path.iterdir()), "a dry run writes nothing"


def test_install_sender_with_a_hub_key_prints_the_allow_command(tmp_path: Path) -> None:
    key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    result = _install_sender(tmp_path, "--name", "porch", "--hub-key", key)
    assert result.returncode == 0, result.stderr
    assert f"hub_key={key}" in result.stdout and "key_file=/var/lib/camnet-sender/sender.key_secret" in result.stdout
    assert "--show-key" in result.stdout
    assert "camnet-hub sender allow -- 'porch' 'SENDER_PUBLIC_KEY'" in result.stdout
