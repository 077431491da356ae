"""Typed, frozen settings for the hub and the sender, built once at start.

Each program's settings are one dataclass; each field carries its help text and allowed
range, and that one table feeds ``--help``, validation, the TOML file, ``CAMNET_*``
environment variables and the example configs in ``deploy/``. Layers, later wins:
defaults <- TOML file (``--config``) <- environment <- command-line flags.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from common import __version__

T = TypeVar("T")
ENV_PREFIX = "CAMNET_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(ValueError):
    """A setting that is unknown, missing or out of range; the message says which and what to do."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


def setting(
    default: Any,
    help: str,
    *,
    short: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    choices: Sequence[str] | None = None,
    required: bool = False,
) -> Any:
    """Declare one setting: a dataclass field whose metadata drives flags, files and checks."""
    meta = {"help": help, "short": short, "lo": lo, "hi": hi, "choices": choices, "required": required}
    return dataclasses.field(default=default, metadata=meta)


def settings_of(cls: type) -> list[dataclasses.Field[Any]]:
    """The settings of a config class, in declaration order."""
    return list(dataclasses.fields(cls))


def _type_of(f: dataclasses.Field[Any]) -> type:
    name = str(f.type).split("|")[0].strip()
    return {"int": int, "float": float, "bool": bool}.get(name, str)


def flag_of(f: dataclasses.Field[Any]) -> str:
    return "--" + f.name.replace("_", "-")


def build_parser(cls: type, prog: str, description: str) -> argparse.ArgumentParser:
    """An argparse parser with one flag per setting (defaults stay None to see what was given)."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    for f in settings_of(cls):
        names = [flag_of(f)] + ([f.metadata["short"]] if f.metadata["short"] else [])
        kind = _type_of(f)
        help_text = f.metadata["help"] + ("" if f.metadata["required"] else f" (default: {f.default!r})")
        if kind is bool:
            parser.add_argument(
                *names, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            parser.add_argument(
                *names,
                dest=f.name,
                type=kind,
                default=None,
                metavar=f.name.upper(),
                choices=f.metadata["choices"],
                help=help_text,
            )
    parser.add_argument("--config", metavar="FILE", help="TOML file with the settings above (flags win)")
    parser.add_argument("--check-config", action="store_true", help="validate the settings, print them and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def load(
    cls: type[T], argv: Sequence[str] | None, env: Mapping[str, str], prog: str, description: str
) -> tuple[T, argparse.Namespace]:
    """Parse flags, read the config file and environment, validate; return (config, parsed flags)."""
    parser = build_parser(cls, prog, description)
    args = parser.parse_args(argv)
    values: dict[str, Any] = {}
    from_file: dict[str, Any] = {}
    if args.config:
        from_file = read_toml(Path(args.config), cls)
        values.update(from_file)
    values.update(from_env(cls, env))
    values.update({k: v for k, v in vars(args).items() if v is not None and k in _names(cls)})
    try:
        return make(cls, values), args
    except ConfigError as exc:
        if exc.key in from_file and values[exc.key] is from_file[exc.key]:  # say where in the file
            raise ConfigError(f"{args.config}{_line_of(Path(args.config), exc.key)}: {exc}", exc.key) from None
        raise


def _names(cls: type) -> set[str]:
    return {f.name for f in settings_of(cls)}


def read_toml(path: Path, cls: type) -> dict[str, Any]:
    """Read settings from a TOML file; unknown keys are errors naming the key and its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    known = _names(cls)
    for key, value in data.items():
        if key not in known:
            raise ConfigError(
                f"{path}{_line_of(path, key)}: unknown setting {key!r}; known settings: {', '.join(sorted(known))}", key
            )
        if isinstance(value, dict):
            raise ConfigError(f"{path}: {key!r} must be a plain value, not a table")
    return data


def _line_of(path: Path, key: str) -> str:
    """' line N' where ``key`` is set in the file, or '' (for messages)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(rf"^[ \t]*\[?[ \t]*{re.escape(key)}\b", text, re.MULTILINE)
    return f" line {text.count(chr(10), 0, match.start()) + 1}" if match else ""


def from_env(cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    """Settings given as CAMNET_<NAME> environment variables (for containers and units)."""
    out: dict[str, Any] = {}
    for f in settings_of(cls):
        raw = env.get(ENV_PREFIX + f.name.upper())
        if raw is not None:
            out[f.name] = _convert(f, raw, f"environment variable {ENV_PREFIX}{f.name.upper()}")
    return out


def _convert(f: dataclasses.Field[Any], raw: str, where: str) -> Any:
    kind = _type_of(f)
    if kind is bool:
        if raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ConfigError(f"{where}: {raw!r} is not a boolean; use true or false")
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{where}: {raw!r} is not a valid {kind.__name__}") from None


def make(cls: type[T], values: Mapping[str, Any]) -> T:
    """Build the config object, checking each value's type, range and presence."""
    checked: dict[str, Any] = {}
    for f in settings_of(cls):
        if f.name not in values:
            if f.metadata["required"]:
                raise ConfigError(
                    f"{f.name} is required: pass {flag_of(f)}, set {f.name} in the config file "
                    f"or {ENV_PREFIX}{f.name.upper()}"
                )
            continue
        checked[f.name] = _check(f, values[f.name])
    return cls(**checked)


def _check(f: dataclasses.Field[Any], value: Any) -> Any:
    kind = _type_of(f)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{f.name} must be a {kind.__name__}, got {value!r}", f.name)
    lo, hi, choices = f.metadata["lo"], f.metadata["hi"], f.metadata["choices"]
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{f.name} must be between {lo} and {hi}, got {value!r}", f.name)
    if choices and value not in choices:
        raise ConfigError(f"{f.name} must be one of {', '.join(choices)}; got {value!r}", f.name)
    return value


def describe(config: object) -> str:
    """The settings in TOML form, for ``--check-config`` and the example files."""
    lines = []
    for f in settings_of(type(config)):
        value = getattr(config, f.name)
        lines.append(f"{f.name} = {_toml_value(value)}")
    return "\n".join(lines)


EXAMPLE_VALUES = {"server_ip": "hub.local", "source": "picamera"}


def example(cls: type, program: str) -> str:
    """An annotated example config: every setting with its help, range and default.

    deploy/*.toml are written by ``python -m common.config deploy/`` and a test keeps them
    identical to this output, so they always list the real settings.
    """
    lines = [
        f"# {program} settings (TOML). Flags on the command line and CAMNET_<NAME> environment",
        "# variables override what is set here. Commented-out lines show the defaults.",
    ]
    for f in settings_of(cls):
        meta = f.metadata
        extra = f" ({meta['lo']:g} to {meta['hi']:g})" if meta["lo"] is not None else ""
        extra += f" (one of: {', '.join(meta['choices'])})" if meta["choices"] else ""
        lines += ["", f"# {meta['help']}{extra}"]
        if meta["required"]:
            lines.append(f"{f.name} = {_toml_value(EXAMPLE_VALUES.get(f.name, ''))}  # required")
        else:
            lines.append(f"#{f.name} = {_toml_value(f.default)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclasses.dataclass(frozen=True)
class HubConfig:
    """Settings of ``camnet-hub``."""

    ip: str = setting("0.0.0.0", "address the web page listens on (0.0.0.0: every interface)", short="-i")
    port: int = setting(8000, "HTTP port of the web page and streams", short="-o", lo=1, hi=65535)
    zmq_port: int = setting(5555, "ZeroMQ port the senders connect to (imagezmq's default)", lo=1, hi=65535)
    frame_count: int = setting(
        32, "frames used to build each camera's background model before detecting", short="-f", lo=1, hi=10000
    )
    accum_weight: float = setting(0.1, "weight of each new frame in the background average", lo=0.001, hi=1.0)
    threshold: int = setting(25, "pixel difference from the background that counts as motion (tVal)", lo=1, hi=255)
    motion_width: int = setting(320, "frames are analysed at about this width (JPEG scaled decode)", lo=80, hi=4096)
    workers: int = setting(0, "threads that analyse frames (0: one per CPU core)", lo=0, hi=64)
    offline_after: float = setting(5.0, "seconds without a message before a camera shows offline", lo=0.5, hi=3600)
    max_cameras: int = setting(64, "most cameras the hub tracks; messages naming more are refused", lo=1, hi=1024)
    max_frame_bytes: int = setting(8_000_000, "largest frame accepted from a sender, in bytes", lo=1024, hi=100_000_000)
    max_streams: int = setting(200, "most concurrent video streams; more get HTTP 503", lo=1, hi=2000)
    viewer_timeout: float = setting(
        10.0, "seconds a stalled viewer may block a write before it is dropped", lo=0.5, hi=600
    )
    montage_fps: float = setting(5.0, "frame rate of the server-side montage /video_feed/all", lo=0.2, hi=30)
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)


@dataclasses.dataclass(frozen=True)
class SenderConfig:
    """Settings of ``camnet-sender``."""

    server_ip: str = setting(None, "hub address (host name or IP)", required=True)
    server_port: int = setting(5555, "hub's ZeroMQ port", lo=1, hi=65535)
    source: str = setting(
        None,
        "picamera, a device index or path (0, /dev/video0), a video file, an rtsp:// or http:// URL, or synthetic",
        required=True,
    )
    name: str = setting("", "camera name shown on the hub (default: this machine's host name)")
    width: int = setting(640, "frame width sent; height keeps the aspect ratio (0: as captured)", lo=0, hi=8192)
    fps: float = setting(15.0, "most frames sent per second", lo=0.1, hi=240)
    quality: int = setting(85, "JPEG quality", lo=10, hi=100)
    timeout: float = setting(1.5, "seconds to wait for the hub's reply before reconnecting", lo=0.1, hi=60)
    loop: bool = setting(False, "restart a video file from the beginning when it ends")
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "deploy")
    (out / "hub.toml").write_text(example(HubConfig, "camnet-hub"))
    (out / "sender.toml").write_text(example(SenderConfig, "camnet-sender"))
