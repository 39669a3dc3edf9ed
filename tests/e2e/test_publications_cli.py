"""`hospmort publications` and `hospmort publish`, run as a user runs them (the installed console script)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hospmort.config import Month
from hospmort.store import (
    Indicator,
    Publication,
    PublicationStatus,
    get_publication,
    open_store,
    write_publication,
)

pytestmark = pytest.mark.e2e

HOSPMORT = Path(sys.executable).with_name("hospmort")
EXIT_ERROR = 1
EXIT_UNUSABLE_INPUT = 2


def run_hospmort(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(HOSPMORT), *arguments], capture_output=True, text=True, timeout=120, check=False)


def blocking_finding() -> dict[str, Any]:
    return {"CHECK": "NATIONAL_OE", "SEVERITY": "BLOCKING", "PROVIDER_CODE": None, "DIAGNOSIS_GROUP": 73,
            "VALUE": 0.25, "THRESHOLD": 0.0001}


@pytest.fixture
def store_with_two_drafts(tmp_path: Path) -> Path:
    path = tmp_path / "results.duckdb"
    with open_store(path) as store:
        write_publication(store, Publication(Month(2025, 11), (Indicator.SHMI,), {}))
        write_publication(store, Publication(Month(2025, 12), (Indicator.SHMI,),
                                             {"quality_check": [blocking_finding()]}))
    return path


def status_of(path: Path, period_end: Month) -> PublicationStatus:
    with open_store(path, read_only=True) as store:
        stored = get_publication(store, period_end)
        assert stored is not None
        return stored.status


def test_publications_lists_every_stored_publication_in_period_order(store_with_two_drafts: Path) -> None:
    result = run_hospmort("publications", "--db", str(store_with_two_drafts))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("2025-11  DEC24_NOV25  draft")
    assert lines[1].startswith("2025-12  JAN25_DEC25  draft")
    assert "SHMI" in lines[1] and "not published" in lines[1]


def test_publish_marks_the_draft_published_and_the_listing_shows_it(store_with_two_drafts: Path) -> None:
    result = run_hospmort("publish", "--db", f"duckdb://{store_with_two_drafts}", "--period", "2025-11")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2025-11  DEC24_NOV25  published")
    assert status_of(store_with_two_drafts, Month(2025, 11)) is PublicationStatus.PUBLISHED
    assert status_of(store_with_two_drafts, Month(2025, 12)) is PublicationStatus.DRAFT
    listing = run_hospmort("publications", "--db", str(store_with_two_drafts)).stdout.splitlines()
    assert "published" in listing[0].split()[2]
    assert listing[1].split()[2] == "draft"


def test_publish_refuses_a_publication_with_blocking_findings_unless_accepted(store_with_two_drafts: Path) -> None:
    refused = run_hospmort("publish", "--db", str(store_with_two_drafts), "--period", "2025-12")
    assert refused.returncode == EXIT_ERROR
    assert "BLOCKING" in refused.stderr and "NATIONAL_OE" in refused.stderr
    assert status_of(store_with_two_drafts, Month(2025, 12)) is PublicationStatus.DRAFT

    accepted = run_hospmort("publish", "--db", str(store_with_two_drafts), "--period", "2025-12",
                            "--accept-blocking-findings")
    assert accepted.returncode == 0, accepted.stderr
    assert status_of(store_with_two_drafts, Month(2025, 12)) is PublicationStatus.PUBLISHED


def test_publish_of_an_absent_period_fails_naming_the_stored_periods(store_with_two_drafts: Path) -> None:
    result = run_hospmort("publish", "--db", str(store_with_two_drafts), "--period", "2026-01")
    assert result.returncode == EXIT_ERROR
    assert "no publication for period end 2026-01" in result.stderr
    assert "2025-11, 2025-12" in result.stderr


def test_publish_with_a_malformed_period_is_unusable_input(store_with_two_drafts: Path) -> None:
    result = run_hospmort("publish", "--db", str(store_with_two_drafts), "--period", "Dec 2025")
    assert result.returncode == EXIT_UNUSABLE_INPUT
    assert "YYYY-MM" in result.stderr


def test_publications_of_a_missing_store_fails_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "absent.duckdb"
    result = run_hospmort("publications", "--db", str(missing))
    assert result.returncode == EXIT_ERROR
    assert "no results store" in result.stderr
    assert not missing.exists()


def test_publications_of_an_empty_store_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    open_store(path).close()
    result = run_hospmort("publications", "--db", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"no publications in {path}"


def test_store_and_period_may_come_from_a_config_file(store_with_two_drafts: Path, tmp_path: Path) -> None:
    config = tmp_path / "hospmort.toml"
    config.write_text(f'db = "{store_with_two_drafts}"\nperiod = "2025-11"\n', encoding="utf-8")
    result = run_hospmort("publish", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert status_of(store_with_two_drafts, Month(2025, 11)) is PublicationStatus.PUBLISHED
