"""The reviewed data tables shipped in `policy_search/data` (regions, agencies, zones …)."""
from __future__ import annotations

from importlib import resources


def data_lines(name: str) -> list[str]:
    """The lines of data/`name` that hold an entry: not blank, not a # comment."""
    text = resources.files("policy_search").joinpath("data", name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
