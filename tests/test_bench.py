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
    for row in (
        "plain function call",
        "pykka ask round trip",
        "sequential: flow calls a trivial task",
        "concurrent: submit N, then all results",
        "concurrent: map over N",
        "concurrent: submit N (no hang)",
        "sequential: chain, each takes the previous future",
        "sequential: a subflow (one task) called N times",
        "sequential: memory retained per finished task run",
        "dask raw: client.submit N + client.gather",
        "dask actorflow: submit N, then all results",
        "dask actorflow: default cluster, 1 task, shutdown",
        "prefect",
    ):
        assert any(line.startswith(row) for line in lines), (row, done.stdout)
    assert "Beginning flow run" not in done.stdout  # console output went to the file
