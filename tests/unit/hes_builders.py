"""Small hand-built inputs for the tests of reading, validation, spells, CIPS, scope and outcome.

An episode is a dict of contract fields as text; :func:`episode` fills the fields a test does not care about
with valid values (a finished one-episode emergency spell of a 70-year-old man at trust RAA in January 2024).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import duckdb

from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.hes import InputReport, load_inputs
from hospmort.hes.quality import DataQualityRow, value_of
from hospmort.schema import DEATH_FIELDS, EPISODE_FIELDS, ORGANISATION_FIELDS

_epikeys = itertools.count(1000)

EPISODE_DEFAULTS: dict[str, str] = {
    "HESID": "P1",
    "PROCODE3": "RAA",
    "SITETRET": "RAA01",
    "PROVSPNOPS": "S1",
    "EPIORDER": "1",
    "EPISTAT": "3",
    "EPISTART": "2024-01-01",
    "EPIEND": "2024-01-05",
    "ADMIDATE": "2024-01-01",
    "DISDATE": "2024-01-05",
    "ADMIMETH": "21",
    "ADMISORC": "19",
    "DISMETH": "1",
    "DISDEST": "19",
    "CLASSPAT": "1",
    "STARTAGE": "70",
    "SEX": "1",
    "DIAG_4_01": "J189",
    "TRETSPEF": "300",
    "MAINSPEF": "300",
}
#: Period end used by most scope and outcome tests: modelling window 2022-01-01 .. 2024-12-31.
PERIOD_END = Month(2024, 12)
WINDOWS = Windows(PERIOD_END)


def episode(**fields: str) -> dict[str, str]:
    """An episode with valid defaults; a unique ``EPIKEY`` unless given."""
    row = {"EPIKEY": str(next(_epikeys)), **EPISODE_DEFAULTS}
    row.update(fields)
    return row


def spell(*, hesid: str, procode: str, spell_number: str, admidate: str, disdate: str, **fields: str
          ) -> dict[str, str]:
    """A one-episode spell: the episode dates span the admission and discharge dates."""
    given = {"HESID": hesid, "PROCODE3": procode, "SITETRET": procode + "01", "PROVSPNOPS": spell_number,
             "ADMIDATE": admidate, "DISDATE": disdate, "EPISTART": admidate, "EPIEND": disdate}
    return episode(**{**given, **fields})


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None,
              bom: bool = False) -> Path:
    """Write rows as a CSV file (columns: the given ones, or every key met, in order)."""
    if columns is None:
        columns = list(dict.fromkeys(key for row in rows for key in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(column, "") for column in columns])
    return path


def write_episodes(path: Path, rows: Sequence[Mapping[str, str]], columns: Sequence[str] | None = None) -> Path:
    """Episodes CSV with every contract field as a column unless ``columns`` is given."""
    return write_csv(path, rows, columns or list(EPISODE_FIELDS))


def write_deaths(path: Path, deaths: Iterable[tuple[str, str]]) -> Path:
    """Deaths CSV from (HESID, DOD) pairs."""
    return write_csv(path, [{"HESID": h, "DOD": d} for h, d in deaths], list(DEATH_FIELDS[:2]))


def write_organisations(path: Path, acute: Iterable[str] = ("RAA", "RBB"), other: Mapping[str, str] | None = None
                        ) -> Path:
    """Organisation CSV: the ``acute`` trusts, plus trusts of other types given as {code: trust_type}."""
    rows = [{"org_code": code, "org_type": "trust", "trust_type": "acute"} for code in acute]
    rows += [{"org_code": code, "org_type": "trust", "trust_type": kind} for code, kind in (other or {}).items()]
    return write_csv(path, rows, list(ORGANISATION_FIELDS))


def load(tmp_path: Path, episodes: Sequence[Mapping[str, str]], deaths: Iterable[tuple[str, str]] = (),
         organisations: Path | None = None, column_map: Mapping[str, str] | None = None,
         ) -> tuple[duckdb.DuckDBPyConnection, InputReport]:
    """Write the inputs to ``tmp_path``, load them into a fresh connection, return it and the report."""
    con = connect_duckdb(EngineOptions(threads=2))
    report = load_inputs(con, write_episodes(tmp_path / "episodes.csv", episodes),
                         write_deaths(tmp_path / "deaths.csv", deaths), organisations, column_map)
    return con, report


def rows_of(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[object, ...]]:
    return con.execute(query).fetchall()


def measure(rows: Iterable[DataQualityRow], name: str, provider: str = "ALL") -> int:
    """Value of a data-quality measure (0 when the rows have none)."""
    return value_of(rows, name, provider)
