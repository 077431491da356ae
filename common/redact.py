"""Passwords out of every URL that is shown or logged: ``rtsp://admin:S3cret@cam/`` becomes
``rtsp://admin:***@cam/`` in error texts, logs, the page and ``--check-config``."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/:@]*):([^\s/@]*)@")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` in it replaced by ***."""
    return _USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:***@", text)
