"""Typed, frozen settings for the hub and the sender, built once at start.

Each program's settings are one dataclass; each field carries its help text and allowed
range, and that one table feeds ``--help``, validation, the TOML file, ``CAMNET_*``
environment variables and the example configs in ``deploy/``. By role:

- ``fields``: declaring a setting, converting and checking a value of it;
- ``layers``: defaults <- TOML file <- environment <- flags, and the argparse parser;
- ``cameras``: the ``[cameras."<name>"]`` tables and their masks;
- ``programs``: ``HubConfig`` and ``SenderConfig``;
- ``examples``: ``--check-config``'s listing and the example files in ``deploy/``;
- ``paths``: where each program keeps its state.
"""

from common.config.cameras import (
    CAMERA_KEYS,
    MAX_CORNERS,
    MAX_MASKS,
    OBJECT_KEYS,
    RECORD_KEYS,
    Polygon,
    camera_tables,
    parse_masks,
)  # fmt: skip
from common.config.examples import describe, example, example_with
from common.config.fields import ENV_PREFIX, ConfigError, flag_of, help_of, make, parse_size, setting, settings_of
from common.config.layers import PRECEDENCE, build_parser, from_env, load, read_toml
from common.config.paths import data_dir, sender_key_file, state_home
from common.config.programs import LOG_LEVELS, HubConfig, SenderConfig

__all__ = [
    "CAMERA_KEYS", "ENV_PREFIX", "LOG_LEVELS", "MAX_CORNERS", "MAX_MASKS", "OBJECT_KEYS", "PRECEDENCE", "RECORD_KEYS",
    "ConfigError", "HubConfig", "Polygon", "SenderConfig",
    "build_parser", "camera_tables", "data_dir", "describe", "example", "example_with", "flag_of", "from_env",
    "help_of", "load", "make", "parse_masks", "parse_size", "read_toml", "sender_key_file", "setting",
    "settings_of", "state_home",
]  # fmt: skip
