"""The settings written out: ``--check-config``'s listing and the annotated example files in
``deploy/`` (a test keeps those identical to what this writes)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from common.config.cameras import CAMERA_KEYS, OBJECT_KEYS, RECORD_KEYS
from common.config.fields import ConfigError, _check, _convert, _has_cameras, _range_text, _toml_value, settings_of


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
                    "have connected yet). Keys: "
                    f"{', '.join((*CAMERA_KEYS, *RECORD_KEYS, *OBJECT_KEYS))}, record (false: keep no "
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
