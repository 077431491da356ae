"""``python -m common.config [DIR]`` writes the examples into DIR (default deploy/);
``python -m common.config hub|sender|portal KEY=VALUE...`` prints an example with values set."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from common.config.examples import example, example_with
from common.config.fields import ConfigError
from common.config.portal import PortalConfig
from common.config.programs import HubConfig, SenderConfig


def _main(argv: Sequence[str]) -> int:
    """``python -m common.config [DIR]`` writes the examples into DIR (default deploy/);
    ``python -m common.config hub|sender|portal KEY=VALUE...`` prints an example with values set."""
    programs = {
        "hub": (HubConfig, "camnet-hub"), "sender": (SenderConfig, "camnet-sender"),
        "portal": (PortalConfig, "camnet-portal"),
    }  # fmt: skip
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


sys.exit(_main(sys.argv[1:]))
