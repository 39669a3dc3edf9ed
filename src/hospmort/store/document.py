"""Regenerate the column reference of docs/results-database.md from the schema (hospmort.store.tables).

Usage: ``.venv/bin/python -m hospmort.store.document docs/results-database.md``. The text between the two
marker comments of the page is replaced; the rest of the page is left as written.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hospmort.store.tables import render_schema_markdown, replace_generated_section


def rewrite_schema_documentation(path: Path) -> None:
    """Replace the generated section of the page at ``path`` with the current schema's column reference."""
    text = path.read_text(encoding="utf-8")
    path.write_text(replace_generated_section(text, render_schema_markdown()), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    rewrite_schema_documentation(Path(sys.argv[1]))
