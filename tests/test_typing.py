"""Type checkers see the decorated functions' own signatures (ParamSpec)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is installed with the test extra")
def test_decorators_keep_signatures_for_mypy():
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--no-incremental",
            "--strict",
            "--no-error-summary",
            str(HERE / "typesafety" / "decorated.py"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    out = done.stdout.replace("builtins.", "")  # mypy versions differ in qualifying builtins
    assert 'Revealed type is "actorflow.tasks.Task[[x: int, y: int =], int]"' in out, out
    assert 'Revealed type is "actorflow.tasks.Task[[word: str], str]"' in out, out
    assert 'Revealed type is "actorflow.flows.Flow[[n: int], str]"' in out, out
    assert 'Revealed type is "bool"' in out, out
    assert (
        'Argument 1 to "__call__" of "Task" has incompatible type "str"; expected "int"' in out
    ), out
    assert 'Missing positional argument "n" in call to "__call__" of "Flow"' in out, out
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 2, out
