"""The benchmark command keeps working (its figures are read by people, not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_prints_the_table():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert any(line.startswith("plain function call") for line in lines), done.stdout
    assert any(line.startswith("pykka ask round trip") for line in lines), done.stdout
    assert sum(line.startswith("actorflow sequential") for line in lines) == 2, done.stdout
    assert "Beginning flow run" not in done.stdout  # console output went to the file
