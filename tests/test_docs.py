"""The docs include the examples as they are: every include is well formed and resolves."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'--8<-- "([^"]+)"')


def test_every_example_include_is_well_formed_and_exists():
    includes = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for number, line in enumerate(page.read_text().splitlines(), 1):
            if "8 <" in line or "8<" in line:
                match = INCLUDE.fullmatch(line.strip())
                assert match, f"{page.name}:{number}: malformed snippet include {line!r}"
                assert (ROOT / match.group(1)).is_file(), (
                    f"{page.name}:{number}: no {match.group(1)}"
                )
                includes.append(match.group(1))
    shown = set(includes)
    examples = {f"examples/{p.name}" for p in (ROOT / "examples").glob("*.py")}
    assert examples <= shown, f"examples no docs page shows: {sorted(examples - shown)}"
