"""The results store (hospmort.store): schema, atomic writes, publications and reading back."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from hospmort.config import Month
from hospmort.errors import StoreError
from hospmort.store import (
    ALL_TABLES,
    PUBLICATION_TABLES,
    SCHEMA_VERSION,
    Indicator,
    Publication,
    PublicationStatus,
    ResultsStore,
    SqlType,
    TableSpec,
    get_publication,
    latest_publication,
    list_publications,
    open_store,
    parse_store_location,
    previous_publication,
    publish,
    read_arrow_table,
    read_manifest,
    read_table,
    write_publication,
)
from hospmort.store.connection import StoreKind, describe_store_location
from hospmort.store.postgres import describe_postgres_url, translate_placeholders
from hospmort.store.tables import DOC_BEGIN, DOC_END, render_schema_markdown, table_spec
from postgres_server import PASSWORD_ROLE, PASSWORD_ROLE_PASSWORD

DEC25 = Month(2025, 12)
NOV25 = Month(2025, 11)
JAN26 = Month(2026, 1)
SHMI = (Indicator.SHMI,)
#: A publication carrying both indicators may write every publication table.
BOTH = (Indicator.SHMI, Indicator.HSMR)
CREATED = dt.datetime(2026, 2, 1, 9, 30, tzinfo=dt.UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "results-database.md"


# --- hand-built rows ------------------------------------------------------------------------------------------


def value_for(column_type: SqlType, row: int, variant: int) -> Any:
    """A distinct value of the column type for row ``row`` of data variant ``variant``."""
    if column_type is SqlType.VARCHAR:
        return f"v{variant}-{row}"
    if column_type in (SqlType.INTEGER, SqlType.BIGINT):
        return 100 * variant + row
    if column_type is SqlType.DOUBLE:
        return variant + row + 0.125
    if column_type is SqlType.BOOLEAN:
        return row % 2 == 0
    if column_type is SqlType.DATE:
        return dt.date(2025, 1, 1) + dt.timedelta(days=row)
    return dt.datetime(2025, 1, 1, 12) + dt.timedelta(days=row)


def rows_for(table: TableSpec, count: int, variant: int = 1) -> list[dict[str, Any]]:
    """``count`` rows with every value column filled (distinct keys), as a writer would give them."""
    return [{c.name: value_for(c.sql_type, i, variant) for c in table.value_columns} for i in range(count)]


def all_tables(variant: int = 1, count: int = 3) -> dict[str, list[dict[str, Any]]]:
    return {table.name: rows_for(table, count, variant) for table in PUBLICATION_TABLES}


def trust_row(code: str, spells: int, observed: int, expected: float, shmi: float | None) -> dict[str, Any]:
    limits = dict.fromkeys(("PO_LL", "PO_UL", "OD_LL", "OD_UL", "OD_LL_998", "OD_UL_998", "PO_LL_95", "PO_UL_95"))
    return {
        "PROVIDER_CODE": code, "PROVIDER_NAME": f"{code} trust", "REGION_CODE": "Y56", "REGION_NAME": "London",
        "SPELLS": spells, "OBSERVED": observed, "EXPECTED": expected, "EXPECTED_ROUNDED": round(expected, 2),
        "SHMI_VALUE": shmi, "SHMI_BANDING": None if shmi is None else 2, **limits,
    }


def finding(check: str, severity: str) -> dict[str, Any]:
    return {"CHECK": check, "SEVERITY": severity, "PROVIDER_CODE": None, "DIAGNOSIS_GROUP": None, "VALUE": 0.5,
            "THRESHOLD": None}


def snapshot(store: ResultsStore) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table."""
    return {table.name: read_table(store, table.name) for table in ALL_TABLES}


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new, empty store is: a DuckDB file, or a new database of the test PostgreSQL server (issue 8).

    Every test that uses a store runs on both backends: same schema, same behaviour.
    """
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return str(tmp_path / "results" / "store.duckdb")


@pytest.fixture
def store(store_location: str) -> Any:
    with open_store(store_location) as opened:
        yield opened


# --- schema ----------------------------------------------------------------------------------------------------


def test_opening_read_write_creates_every_table_and_records_the_schema_version(store: ResultsStore) -> None:
    for table in ALL_TABLES:
        assert read_table(store, table.name) == [] or table.name == "schema_version"
    versions = read_table(store, "schema_version")
    assert [row["VERSION"] for row in versions] == [SCHEMA_VERSION]


def test_reopening_a_store_keeps_its_publications_and_schema_version(store_location: str) -> None:
    with open_store(store_location) as first:
        write_publication(first, Publication(DEC25, SHMI, {}))
    with open_store(store_location) as second:
        assert [p.period_end for p in list_publications(second)] == [DEC25]
        assert len(read_table(second, "schema_version")) == 1


def test_every_column_type_is_portable_and_every_publication_table_is_keyed_by_period() -> None:
    portable = {"VARCHAR", "INTEGER", "BIGINT", "DOUBLE PRECISION", "DATE", "TIMESTAMP", "BOOLEAN"}
    for table in ALL_TABLES:
        assert {c.sql_type.value for c in table.columns} <= portable
        assert re.fullmatch(r"[a-z_]+", table.name)
    for table in PUBLICATION_TABLES:
        assert table.columns[0].name == "PERIOD_END"
        assert table.primary_key[:1] in ((), ("PERIOD_END",))


def test_no_table_has_a_patient_level_column() -> None:
    patient_level = {"HESID", "EPIKEY", "PROVSPNOPS", "SPELL_KEY", "CIPS_KEY", "ADMIDATE", "DISDATE", "DOD",
                     "EPISTART", "EPIEND", "LSOA11", "PREDICTED_RISK"}
    for table in ALL_TABLES:
        assert not set(table.column_names) & patient_level, table.name


def test_results_database_doc_lists_every_table_and_column_as_the_schema_defines_them() -> None:
    document = DOCS.read_text(encoding="utf-8")
    generated = document[document.index(DOC_BEGIN) + len(DOC_BEGIN):document.index(DOC_END)]
    assert generated.strip() == render_schema_markdown().strip()


# --- writing and reading back ------------------------------------------------------------------------------------


def test_every_table_reads_back_equal_to_what_was_written(store: ResultsStore) -> None:
    tables = all_tables()
    write_publication(store, Publication(DEC25, BOTH, tables))
    for name, rows in tables.items():
        stored = read_table(store, name, DEC25)
        assert stored == [{"PERIOD_END": "2025-12", **row} for row in rows], name


def test_unrounded_values_are_stored_at_full_precision(store: ResultsStore) -> None:
    expected = 455.31500000000006
    shmi = 412 / 455.32
    write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": [trust_row("RAA", 5000, 412, expected, shmi)]}))
    [row] = read_table(store, "shmi_trust", DEC25)
    assert row["EXPECTED"] == expected
    assert row["SHMI_VALUE"] == shmi
    assert row["SPELLS"] == 5000 and isinstance(row["SPELLS"], int)


def test_rows_given_as_an_arrow_table_are_stored_like_dicts(store: ResultsStore) -> None:
    rows = [trust_row("RBB", 40, 8, 9.5, 0.84), trust_row("RAA", 40, 0, 7.5, 0.0)]
    arrow = pa.Table.from_pylist(rows)  # int64 and double columns, cast by the writer
    write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": arrow}))
    stored = read_table(store, "shmi_trust", DEC25)
    assert [r["PROVIDER_CODE"] for r in stored] == ["RAA", "RBB"]  # sorted by key
    assert stored[1] == {"PERIOD_END": "2025-12", **rows[0]}
    assert read_arrow_table(store, "shmi_trust", DEC25).num_rows == 2


def test_period_end_may_be_given_when_it_is_the_publications(store: ResultsStore) -> None:
    row = {"PERIOD_END": "2025-12", **trust_row("RAA", 40, 8, 9.5, 0.84)}
    write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": [row]}))
    with pytest.raises(StoreError, match="PERIOD_END"):
        write_publication(store, Publication(NOV25, SHMI, {"shmi_trust": [row]}))


def test_publication_row_records_label_status_time_version_indicators_and_manifest(store: ResultsStore) -> None:
    manifest = {"config": {"period_end": "2025-12"}, "rows": {"episodes": 1200}}
    stored = write_publication(store, Publication(DEC25, (Indicator.HSMR, Indicator.SHMI), {}, manifest,
                                                  package_version="9.9.9"), created_at=CREATED)
    assert stored.time_period == "JAN25_DEC25"
    assert stored.status is PublicationStatus.DRAFT
    assert stored.created_at == CREATED
    assert stored.published_at is None
    assert stored.package_version == "9.9.9"
    assert stored.indicators == (Indicator.SHMI, Indicator.HSMR)
    assert read_table(store, "publications")[0]["INDICATORS"] == "SHMI,HSMR"
    assert read_manifest(store, DEC25) == manifest


def test_a_publication_can_be_stored_as_published_directly(store: ResultsStore) -> None:
    stored = write_publication(store, Publication(DEC25, SHMI, {}), status=PublicationStatus.PUBLISHED,
                               created_at=CREATED)
    assert stored.status is PublicationStatus.PUBLISHED
    assert stored.published_at == CREATED


def test_rewriting_a_period_replaces_its_rows_and_leaves_other_periods_alone(store: ResultsStore) -> None:
    write_publication(store, Publication(NOV25, BOTH, all_tables(variant=1)))
    write_publication(store, Publication(DEC25, BOTH, all_tables(variant=2)))
    november_before = {t.name: read_table(store, t.name, NOV25) for t in PUBLICATION_TABLES}

    replacement = {"shmi_trust": [trust_row("RCC", 100, 9, 10.0, 0.9)]}
    write_publication(store, Publication(DEC25, SHMI, replacement))

    assert [r["PROVIDER_CODE"] for r in read_table(store, "shmi_trust", DEC25)] == ["RCC"]
    for table in PUBLICATION_TABLES:
        if table.name != "shmi_trust":
            assert read_table(store, table.name, DEC25) == [], table.name
        assert read_table(store, table.name, NOV25) == november_before[table.name], table.name
    assert [p.period_end for p in list_publications(store)] == [NOV25, DEC25]


def test_rewriting_a_published_period_stores_the_new_version_as_a_draft(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, SHMI, {}), status=PublicationStatus.PUBLISHED)
    stored = write_publication(store, Publication(DEC25, SHMI, {}))
    assert stored.status is PublicationStatus.DRAFT


# --- atomicity ----------------------------------------------------------------------------------------------------


def test_failed_write_in_the_last_table_leaves_every_stored_publication_exactly_as_it_was(
        store: ResultsStore) -> None:
    write_publication(store, Publication(NOV25, BOTH, all_tables(variant=1)), created_at=CREATED)
    write_publication(store, Publication(DEC25, BOTH, all_tables(variant=2)), created_at=CREATED)
    before = snapshot(store)

    broken = all_tables(variant=3)
    last = PUBLICATION_TABLES[-1]
    required = next(c.name for c in last.value_columns if not c.nullable)
    broken[last.name][-1][required] = None  # violates NOT NULL in the last row of the last table
    with pytest.raises(StoreError, match=last.name):
        write_publication(store, Publication(DEC25, BOTH, broken))

    assert snapshot(store) == before


def test_duplicate_key_fails_the_write_and_keeps_the_stored_period(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": [trust_row("RAA", 40, 8, 9.5, 0.84)]}))
    before = snapshot(store)
    duplicated = [trust_row("RBB", 40, 8, 9.5, 0.84), trust_row("RBB", 50, 9, 9.9, 0.9)]
    with pytest.raises(StoreError):
        write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": duplicated}))
    assert snapshot(store) == before


class FailingBackend:
    """The store's real DuckDB backend, made to fail at the n-th statement or bulk insert of a write."""

    def __init__(self, inner: Any, fail_at: int) -> None:
        self.inner = inner
        self.fail_at = fail_at
        self.calls = 0

    @property
    def read_only(self) -> bool:
        return bool(self.inner.read_only)

    def _count(self) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise StoreError(f"simulated failure at call {self.calls}")

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        if not sql.startswith(("BEGIN", "COMMIT")):
            self._count()
        return list(self.inner.execute(sql, parameters))

    def insert_rows(self, table: TableSpec, rows: pa.Table) -> None:
        self._count()
        self.inner.insert_rows(table, rows)

    def transaction(self) -> AbstractContextManager[None]:
        return self.inner.transaction()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()


def count_write_calls(scratch_folder: Path) -> int:
    """The number of statements and bulk inserts one full write makes (no failure; the writer's calls, the same on
    every backend: counted on a scratch DuckDB file)."""
    with open_store(scratch_folder / "count.duckdb") as scratch:
        counting = FailingBackend(scratch.backend, fail_at=0)
        write_publication(ResultsStore(counting, scratch.location), Publication(DEC25, BOTH, all_tables(3)))
        return counting.calls


def test_failure_at_any_point_of_a_write_leaves_the_store_unchanged(store: ResultsStore, tmp_path: Path) -> None:
    write_publication(store, Publication(NOV25, BOTH, all_tables(variant=1)), created_at=CREATED)
    write_publication(store, Publication(DEC25, BOTH, all_tables(variant=2)), created_at=CREATED)
    before = snapshot(store)
    # every delete, every insert and the publications row; the last call (reading the row back) is after commit
    writes = count_write_calls(tmp_path) - 1
    assert writes == 2 * len(PUBLICATION_TABLES) + 2
    for fail_at in range(1, writes + 1):
        failing = ResultsStore(FailingBackend(store.backend, fail_at), store.location)
        with pytest.raises(StoreError, match="simulated failure"):
            write_publication(failing, Publication(DEC25, BOTH, all_tables(variant=3)))
        assert snapshot(store) == before, f"failure at call {fail_at}"


def test_rows_that_do_not_fit_their_table_are_refused_before_anything_is_written(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, BOTH, all_tables()))
    before = snapshot(store)
    row = trust_row("RAA", 40, 8, 9.5, 0.84)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"shmi_trust": [{k: v for k, v in row.items() if k != "SPELLS"}]}, "missing column.*SPELLS"),
        ({"shmi_trust": [{**row, "HESID": "x"}]}, "unknown column.*HESID"),
        ({"shmi_trust": [{**row, "SPELLS": "many"}]}, "shmi_trust, column SPELLS"),
        ({"shmi_trusts": [row]}, "no results-store table 'shmi_trusts'"),
        ({"publications": []}, "not a publication table"),
    ]
    for tables, message in cases:
        with pytest.raises(StoreError, match=message):
            write_publication(store, Publication(DEC25, SHMI, tables))
    assert snapshot(store) == before


def test_a_table_of_an_indicator_the_publication_does_not_carry_is_refused(store: ResultsStore) -> None:
    with pytest.raises(StoreError, match="SHMI results"):
        write_publication(store, Publication(DEC25, (Indicator.HSMR,), {"shmi_trust": []}))
    with pytest.raises(StoreError, match="at least one indicator"):
        write_publication(store, Publication(DEC25, (), {}))


def test_manifest_must_be_json(store: ResultsStore) -> None:
    with pytest.raises(StoreError, match="manifest"):
        write_publication(store, Publication(DEC25, SHMI, {}, manifest="{not json"))
    with pytest.raises(StoreError, match="manifest"):
        write_publication(store, Publication(DEC25, SHMI, {}, manifest={"when": object()}))
    assert list_publications(store) == []


# --- publications -------------------------------------------------------------------------------------------------


def test_publications_are_listed_by_period_end(store: ResultsStore) -> None:
    for month in (DEC25, NOV25, JAN26):
        write_publication(store, Publication(month, SHMI, {}))
    assert [p.period_end for p in list_publications(store)] == [NOV25, DEC25, JAN26]
    assert [p.time_period for p in list_publications(store)] == ["DEC24_NOV25", "JAN25_DEC25", "FEB25_JAN26"]


def test_previous_publication_is_the_latest_stored_before_the_period_draft_or_published(
        store: ResultsStore) -> None:
    assert previous_publication(store, DEC25) is None
    write_publication(store, Publication(Month(2025, 6), SHMI, {}), status=PublicationStatus.PUBLISHED)
    write_publication(store, Publication(Month(2025, 9), SHMI, {}))  # a draft counts
    write_publication(store, Publication(DEC25, SHMI, {}))
    write_publication(store, Publication(JAN26, SHMI, {}))

    previous = previous_publication(store, DEC25)
    assert previous is not None
    assert previous.period_end == Month(2025, 9)
    assert previous.status is PublicationStatus.DRAFT
    assert previous_publication(store, Month(2025, 9)).period_end == Month(2025, 6)  # type: ignore[union-attr]
    assert previous_publication(store, Month(2025, 6)) is None
    assert previous_publication(store, Month(2027, 1)).period_end == JAN26  # type: ignore[union-attr]


def test_publish_marks_a_draft_published(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, SHMI, {}), created_at=CREATED)
    when = dt.datetime(2026, 2, 12, 9, 30, tzinfo=dt.UTC)
    published = publish(store, DEC25, published_at=when)
    assert published.status is PublicationStatus.PUBLISHED
    assert published.published_at == when
    assert published.created_at == CREATED
    assert get_publication(store, DEC25) == published
    assert latest_publication(store, status=PublicationStatus.PUBLISHED) == published


def test_publishing_again_changes_nothing(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, SHMI, {}))
    first = publish(store, DEC25, published_at=CREATED)
    assert publish(store, DEC25) == first


def test_publishing_an_absent_period_is_an_error_naming_the_stored_ones(store: ResultsStore) -> None:
    write_publication(store, Publication(NOV25, SHMI, {}))
    with pytest.raises(StoreError, match=r"no publication for period end 2025-12 .*stored: 2025-11"):
        publish(store, DEC25)


def test_a_publication_with_blocking_findings_stays_a_draft_unless_accepted(store: ResultsStore) -> None:
    findings = [finding("NATIONAL_OE", "BLOCKING"), finding("NATIONAL_OE", "BLOCKING"),
                finding("SHMI_CHANGE", "WARNING")]
    write_publication(store, Publication(DEC25, SHMI, {"quality_check": findings}))
    with pytest.raises(StoreError, match=r"2 BLOCKING .*NATIONAL_OE x2"):
        publish(store, DEC25)
    assert get_publication(store, DEC25).status is PublicationStatus.DRAFT  # type: ignore[union-attr]
    assert publish(store, DEC25, accept_blocking_findings=True).status is PublicationStatus.PUBLISHED


def test_warnings_do_not_stop_publishing(store: ResultsStore) -> None:
    write_publication(store, Publication(DEC25, SHMI, {"quality_check": [finding("SHMI_CHANGE", "WARNING")]}))
    assert publish(store, DEC25).status is PublicationStatus.PUBLISHED


# --- reading --------------------------------------------------------------------------------------------------------


def test_read_table_filters_by_period_value_list_and_null(store: ResultsStore) -> None:
    write_publication(store, Publication(NOV25, SHMI, {"shmi_trust": [trust_row("RAA", 40, 8, 9.5, 0.8)]}))
    write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": [
        trust_row("RAA", 40, 8, 9.5, 0.84), trust_row("RBB", 20, 1, 2.0, None), trust_row("RCC", 90, 9, 9.0, 1.0),
    ]}))
    codes = [r["PROVIDER_CODE"] for r in read_table(store, "shmi_trust", DEC25, where={"PROVIDER_CODE": ["RAA",
                                                                                                          "RCC"]})]
    assert codes == ["RAA", "RCC"]
    assert [r["PERIOD_END"] for r in read_table(store, "shmi_trust", where={"PROVIDER_CODE": "RAA"})] == [
        "2025-11", "2025-12"]
    assert [r["PROVIDER_CODE"] for r in read_table(store, "shmi_trust", DEC25, where={"SHMI_VALUE": None})] == [
        "RBB"]
    assert read_table(store, "shmi_trust", DEC25, where={"PROVIDER_CODE": []}) == []
    with pytest.raises(StoreError, match="no column HESID"):
        read_table(store, "shmi_trust", DEC25, where={"HESID": "x"})
    with pytest.raises(StoreError, match="no results-store table"):
        read_table(store, "trusts", DEC25)
    assert [r["TIME_PERIOD"] for r in read_table(store, "publications", NOV25)] == ["DEC24_NOV25"]
    with pytest.raises(StoreError, match="no PERIOD_END column"):
        read_table(store, "schema_version", DEC25)


def test_tables_without_a_key_read_back_in_sort_order_with_empty_values_last(store: ResultsStore) -> None:
    parameters = [
        {"BREAKDOWN": "TRUST", "DIAGNOSIS_GROUP": None, "UNITS_ELIGIBLE": 120, "UNITS_KEPT": 96, "PHI": 2.5,
         "TAU2": 0.002},
        {"BREAKDOWN": "DIAGNOSIS_GROUP", "DIAGNOSIS_GROUP": 73, "UNITS_ELIGIBLE": 110, "UNITS_KEPT": 88,
         "PHI": 1.5, "TAU2": 0.0},
        {"BREAKDOWN": "DIAGNOSIS_GROUP", "DIAGNOSIS_GROUP": 2, "UNITS_ELIGIBLE": 115, "UNITS_KEPT": 92,
         "PHI": 1.7, "TAU2": 0.001},
    ]
    findings = [finding("SHMI_CHANGE", "WARNING"), {**finding("SHMI_CHANGE", "WARNING"), "PROVIDER_CODE": "RAA"},
                {**finding("DATA_QUALITY", "WARNING"), "PROVIDER_CODE": "ALL"}]
    write_publication(store, Publication(DEC25, SHMI, {"shmi_limits_parameters": parameters,
                                                       "quality_check": findings}))
    stored = read_table(store, "shmi_limits_parameters", DEC25)
    assert [(r["BREAKDOWN"], r["DIAGNOSIS_GROUP"]) for r in stored] == [
        ("DIAGNOSIS_GROUP", 2), ("DIAGNOSIS_GROUP", 73), ("TRUST", None)]
    checks = read_table(store, "quality_check", DEC25)
    assert [(r["CHECK"], r["PROVIDER_CODE"]) for r in checks] == [
        ("DATA_QUALITY", "ALL"), ("SHMI_CHANGE", "RAA"), ("SHMI_CHANGE", None)]


# --- opening ----------------------------------------------------------------------------------------------------------


def test_read_only_store_reads_with_several_readers_and_refuses_writes(store_location: str) -> None:
    with open_store(store_location) as writer:
        write_publication(writer, Publication(DEC25, SHMI, {"shmi_trust": [trust_row("RAA", 40, 8, 9.5, 0.84)]}))
    as_url = store_location if "://" in store_location else f"duckdb://{store_location}"
    with open_store(store_location, read_only=True) as first, open_store(as_url, read_only=True) as second:
        assert first.read_only and second.read_only
        assert [p.period_end for p in list_publications(first)] == [DEC25]
        assert read_table(second, "shmi_trust", DEC25)[0]["PROVIDER_CODE"] == "RAA"
        with pytest.raises(StoreError, match="read-only"):
            write_publication(first, Publication(JAN26, SHMI, {}))
        with pytest.raises(StoreError, match="read-only"):
            publish(first, DEC25)
        with pytest.raises(StoreError, match="read-only"):  # the database itself refuses, not only the writer
            first.backend.execute('DELETE FROM "publications"')
    with open_store(store_location, read_only=True) as reader:
        assert [p.period_end for p in list_publications(reader)] == [DEC25]


def test_read_only_open_of_a_missing_file_or_a_foreign_database_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no results store at"):
        open_store(tmp_path / "absent.duckdb", read_only=True)
    import duckdb

    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).close()
    with pytest.raises(StoreError, match="not a hospmort results store"):
        open_store(foreign, read_only=True)


def test_opening_an_older_store_read_write_adds_missing_tables_and_records_the_version(
        store_location: str) -> None:
    with open_store(store_location) as store:
        write_publication(store, Publication(DEC25, SHMI, {"shmi_trust": [trust_row("RAA", 40, 8, 9.5, 0.84)]}))
        # make it look like a store of the previous schema version, before shmi_contextual existed
        store.backend.execute('DROP TABLE "shmi_contextual"')
        store.backend.execute('UPDATE "schema_version" SET "VERSION" = ?', (SCHEMA_VERSION - 1,))
    with pytest.raises(StoreError, match="older"):
        open_store(store_location, read_only=True)
    with open_store(store_location) as upgraded:
        assert read_table(upgraded, "shmi_contextual") == []
        assert [r["VERSION"] for r in read_table(upgraded, "schema_version")] == [SCHEMA_VERSION - 1,
                                                                                  SCHEMA_VERSION]
        assert read_table(upgraded, "shmi_trust", DEC25)[0]["PROVIDER_CODE"] == "RAA"
    with open_store(store_location, read_only=True) as reader:
        assert [p.period_end for p in list_publications(reader)] == [DEC25]


def test_a_store_with_a_newer_schema_is_refused(store_location: str) -> None:
    with open_store(store_location) as store:
        store.backend.execute('INSERT INTO "schema_version" VALUES (?, ?, ?)',
                              (SCHEMA_VERSION + 1, dt.datetime(2030, 1, 1), "99.0"))
    with pytest.raises(StoreError, match="newer"):
        open_store(store_location)
    with pytest.raises(StoreError, match="newer"):
        open_store(store_location, read_only=True)


def test_store_locations_are_paths_duckdb_urls_or_postgresql_urls() -> None:
    assert parse_store_location("results.duckdb").target == "results.duckdb"
    assert parse_store_location("duckdb:///srv/results.duckdb").target == "/srv/results.duckdb"
    assert parse_store_location(Path("/tmp/x.duckdb")).kind is StoreKind.DUCKDB
    assert parse_store_location("postgresql://user:pw@host/db").kind is StoreKind.POSTGRESQL
    assert parse_store_location("postgres://host/db").kind is StoreKind.POSTGRESQL
    with pytest.raises(StoreError, match="'mysql' is not supported"):
        parse_store_location("mysql://host/db")
    with pytest.raises(StoreError, match="names no file"):
        parse_store_location("duckdb://")


def test_table_spec_refuses_inconsistent_definitions() -> None:
    trust = table_spec("shmi_trust")
    with pytest.raises(ValueError, match="not a column"):
        TableSpec("t", "d", trust.columns, ("PERIOD_END", "NOPE"), ("PERIOD_END",))
    with pytest.raises(ValueError, match="must be NOT NULL"):
        TableSpec("t", "d", trust.columns, ("PERIOD_END", "SHMI_VALUE"), ("PERIOD_END",))


# --- transactions, the same on both backends ----------------------------------------------------------------------


def test_a_transaction_cannot_be_opened_inside_another(store: ResultsStore) -> None:
    with store.backend.transaction(), pytest.raises(StoreError, match="transaction"), store.backend.transaction():
        pass
    write_publication(store, Publication(DEC25, SHMI, {}))  # the store is usable afterwards
    assert [p.period_end for p in list_publications(store)] == [DEC25]


def test_a_transaction_whose_statement_failed_is_rolled_back_with_an_error_even_if_the_failure_was_caught(
        store: ResultsStore) -> None:
    backend = store.backend
    with pytest.raises(StoreError, match="statement of the transaction failed"), backend.transaction():
        backend.execute('INSERT INTO "schema_version" VALUES (?, ?, ?)', (SCHEMA_VERSION + 5, CREATED, "x"))
        with contextlib.suppress(StoreError):
            backend.execute('INSERT INTO "schema_version" VALUES (?, ?, ?)', (None, CREATED, "x"))
    assert [row["VERSION"] for row in read_table(store, "schema_version")] == [SCHEMA_VERSION]


# --- PostgreSQL specifics (issue 8) ---------------------------------------------------------------------------------


def test_store_sql_placeholders_become_psycopg_placeholders_outside_quotes_and_comments() -> None:
    assert translate_placeholders('SELECT "A?" FROM "t" WHERE "B" = ? AND "C" IN (?, ?)') == (
        'SELECT "A?" FROM "t" WHERE "B" = %s AND "C" IN (%s, %s)')
    assert translate_placeholders("SELECT '?', 5 % 2 -- why?\nFROM t WHERE x = ?") == (
        "SELECT '?', 5 %% 2 -- why?\nFROM t WHERE x = %s")
    assert translate_placeholders("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , %s"


def test_postgresql_urls_are_shown_without_their_password() -> None:
    assert describe_postgres_url("postgresql://hosp:s3cret@db.example:5433/results") == (
        "postgresql://hosp@db.example:5433/results")
    assert describe_postgres_url("postgresql://db.example/results?password=s3cret&sslmode=require") == (
        "postgresql://db.example/results?sslmode=require")
    assert describe_store_location("postgres://u:pw@h/d") == "postgres://u@h/d"
    assert describe_store_location("results/store.duckdb") == "results/store.duckdb"


def test_an_unreachable_postgresql_store_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect") as caught:
        open_store("postgresql://hosp:Sup3rS3cret@127.0.0.1:1/results?connect_timeout=5")
    assert "Sup3rS3cret" not in str(caught.value)
    assert "postgresql://hosp@127.0.0.1:1/results" in str(caught.value)


@pytest.mark.postgres
def test_a_wrong_postgresql_password_is_refused_without_showing_it(postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    wrong = f"postgresql://{PASSWORD_ROLE}:not-{PASSWORD_ROLE_PASSWORD}@{postgres_url.split('@', 1)[1]}"
    with pytest.raises(StoreError, match="password authentication failed") as caught:
        open_store(wrong)
    assert PASSWORD_ROLE_PASSWORD not in str(caught.value)
    right = wrong.replace(f":not-{PASSWORD_ROLE_PASSWORD}@", f":{PASSWORD_ROLE_PASSWORD}@")
    with pytest.raises(StoreError, match="not a hospmort results store") as refused:
        open_store(right, read_only=True)  # an empty database is no store; the role can log in
    assert database in str(refused.value) and PASSWORD_ROLE_PASSWORD not in str(refused.value)


@pytest.mark.postgres
def test_read_only_open_of_an_absent_or_foreign_postgresql_database_is_an_error(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        open_store(postgres_url.rsplit("/", 1)[0] + "/no_such_database", read_only=True)
    with pytest.raises(StoreError, match="not a hospmort results store"):
        open_store(postgres_url, read_only=True)


@pytest.mark.postgres
def test_postgresql_tables_have_the_portable_column_types(postgres_url: str) -> None:
    with open_store(postgres_url) as store:
        rows = store.backend.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
    stored = {(table, name): (data_type, nullable == "YES") for table, name, data_type, nullable in rows}
    postgres_names = {"VARCHAR": "character varying", "INTEGER": "integer", "BIGINT": "bigint",
                      "DOUBLE PRECISION": "double precision", "DATE": "date",
                      "TIMESTAMP": "timestamp without time zone", "BOOLEAN": "boolean"}
    expected = {(table.name, c.name): (postgres_names[c.sql_type.value], c.nullable)
                for table in ALL_TABLES for c in table.columns}
    assert stored == expected
