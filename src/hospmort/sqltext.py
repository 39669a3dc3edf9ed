"""Small builders of portable SQL text shared by the record-level stages."""

from __future__ import annotations

from collections.abc import Iterable


def quoted_list(codes: Iterable[str]) -> str:
    """Codes as a SQL list body in sorted order, ``'49', '50'``, for ``IN (...)``."""
    return ", ".join(f"'{code}'" for code in sorted(codes))


def flag(condition: str) -> str:
    """1 when ``condition`` holds, else 0 (``NULL`` counts as false)."""
    return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def count_where(condition: str) -> str:
    """An aggregate counting the rows where ``condition`` holds."""
    return f"sum{flag(condition)}"
