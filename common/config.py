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
import textwrap
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
    shown: str | None = None,
    size: bool = False,
    pattern: str | None = None,
) -> Any:
    """Declare one setting: a dataclass field whose metadata drives flags, files and checks.

    ``shown`` replaces the default in the help when the stored default is only a marker
    (the sender's name is "" and means "the host name"). ``pattern``: a regular expression a
    non-empty value (each one, for a list) must match, like ``https?://.+``.
    """
    meta = {
        "help": help, "short": short, "lo": lo, "hi": hi, "choices": choices, "required": required, "shown": shown,
        "size": size, "pattern": pattern,
    }  # fmt: skip
    return dataclasses.field(default=default, metadata=meta)


def settings_of(cls: type) -> list[dataclasses.Field[Any]]:
    """The settings of a config class, in declaration order (not its tables)."""
    return [f for f in dataclasses.fields(cls) if "help" in f.metadata]


def _has_cameras(cls: type) -> bool:
    return any(f.name == "cameras" for f in dataclasses.fields(cls))


def _type_of(f: dataclasses.Field[Any]) -> type:
    name = str(f.type).split("|")[0].split("[")[0].strip()
    return {"int": int, "float": float, "bool": bool, "tuple": tuple}.get(name, str)


def flag_of(f: dataclasses.Field[Any]) -> str:
    return "--" + f.name.replace("_", "-")


def _range_text(f: dataclasses.Field[Any]) -> str:
    lo, hi = f.metadata["lo"], f.metadata["hi"]
    return f"{_num(lo)} to {_num(hi)}" if lo is not None and hi is not None else ""


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def help_of(f: dataclasses.Field[Any]) -> str:
    """One flag's help: what it does, then its default, range and environment variable."""
    meta = f.metadata
    facts = []
    if meta["required"]:
        facts.append("required")
    elif meta["shown"] is not None:
        facts.append(f"default: {meta['shown']}")
    else:
        facts.append(f"default: {_toml_value(f.default)}")
    if _range_text(f):
        facts.append(_range_text(f))
    facts.append(f"env {ENV_PREFIX}{f.name.upper()}")
    return f"{meta['help']} ({'; '.join(facts)})".replace("%", "%%")


PRECEDENCE = (
    "Every setting can also be given in a TOML file (--config FILE, keys named like the flags "
    f"with '_') or as an environment variable {ENV_PREFIX}<NAME>. Later wins: defaults, then the "
    "file, then the environment, then these flags."
)


def build_parser(cls: type, prog: str, description: str, only: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """An argparse parser with one flag per setting (defaults stay None to see what was given);
    ``only`` limits the flags to those settings (camnet-motion takes the hub's motion flags)."""
    parser = argparse.ArgumentParser(prog=prog, description=description, epilog=PRECEDENCE)
    required = parser.add_argument_group("required (as a flag, in the --config file or the environment)")
    optional = parser.add_argument_group("settings")
    for f in settings_of(cls):
        if only is not None and f.name not in only:
            continue
        names = [flag_of(f)] + ([f.metadata["short"]] if f.metadata["short"] else [])
        kind = _type_of(f)
        group = required if f.metadata["required"] else optional
        if kind is bool:
            group.add_argument(
                *names, dest=f.name, action=argparse.BooleanOptionalAction, default=None, help=help_of(f)
            )
            continue
        if kind is tuple:  # a list: the flag repeats, each use adds one
            group.add_argument(*names, dest=f.name, action="append", metavar="VALUE", help=help_of(f))
            continue
        choices = f.metadata["choices"]
        group.add_argument(
            *names,
            dest=f.name,
            type=str.lower if choices else kind,
            default=None,
            metavar="{" + ",".join(choices) + "}" if choices else f.name.upper(),
            choices=choices,
            help=help_of(f),
        )
    parser.add_argument(
        "--config", metavar="FILE", help="TOML file with any of the settings below (flags and environment win)"
    )
    parser.add_argument("--check-config", action="store_true", help="validate the settings, print them and exit")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def load(
    cls: type[T],
    argv: Sequence[str] | None,
    env: Mapping[str, str],
    prog: str,
    description: str,
    actions: Mapping[str, str] | None = None,
    complete: bool = True,
) -> tuple[T, argparse.Namespace]:
    """Parse flags, read the config file and environment, validate; return (config, parsed flags).
    ``actions`` adds on/off flags that are not settings (``--show-key``: help); with
    ``complete`` False, required settings may be missing (for an action that needs none)."""
    parser = build_parser(cls, prog, description)
    for flag, text in (actions or {}).items():
        parser.add_argument(flag, action="store_true", help=text)
    args = parser.parse_args(argv)
    values: dict[str, Any] = {}
    from_file: dict[str, Any] = {}
    if args.config:
        from_file = read_toml(Path(args.config), cls)
        values.update(from_file)
    values.update(from_env(cls, env))
    values.update({k: v for k, v in vars(args).items() if v is not None and k in _names(cls)})
    try:
        return make(cls, values, complete), args
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
        if key == "cameras" and _has_cameras(cls):
            data[key] = camera_tables(value, cls, f"{path}{_line_of(path, key)}")
            continue
        if key not in known:
            raise ConfigError(
                f"{path}{_line_of(path, key)}: unknown setting {key!r}; known settings: {', '.join(sorted(known))}", key
            )
        if isinstance(value, dict):
            raise ConfigError(f"{path}: {key!r} must be a plain value, not a table")
    return data


CAMERA_KEYS = (
    "detector",
    "threshold",
    "min_area",
    "start_frames",
    "end_frames",
    "frame_count",
    "accum_weight",
    "absorb_after",
    "motion_width",
    "analysis_fps",
)  # hub motion settings a [cameras.<name>] table may set for one camera, besides ``masks``
RECORD_KEYS = ("retain_days",)  # hub recording settings a camera's table may set, besides ``record``


def camera_tables(value: Any, cls: type, where: str) -> dict[str, dict[str, Any]]:
    """Check the ``[cameras.<name>]`` tables: real camera names, known keys, values in range."""
    from common.protocol import ProtocolError, validate_name

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'cameras' must be tables like [cameras.garage], not a plain value", "cameras")
    fields = {f.name: f for f in settings_of(cls)}
    tables: dict[str, dict[str, Any]] = {}
    for name, table in value.items():
        try:
            validate_name(name)
        except ProtocolError as exc:
            raise ConfigError(f"{where}: [cameras.{name!r}]: {exc.reason}", "cameras") from None
        if not isinstance(table, dict):
            raise ConfigError(f'{where}: cameras.{name} must be a table: [cameras."{name}"]', "cameras")
        checked: dict[str, Any] = {}
        for key, item in table.items():
            if key == "masks":
                checked[key] = parse_masks(item, f'{where}: [cameras."{name}"] masks')
            elif key == "record":
                if not isinstance(item, bool):
                    raise ConfigError(f'{where}: [cameras."{name}"] record must be true or false', key)
                checked[key] = item
            elif key in CAMERA_KEYS or key in RECORD_KEYS:
                try:
                    checked[key] = _check(fields[key], item)
                except ConfigError as exc:
                    raise ConfigError(f'{where}: [cameras."{name}"] {exc}', key) from None
            else:
                raise ConfigError(
                    f'{where}: [cameras."{name}"]: unknown setting {key!r}; a camera\'s table may set '
                    f"{', '.join((*CAMERA_KEYS, 'masks', 'record', *RECORD_KEYS))}",
                    key,
                )
        tables[name] = checked
    return tables


MAX_MASKS, MAX_CORNERS = 32, 64
Polygon = tuple[tuple[float, float], ...]


def parse_masks(value: Any, where: str) -> tuple[Polygon, ...]:
    """Mask polygons from TOML or JSON: a list of polygons, each a list of 3 to 64 [x, y]
    corners in 0-1 coordinates of the frame ([0, 0] top left, [1, 1] bottom right)."""
    how = (
        "give a list of polygons, each a list of [x, y] corners between 0 and 1, like [[[0, 0], [0.5, 0], [0.5, 0.3]]]"
    )
    if not isinstance(value, list) or len(value) > MAX_MASKS:
        raise ConfigError(f"{where}: expected at most {MAX_MASKS} polygons; {how}", "masks")
    polygons = []
    for i, polygon in enumerate(value):
        if not isinstance(polygon, list) or not 3 <= len(polygon) <= MAX_CORNERS:
            raise ConfigError(f"{where}: polygon {i + 1} needs 3 to {MAX_CORNERS} corners; {how}", "masks")
        corners = []
        for corner in polygon:
            if (
                not isinstance(corner, list)
                or len(corner) != 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in corner)
            ):
                raise ConfigError(
                    f"{where}: polygon {i + 1} has a corner {corner!r} that is not [x, y] in 0-1", "masks"
                )
            corners.append((float(corner[0]), float(corner[1])))
        polygons.append(tuple(corners))
    return tuple(polygons)


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
    if kind is tuple:
        return tuple(raw.split())  # whitespace-separated: URLs hold no spaces
    if kind is bool:
        if raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ConfigError(f"{where}: {raw!r} is not a boolean; use true or false")
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{where}: {raw!r} is not a valid {kind.__name__}") from None


def make(cls: type[T], values: Mapping[str, Any], complete: bool = True) -> T:
    """Build the config object, checking each value's type, range and presence."""
    missing = [f for f in settings_of(cls) if f.metadata["required"] and f.name not in values and complete]
    if missing:  # name them all at once: a user should not fix one and meet the next
        what = " and ".join(f.name for f in missing)
        how = "; ".join(f"{flag_of(f)}, {f.name} in the config file or {ENV_PREFIX}{f.name.upper()}" for f in missing)
        raise ConfigError(f"{what} {'is' if len(missing) == 1 else 'are'} required: pass {how}", missing[0].name)
    checked = {f.name: _check(f, values[f.name]) for f in settings_of(cls) if f.name in values}
    if "cameras" in values and _has_cameras(cls):
        checked["cameras"] = values["cameras"]  # checked as the file was read
    return cls(**checked)


def _check(f: dataclasses.Field[Any], value: Any) -> Any:
    kind = _type_of(f)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is tuple and isinstance(value, list):
        value = tuple(value)
    if kind is tuple and not all(isinstance(v, str) for v in value or ()):
        raise ConfigError(f"{f.name} must be a list of strings, got {value!r}", f.name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{f.name} must be a {kind.__name__}, got {value!r}", f.name)
    lo, hi, choices = f.metadata["lo"], f.metadata["hi"], f.metadata["choices"]
    if choices and isinstance(value, str):
        value = value.lower()  # INFO and info alike, from a file or the environment too
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{f.name} must be between {lo} and {hi}, got {value!r}", f.name)
    if choices and value not in choices:
        raise ConfigError(f"{f.name} must be one of {', '.join(choices)}; got {value!r}", f.name)
    pattern = f.metadata.get("pattern") or ""
    for item in (value if kind is tuple else (value,)) if pattern else ():
        if item and not re.fullmatch(pattern, item):
            raise ConfigError(f"{f.name}: {item!r} is not valid; expected the {f.metadata['help']}", f.name)
    if f.metadata.get("size") and value != "auto":
        try:
            parse_size(value)
        except ValueError as exc:
            raise ConfigError(f"{f.name}: {exc}", f.name) from None
    return value


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20,
          "gib": 2**30, "tib": 2**40}  # fmt: skip


def parse_size(text: str) -> int:
    """Bytes from '0', '500MB', '20GB', '1.5TiB' (decimal units, and binary ones with 'i')."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"{text!r} is not a size; write a number of bytes with a unit, like 500MB or 20GB")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def describe(config: object) -> str:
    """The settings in TOML form, for ``--check-config`` and the example files."""
    lines = []
    for f in settings_of(type(config)):
        value = getattr(config, f.name)
        lines.append(f"{f.name} = {_toml_value(value)}")
    for name, table in getattr(config, "cameras", {}).items():
        lines += ["", f"[cameras.{_toml_value(name)}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines)


EXAMPLE_VALUES = {"server_ip": "hub.local", "source": "picamera"}


def example(cls: type, program: str, values: Mapping[str, Any] | None = None) -> str:
    """An annotated example config: every setting with its help, range and default.

    deploy/*.toml are written by ``python -m common.config deploy/`` and a test keeps them
    identical to this output, so they always list the real settings.
    """
    lines = [
        f"# {program} settings (TOML). Flags on the command line and CAMNET_<NAME> environment",
        "# variables override what is set here. Commented-out lines show the defaults.",
    ]
    given = dict(values or {})
    for f in settings_of(cls):
        meta = f.metadata
        extra = f" ({_range_text(f)})" if _range_text(f) else ""
        extra += f" (one of: {', '.join(meta['choices'])})" if meta["choices"] else ""
        extra += f" (default: {meta['shown']})" if meta["shown"] else ""
        lines += ["", f"# {meta['help']}{extra}"]
        if f.name in given:
            lines.append(f"{f.name} = {_toml_value(given.pop(f.name))}")
        elif meta["required"]:
            lines.append(f"{f.name} = {_toml_value(EXAMPLE_VALUES.get(f.name, ''))}  # required")
        else:
            lines.append(f"#{f.name} = {_toml_value(f.default)}")
    if _has_cameras(cls):
        lines += [
            "",
            *(
                "# " + line
                for line in textwrap.wrap(
                    'One camera\'s own settings: a [cameras."<name>"] table each (the camera need not '
                    f"have connected yet). Keys: {', '.join((*CAMERA_KEYS, *RECORD_KEYS))}, record (false: keep no "
                    "events), and masks: polygons of [x, y] corners in 0-1 coordinates of the frame ([0, 0] top "
                    "left) inside which motion is ignored. Masks drawn on the camera's page are kept in data_dir "
                    "and add to these.",
                    88,
                )
            ),
            '#[cameras."front door"]',
            "#min_area = 0.001",
            "#retain_days = 30",
            "#masks = [[[0.0, 0.0], [1.0, 0.0], [1.0, 0.2], [0.0, 0.2]]]  # the street along the top",
        ]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    """A TOML literal for a setting's value; strings escaped so that any text round-trips."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in '"\\':
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:  # TOML forbids raw control characters
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def example_with(cls: type, program: str, pairs: Sequence[str]) -> str:
    """The example config with ``key=value`` pairs set, each converted and checked like an
    environment variable, so the install scripts never write a file that does not load."""
    fields = {f.name: f for f in settings_of(cls)}
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or key not in fields:
            raise ConfigError(f"cannot set {pair!r}: expected KEY=VALUE with KEY one of {', '.join(fields)}", key)
        values[key] = _check(fields[key], _convert(fields[key], raw, f"setting {key}"))
    return example(cls, program, values)


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclasses.dataclass(frozen=True)
class HubConfig:
    """Settings of ``camnet-hub``."""

    ip: str = setting(
        "0.0.0.0", "address the web page and the ZeroMQ port listen on (0.0.0.0: every interface)", short="-i"
    )
    port: int = setting(8000, "HTTP port of the web page and streams (0: any free port)", short="-o", lo=0, hi=65535)
    zmq_port: int = setting(5555, "ZeroMQ port the senders connect to (imagezmq's default)", lo=1, hi=65535)
    auth: bool = setting(
        True,
        "require a login or token for every page, stream and API call once users exist or the hub listens beyond "
        "loopback (the first such start creates user admin); --no-auth: open to anyone who can reach it, for a "
        "trusted LAN or behind an authenticating proxy",
    )
    sender_auth: str = setting(
        "none",
        "how senders are checked: none (any sender, any name: stock imagezmq works) or curve (ZeroMQ CURVE "
        "encryption; only keys allowed with `camnet-hub sender allow CAMERA KEY`, each under its own camera name)",
        choices=("none", "curve"),
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "another name people reach the hub by (repeat the flag for several): the hub answers only its own "
        "names and addresses, the bind address and the host of public_url (against DNS rebinding)",
        pattern=r"[A-Za-z0-9._:\[\]-]+",
    )
    trusted_proxy: tuple[str, ...] = setting(
        (),
        "address of a reverse proxy in front of the hub (repeat for several): its X-Forwarded-For and "
        "X-Forwarded-Proto are believed (the real client for the login throttle; Secure cookies behind TLS)",
        pattern=r"[0-9A-Fa-f.:]+",
    )
    tls_cert: str = setting("", "PEM certificate (chain) file: serve HTTPS instead of HTTP (with tls_key)")
    tls_key: str = setting("", "PEM private key file of tls_cert")
    detector: str = setting(
        "robust",
        "motion detector: robust (not fooled by light changes, keeps slow walkers) or seed (the tutorial's)",
        choices=("robust", "seed"),
    )
    threshold: int = setting(
        0,
        "pixel difference from the background that counts as motion (0: the detector's own: 25 for seed, "
        "the tutorial's tVal; 10 for robust, which raises it further in a noisy scene)",
        lo=0,
        hi=255,
    )
    min_area: float = setting(
        0.0003, "share of the frame a moving region must cover to count, so specks never start motion", lo=0, hi=1
    )
    start_frames: int = setting(2, "frames with motion in a row before a camera shows motion", lo=1, hi=100)
    end_frames: int = setting(3, "frames without motion in a row before a camera's motion ends", lo=1, hi=1000)
    frame_count: int = setting(
        32, "frames used to build each camera's background model before detecting", short="-f", lo=1, hi=10000
    )
    accum_weight: float = setting(
        0.1, "weight of each new frame in the background average (robust: per frame at 15 fps)", lo=0.001, hi=1.0
    )
    absorb_after: float = setting(
        10.0, "seconds an object must stand still before the robust detector makes it background", lo=0.5, hi=86400
    )
    motion_width: int = setting(
        0,
        "frames are analysed at about this width, by JPEG scaled decode (0: the detector's own: 160 robust, 320 seed)",
        lo=0,
        hi=4096,
    )
    analysis_fps: float = setting(
        0.0,
        "analyse at most this many frames a second per camera; all are still streamed (0: every frame)",
        lo=0,
        hi=240,
    )
    workers: int = setting(0, "threads that analyse frames (0: one per CPU core)", lo=0, hi=64)
    offline_after: float = setting(5.0, "seconds without a message before a camera shows offline", lo=0.5, hi=3600)
    forget_after: float = setting(
        7 * 86400.0,
        "seconds offline after which a camera is dropped from the hub (0: never)",
        lo=0,
        hi=10 * 365 * 86400.0,
    )
    max_cameras: int = setting(
        64, "most cameras the hub tracks; past it the longest-offline one is dropped", lo=1, hi=1024
    )
    max_frame_bytes: int = setting(8_000_000, "largest frame accepted from a sender, in bytes", lo=1024, hi=100_000_000)
    max_streams: int = setting(200, "most concurrent video streams; more get HTTP 503", lo=1, hi=2000)
    viewer_timeout: float = setting(
        10.0, "seconds a stalled viewer may block a write before it is dropped", lo=0.5, hi=600
    )
    montage_fps: float = setting(5.0, "frame rate of the server-side montage /video_feed/all", lo=0.2, hi=30)
    pre_roll: float = setting(5.0, "seconds of video kept from before the motion that opens an event", lo=0, hi=60)
    post_roll: float = setting(
        5.0, "seconds after the last motion that an event ends; new motion meanwhile extends it", lo=0, hi=600
    )
    max_event: float = setting(
        300.0, "seconds after which a long event goes on in a new clip (no frame lost)", lo=10, hi=86400
    )
    retain_days: float = setting(14.0, "days events are kept (0: no age limit)", lo=0, hi=36500)
    retain_size: str = setting("0", "most bytes of clips kept, like 20GB; the oldest go first (0: no limit)", size=True)
    min_free: str = setting(
        "auto",
        "free space kept on the data directory's disk, like 2GB (auto: the larger of 5% and an hour of "
        "recording at the observed rate; 0: none)",
        size=True,
    )
    data_dir: str = setting(
        "",
        "directory of the hub's state: the event index, clips, snapshots and masks saved from the page",
        shown="$STATE_DIRECTORY under systemd, else ~/.local/state/camnet",
    )
    public_url: str = setting(
        "",
        "URL at which people reach this hub, like https://cams.example.net: makes the links in MQTT and "
        "webhook messages absolute",
        pattern=r"https?://[^\s/]+(/\S*)?",
    )
    mqtt: str = setting(
        "",
        "MQTT broker URL mqtt://[user:pass@]host[:1883] or mqtts://... (TLS): publish motion, camera status "
        "and events, with Home Assistant discovery (empty: off)",
        pattern=r"mqtts?://([^\s@/]*@)?[^\s@/:]+(:[0-9]{1,5})?/?",
    )
    mqtt_prefix: str = setting("camnet", "first level of this hub's MQTT topics", pattern=r"[^\s#+]+")
    hub_name: str = setting(
        "",
        "this hub's name in MQTT topics and Home Assistant (hubs sharing a broker need their own)",
        shown="the host name",
        pattern=r"[A-Za-z0-9_-]{1,64}",
    )
    mqtt_discovery: bool = setting(
        True, "announce each camera to Home Assistant by MQTT discovery (--no-mqtt-discovery: only the topics)"
    )
    mqtt_discovery_prefix: str = setting(
        "homeassistant", "Home Assistant's discovery prefix (its MQTT integration's setting)", pattern=r"[^\s#+]+"
    )
    webhook: tuple[str, ...] = setting(
        (),
        "URL POSTed the event JSON when an event opens and ends (repeat the flag for several; a list in TOML; "
        "space-separated in the environment)",
        pattern=r"https?://\S+",
    )
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)
    # [cameras.<name>] tables: one camera's motion settings (CAMERA_KEYS) and masks
    cameras: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)


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
    name: str = setting("", "camera name shown on the hub; give each camera its own", shown="this machine's host name")
    width: int = setting(
        640,
        "frame width sent; height keeps the aspect ratio (0: as captured; the Pi camera then uses its "
        "default video size, the synthetic scene is 640 wide)",
        lo=0,
        hi=8192,
    )
    fps: float = setting(15.0, "most frames sent per second", lo=0.1, hi=240)
    quality: int = setting(85, "JPEG quality", lo=10, hi=100)
    timeout: float = setting(1.5, "seconds to wait for the hub's reply before reconnecting", lo=0.1, hi=60)
    hub_key: str = setting(
        "", "the hub's CURVE public key (`camnet-hub keys` prints it): encrypt and authenticate to a curve hub"
    )
    key_file: str = setting(
        "",
        "this sender's CURVE key pair (secret file; the public key is beside it, in <file> without _secret), "
        "created on first use",
        shown="$STATE_DIRECTORY/sender.key_secret under systemd, else ~/.local/state/camnet-sender/sender.key_secret",
    )
    loop: bool = setting(False, "restart a video file from the beginning when it ends")
    log_level: str = setting("info", "log verbosity", choices=LOG_LEVELS)


def _main(argv: Sequence[str]) -> int:
    """``python -m common.config [DIR]`` writes the examples into DIR (default deploy/);
    ``python -m common.config hub|sender KEY=VALUE...`` prints an example with values set."""
    import sys

    programs = {"hub": (HubConfig, "camnet-hub"), "sender": (SenderConfig, "camnet-sender")}
    if argv and argv[0] in programs:
        cls, program = programs[argv[0]]
        try:
            sys.stdout.write(example_with(cls, program, argv[1:]))
        except ConfigError as exc:
            print(f"{program} settings: {exc}", file=sys.stderr)
            return 2
        return 0
    out = Path(argv[0] if argv else "deploy")
    for name, (cls, program) in programs.items():
        (out / f"{name}.toml").write_text(example(cls, program))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))
