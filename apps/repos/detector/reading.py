"""Reading and parsing one file of the checkout: untrusted input never stops the analysis.

Each function returns what it got and, instead of raising, the warning to report.
"""

from __future__ import annotations

import os
from pathlib import Path

from .parsers import ParserRule
from .signals import Manifest

MAX_MANIFEST_BYTES = 8 * 1024 * 1024


def read_text(abspath: str, relpath: str, limit: int) -> tuple[str | None, str | None]:
    try:
        if os.path.getsize(abspath) > limit:
            return None, f"{relpath}: skipped, larger than {limit} bytes"
        with open(abspath, encoding="utf-8", errors="replace") as handle:
            return handle.read(), None
    except OSError as error:
        return None, f"{relpath}: cannot read ({error.strerror})"


def parse(
    rule: ParserRule, text: str, abspath: str, relpath: str, root: Path
) -> tuple[Manifest | None, str | None]:
    try:
        if rule.needs_root:
            return rule.parse(text, Path(abspath), root=root), None  # type: ignore[call-arg]
        return rule.parse(text, Path(abspath)), None
    except Exception as error:  # a malformed manifest is a finding, not a failure
        return None, f"{relpath}: {error}"
