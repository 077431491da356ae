"""A smoke run of the benchmark, so that `make bench` keeps working. No timing assertions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)
def test_bench_smoke_run_produces_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    data = json.loads(out.read_text())
    cap = data["capacity"][0]
    assert cap["camnet"]["analysed_per_s"] > 0 and cap["seed"]["analysed_per_s"] > 0
    assert data["viewers"]["2"]["median_fps"] > 0
    assert all(lat["frames"] > 0 for lat in data["latency"])
    assert data["memory"]["rss_mb_max"] > 0
    assert data["sender"][0]["frames"] > 0
    assert "| figure |" in result.stdout
