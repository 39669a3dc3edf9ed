"""The list of stored publications: status, previous publication, publishing (shmi.md §17).

A publication is stored as a **draft** (with its quality-check report) and later marked **published**. The
**previous publication** of a period-end month M is the stored publication, draft or published, with the latest
period end before M (shmi.md §17.2).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hospmort import schema as col
from hospmort.config import Month
from hospmort.errors import StoreError
from hospmort.shmi.quality import Severity
from hospmort.store.connection import ResultsStore, as_stored_time, open_store, utc_now
from hospmort.store.tables import (
    CREATED_AT,
    INDICATORS,
    MANIFEST,
    PACKAGE_VERSION,
    PUBLICATIONS_TABLE,
    PUBLISHED_AT,
    QUALITY_CHECK,
    STATUS,
    Indicator,
    quote_identifier,
)

log = logging.getLogger(__name__)


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True)
class StoredPublication:
    """One row of ``publications`` (without its manifest: :func:`read_manifest`). Times are in UTC."""

    period_end: Month
    time_period: str
    status: PublicationStatus
    created_at: dt.datetime
    published_at: dt.datetime | None
    package_version: str
    indicators: tuple[Indicator, ...]


_CATALOG_COLUMNS = (col.PERIOD_END, col.TIME_PERIOD, STATUS, CREATED_AT, PUBLISHED_AT, PACKAGE_VERSION, INDICATORS)
_SELECT = (
    f"SELECT {', '.join(quote_identifier(c) for c in _CATALOG_COLUMNS)} "
    f"FROM {quote_identifier(PUBLICATIONS_TABLE.name)}"
)
_PERIOD = quote_identifier(col.PERIOD_END)


def list_publications(store: ResultsStore) -> list[StoredPublication]:
    """Every stored publication, by period end."""
    rows = store.backend.execute(f"{_SELECT} ORDER BY {_PERIOD}")
    return [_publication_from_row(row) for row in rows]


def get_publication(store: ResultsStore, period_end: Month) -> StoredPublication | None:
    """The stored publication of ``period_end``, or None."""
    rows = store.backend.execute(f"{_SELECT} WHERE {_PERIOD} = ?", (str(period_end),))
    return _publication_from_row(rows[0]) if rows else None


def previous_publication(store: ResultsStore, period_end: Month) -> StoredPublication | None:
    """The stored publication, draft or published, with the latest period end before ``period_end``
    (shmi.md §17.2), or None when there is none."""
    rows = store.backend.execute(
        f"{_SELECT} WHERE {_PERIOD} < ? ORDER BY {_PERIOD} DESC LIMIT 1", (str(period_end),)
    )
    return _publication_from_row(rows[0]) if rows else None


def latest_publication(store: ResultsStore, *,
                       status: PublicationStatus | None = None) -> StoredPublication | None:
    """The stored publication with the latest period end (of ``status`` when given), or None."""
    if status is None:
        rows = store.backend.execute(f"{_SELECT} ORDER BY {_PERIOD} DESC LIMIT 1")
    else:
        rows = store.backend.execute(
            f"{_SELECT} WHERE {quote_identifier(STATUS)} = ? ORDER BY {_PERIOD} DESC LIMIT 1", (status.value,)
        )
    return _publication_from_row(rows[0]) if rows else None


def read_manifest(store: ResultsStore, period_end: Month) -> dict[str, Any]:
    """The run manifest stored with the publication of ``period_end``."""
    rows = store.backend.execute(
        f"SELECT {quote_identifier(MANIFEST)} FROM {quote_identifier(PUBLICATIONS_TABLE.name)} "
        f"WHERE {_PERIOD} = ?",
        (str(period_end),),
    )
    if not rows:
        raise _no_publication(store, period_end)
    manifest: dict[str, Any] = json.loads(rows[0][0])
    return manifest


def publish(store: ResultsStore, period_end: Month, *, accept_blocking_findings: bool = False,
            published_at: dt.datetime | None = None) -> StoredPublication:
    """Mark the stored publication of ``period_end`` published (shmi.md §17.2).

    Raises :class:`StoreError` when there is no such publication, or when its quality-check report has a
    ``BLOCKING`` finding and ``accept_blocking_findings`` is not set. Publishing a publication that is already
    published changes nothing.
    """
    if store.read_only:
        raise StoreError(f"results store {store.location} is open read-only: cannot publish")
    when = as_stored_time(published_at) if published_at is not None else utc_now()
    with store.backend.transaction():
        current = get_publication(store, period_end)
        if current is None:
            raise _no_publication(store, period_end)
        if current.status is PublicationStatus.PUBLISHED:
            log.info("publication %s is already published", period_end)
            return current
        blocking = _blocking_checks(store, period_end)
        if blocking and not accept_blocking_findings:
            raise StoreError(
                f"publication {period_end} has {sum(blocking.values())} BLOCKING quality-check finding(s) "
                f"({', '.join(f'{check} x{count}' for check, count in sorted(blocking.items()))}): it stays a "
                f"draft unless publishing is forced"
            )
        store.backend.execute(
            f"UPDATE {quote_identifier(PUBLICATIONS_TABLE.name)} SET {quote_identifier(STATUS)} = ?, "
            f"{quote_identifier(PUBLISHED_AT)} = ? WHERE {_PERIOD} = ?",
            (PublicationStatus.PUBLISHED.value, when, str(period_end)),
        )
    from hospmort.monitoring.alerts_store import rebuild_alert_register  # statistics.md §6.2: kept from published

    rebuild_alert_register(store)
    published = get_publication(store, period_end)
    assert published is not None
    log.info("publication %s (%s) published", period_end, published.time_period)
    return published


def _blocking_checks(store: ResultsStore, period_end: Month) -> dict[str, int]:
    rows = store.backend.execute(
        f"SELECT {quote_identifier(col.CHECK)}, COUNT(*) FROM {quote_identifier(QUALITY_CHECK.name)} "
        f"WHERE {_PERIOD} = ? AND {quote_identifier(col.SEVERITY)} = ? GROUP BY {quote_identifier(col.CHECK)}",
        (str(period_end), Severity.BLOCKING.value),
    )
    return {str(check): int(count) for check, count in rows}


def _no_publication(store: ResultsStore, period_end: Month) -> StoreError:
    stored = [str(p.period_end) for p in list_publications(store)]
    listing = ", ".join(stored) if stored else "none"
    return StoreError(f"no publication for period end {period_end} in results store {store.location} "
                      f"(stored: {listing})")


def _publication_from_row(row: tuple[Any, ...]) -> StoredPublication:
    period_end, time_period, status, created_at, published_at, package_version, indicators = row
    return StoredPublication(
        period_end=Month.parse(period_end),
        time_period=time_period,
        status=PublicationStatus(status),
        created_at=_as_utc(created_at),
        published_at=None if published_at is None else _as_utc(published_at),
        package_version=package_version,
        indicators=tuple(Indicator(name) for name in indicators.split(",") if name),
    )


def _as_utc(value: dt.datetime) -> dt.datetime:
    """A stored (naive, UTC) timestamp as an aware UTC datetime."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)



# --- whole operations on a store location (for the command line) ------------------------------------------------


def list_publications_at(location: str | Path) -> list[StoredPublication]:
    """Open the store at ``location`` read-only and list its publications."""
    with open_store(location, read_only=True) as store:
        return list_publications(store)


def publish_at(location: str | Path, period_end: Month, *,
               accept_blocking_findings: bool = False) -> StoredPublication:
    """Open the store at ``location`` read-write and publish the publication of ``period_end``."""
    with open_store(location) as store:
        return publish(store, period_end, accept_blocking_findings=accept_blocking_findings)


def describe_publication(publication: StoredPublication) -> str:
    """One line about a stored publication: period end, label, status, indicators, times, version."""
    published = (f"published {publication.published_at:%Y-%m-%d %H:%M} UTC"
                 if publication.published_at is not None else "not published")
    indicators = ",".join(indicator.value for indicator in publication.indicators)
    return (f"{publication.period_end}  {publication.time_period}  {publication.status.value:<9}  {indicators:<9}  "
            f"created {publication.created_at:%Y-%m-%d %H:%M} UTC  {published}  "
            f"hospmort {publication.package_version}")
