"""Where settings come from, later wins: defaults <- TOML file (``--config``) <- environment
(``CAMNET_<NAME>``) <- command-line flags; and the argparse parser built from the fields."""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from common import __version__
from common.config.cameras import camera_tables
from common.config.fields import (
    ENV_PREFIX,
    ConfigError,
    _convert,
    _has_cameras,
    _type_of,
    flag_of,
    help_of,
    make,
    settings_of,
)

T = TypeVar("T")

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
