"""The organisation reference table (data contract §3): read, validate, fill from ODS, register in DuckDB.

The table is small (one row per trust or site), so it is read here in Python; it holds no patient data. Its
``trust_type`` decides SHMI scope (shmi.md §5 step 8). Where a trust's ``org_name``, ``region_code`` or
``region_name`` is empty, it is filled from the shipped ODS trust list (``refdata.trusts()``). Without a table
(``--organisations`` not given) the registered table is empty, so no trust is in scope.

Bad rows stop the run (:class:`InputDataError` naming the file, the column, the rule and the count, with a few
example values; organisation codes are not patient data): a missing ``org_code`` (``ORG_CODE_MISSING``), a
code given twice (``ORG_CODE_DUPLICATE``), an ``org_type`` other than ``trust``/``site`` (``ORG_TYPE_INVALID``),
a ``trust_type`` or ``site_type`` outside its list (``TRUST_TYPE_INVALID``, ``SITE_TYPE_INVALID``). These rules
are hospmort's own: the contract's rule table covers the record-level inputs only. Codes are stripped and
upper-cased, types stripped and lower-cased.

Table ``organisations``: the columns of §3 as ``VARCHAR`` (``org_code``, ``org_name``, ``org_type``,
``parent_code``, ``region_code``, ``region_name``, ``trust_type``, ``site_type``), ``NULL`` where empty.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from hospmort import tables
from hospmort.errors import InputDataError
from hospmort.refdata import REGION_NAMES, trusts
from hospmort.schema import (
    ORG_CODE,
    ORG_NAME,
    ORG_TYPE,
    ORGANISATION_FIELDS,
    PARENT_CODE,
    REGION_CODE,
    REGION_NAME,
    SITE_TYPE,
    TRUST_TYPE,
    ContractRule,
    OrgType,
    SiteType,
    TrustType,
)

log = logging.getLogger(__name__)

ORGANISATIONS_TABLE = tables.ORGANISATIONS
REQUIRED_ORGANISATION_FIELDS = (ORG_CODE, ORG_TYPE, TRUST_TYPE)
ORG_CODE_MISSING = "ORG_CODE_MISSING"
ORG_CODE_DUPLICATE = "ORG_CODE_DUPLICATE"
ORG_TYPE_INVALID = "ORG_TYPE_INVALID"
TRUST_TYPE_INVALID = "TRUST_TYPE_INVALID"
SITE_TYPE_INVALID = "SITE_TYPE_INVALID"


@dataclass(frozen=True)
class Organisation:
    """One row of the organisation table; empty strings where the table leaves a field empty."""

    org_code: str
    org_name: str
    org_type: OrgType
    parent_code: str
    region_code: str
    region_name: str
    trust_type: TrustType | None
    site_type: SiteType | None

    @property
    def is_acute_trust(self) -> bool:
        """In SHMI scope (shmi.md §5 step 8): a trust row with ``trust_type = 'acute'``."""
        return self.org_type is OrgType.TRUST and self.trust_type is TrustType.ACUTE


def read_organisations(path: Path) -> tuple[Organisation, ...]:
    """Read and validate an organisation CSV (UTF-8, optional byte-order mark, header row)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            rows = [
                {name.strip().lower(): (value or "").strip() for name, value in row.items() if name is not None}
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        rule = ContractRule.FILE_UNREADABLE
        raise InputDataError(f"{path}: rule {rule} broken: not a readable UTF-8 CSV file", file=str(path),
                             rule=rule, count=1) from error
    missing = [name for name in REQUIRED_ORGANISATION_FIELDS if name not in header]
    if missing:
        rule = ContractRule.REQUIRED_COLUMN_MISSING
        raise InputDataError(
            f"{path}, column {missing[0]}: rule {rule} broken: required column{'s' if len(missing) > 1 else ''} "
            f"absent ({', '.join(missing)})", file=str(path), column=missing[0], rule=rule, count=len(missing))
    rows = [row for row in rows if any(row.values())]
    return tuple(_validated(path, rows))


def _validated(path: Path, rows: Sequence[dict[str, str]]) -> list[Organisation]:
    codes = [row.get(ORG_CODE, "").upper() for row in rows]
    _stop_if(path, ORG_CODE, ORG_CODE_MISSING, ["(empty)" for code in codes if not code])
    times = Counter(codes)
    _stop_if(path, ORG_CODE, ORG_CODE_DUPLICATE, [code for code in codes if code and times[code] > 1])
    org_types = [row.get(ORG_TYPE, "").lower() for row in rows]
    _stop_if(path, ORG_TYPE, ORG_TYPE_INVALID, [t for t in org_types if t not in set(OrgType)])
    trust_types = [row.get(TRUST_TYPE, "").lower() for row in rows]
    _stop_if(path, TRUST_TYPE, TRUST_TYPE_INVALID, [t for t in trust_types if t and t not in set(TrustType)])
    site_types = [row.get(SITE_TYPE, "").lower() for row in rows]
    _stop_if(path, SITE_TYPE, SITE_TYPE_INVALID, [t for t in site_types if t and t not in set(SiteType)])
    return [
        Organisation(
            org_code=code,
            org_name=row.get(ORG_NAME, ""),
            org_type=OrgType(org_type),
            parent_code=row.get(PARENT_CODE, "").upper(),
            region_code=row.get(REGION_CODE, "").upper(),
            region_name=row.get(REGION_NAME, ""),
            trust_type=TrustType(trust_type) if trust_type else None,
            site_type=SiteType(site_type) if site_type else None,
        )
        for row, code, org_type, trust_type, site_type in zip(
            rows, codes, org_types, trust_types, site_types, strict=True)
    ]


def _stop_if(path: Path, column: str, rule: str, bad_values: Sequence[str]) -> None:
    if bad_values:
        examples = ", ".join(sorted(set(bad_values))[:3])
        raise InputDataError(
            f"{path}, column {column}: rule {rule} broken by {len(bad_values)} row"
            f"{'s' if len(bad_values) != 1 else ''} (examples: {examples})",
            file=str(path), column=column, rule=rule, count=len(bad_values))


def fill_from_ods(organisations: Iterable[Organisation]) -> tuple[Organisation, ...]:
    """Fill a trust's empty ``org_name``, ``region_code`` and ``region_name`` from the ODS trust list."""
    ods = trusts()
    filled = []
    for organisation in organisations:
        known = ods.get(organisation.org_code)
        if organisation.org_type is OrgType.TRUST and known is not None:
            region_code = organisation.region_code or known.region_code
            organisation = replace(
                organisation,
                org_name=organisation.org_name or known.name,
                region_code=region_code,
                region_name=organisation.region_name or REGION_NAMES.get(region_code, "") or known.region_name,
            )
        filled.append(organisation)
    return tuple(filled)


def register_organisations(con: duckdb.DuckDBPyConnection, organisations: Sequence[Organisation]) -> None:
    """Create table ``organisations`` (columns of data contract §3, ``NULL`` where empty)."""
    columns = ", ".join(f"{name} VARCHAR" for name in ORGANISATION_FIELDS)
    con.execute(f"CREATE OR REPLACE TABLE {ORGANISATIONS_TABLE} ({columns})")
    if organisations:
        placeholders = ", ".join("?" for _ in ORGANISATION_FIELDS)
        con.executemany(
            f"INSERT INTO {ORGANISATIONS_TABLE} VALUES ({placeholders})",
            [[value or None for value in (
                o.org_code, o.org_name, o.org_type.value, o.parent_code, o.region_code, o.region_name,
                o.trust_type.value if o.trust_type else "", o.site_type.value if o.site_type else "",
            )] for o in organisations],
        )


def load_organisations(con: duckdb.DuckDBPyConnection, path: Path | None) -> tuple[Organisation, ...]:
    """Read, validate and fill the organisation table and register it in DuckDB; empty without a file."""
    if path is None:
        log.warning("no organisation table given (--organisations): no trust is in SHMI scope")
        organisations: tuple[Organisation, ...] = ()
    else:
        organisations = fill_from_ods(read_organisations(path))
        log.info("%s: %d organisations, %d acute trusts", path, len(organisations),
                 sum(o.is_acute_trust for o in organisations))
    register_organisations(con, organisations)
    return organisations
