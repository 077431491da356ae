"""Declaring a setting and checking a value of it: the one table of fields (help, range,
choices, pattern) that flags, files, the environment and the examples all read."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

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
