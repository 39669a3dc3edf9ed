"""Validate the inputs against the data contract and materialise the typed tables (data contract §1, §2, §4).

From the all-text views of :mod:`hes.read`, this module builds, in DuckDB:

``episodes`` (one row per episode kept)
    The contract fields of §1, typed: keys (``EPIKEY``, ``HESID``, ``PROVSPNOPS``) as stripped text; codes
    (``PROCODE3``, ``SITETRET``, ``EPISTAT``, ``ADMIMETH``, ``ADMISORC``, ``DISMETH``, ``DISDEST``, ``CLASSPAT``,
    ``SEX``, ``TRETSPEF``, ``MAINSPEF``, ``LSOA11``, ``ETHNOS``) stripped and upper-cased; ``EPIORDER``,
    ``STARTAGE``, ``BIRWEIT_1`` as ``BIGINT``; ``EPISTART``, ``EPIEND``, ``ADMIDATE``, ``DISDATE`` as ``DATE``;
    ``DIAG_4_01`` ... ``DIAG_4_20`` normalised by ``norm()`` (shmi.md §2.2). Every missing value is ``NULL``.
    Rows dropped by ``KEY_MISSING`` and ``EPIKEY_DUPLICATE`` are not in it; unfinished episodes are (§4 of
    shmi.md ignores them when building spells).
``deaths`` (one row per person)
    ``HESID`` and ``DOD`` (``DATE``): rows without ``HESID`` or ``DOD`` dropped, the earliest ``DOD`` kept per
    person.

The rules of §4 are applied in the order of the rule table: ``DATE_INVALID`` and ``NUMBER_INVALID`` are counted
on every row read, ``KEY_MISSING`` drops rows, ``EPIKEY_DUPLICATE`` keeps the row that sorts first (spell key,
episode order of shmi.md §4, then every field of §1 in table order as text) and drops the others, and the later
rules are counted on the rows kept. Counts are kept per ``PROCODE3`` and for ``ALL``; rows of the deaths file and
rows without a ``PROCODE3`` count on ``ALL`` only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from hospmort import tables
from hospmort.errors import InputDataError
from hospmort.hes.clean import (
    code_sql,
    date_invalid_sql,
    date_sql,
    diagnosis_malformed_sql,
    diagnosis_prefix_sql,
    diagnosis_sql,
    key_sql,
    number_invalid_sql,
    stripped_text_sql,
    whole_number_sql,
)
from hospmort.hes.quality import DataQualityRow, rows_from_counts
from hospmort.hes.read import InputFile, find_unreadable_file, register_text_input
from hospmort.schema import (
    ADMIDATE,
    ADMIMETH,
    ADMISORC,
    ALL_PROVIDERS,
    CLASSPAT,
    DATE_FIELDS,
    DEATH_FIELDS,
    DIAGNOSIS_COLUMNS,
    DISDATE,
    DISDEST,
    DISMETH,
    DOD,
    EPIEND,
    EPIKEY,
    EPIORDER,
    EPISODE_FIELDS,
    EPISTART,
    EPISTAT,
    ETHNOS,
    HESID,
    INTEGER_FIELDS,
    LSOA11,
    MAINSPEF,
    PROCODE3,
    PROVSPNOPS,
    REQUIRED_DEATH_FIELDS,
    REQUIRED_EPISODE_FIELDS,
    SEX,
    SITETRET,
    TRETSPEF,
    VALID_CODES,
    ContractRule,
    EpisodeStatus,
)
from hospmort.sqltext import count_where, quoted_list

log = logging.getLogger(__name__)

EPISODES_TABLE = tables.EPISODES
DEATHS_TABLE = tables.DEATHS
EPISODES_TEXT_VIEW = "episodes_text"
DEATHS_TEXT_VIEW = "deaths_text"
_EPISODES_CHECKED = "episodes_checked"
_DEATHS_CHECKED = "deaths_checked"
EPISODES_READ = "EPISODES_READ"
EPISODES_NOT_FINISHED = "EPISODES_NOT_FINISHED"
#: How many example codes a report keeps per rule.
EXAMPLES_PER_RULE = 3

KEY_FIELDS = (EPIKEY, HESID, PROVSPNOPS)
CODE_FIELDS = (PROCODE3, SITETRET, EPISTAT, ADMIMETH, ADMISORC, DISMETH, DISDEST, CLASSPAT, SEX, TRETSPEF,
               MAINSPEF, LSOA11, ETHNOS)
#: The fields of rule ``CODE_INVALID_<FIELD>``, with their rules, in the order of the data contract.
CODE_RULES: dict[str, ContractRule] = {
    ADMIMETH: ContractRule.CODE_INVALID_ADMIMETH,
    ADMISORC: ContractRule.CODE_INVALID_ADMISORC,
    DISMETH: ContractRule.CODE_INVALID_DISMETH,
    DISDEST: ContractRule.CODE_INVALID_DISDEST,
    CLASSPAT: ContractRule.CODE_INVALID_CLASSPAT,
    SEX: ContractRule.CODE_INVALID_SEX,
    EPISTAT: ContractRule.CODE_INVALID_EPISTAT,
}
_FLAG_DATE_INVALID = "_DATE_INVALID"
_FLAG_NUMBER_INVALID = "_NUMBER_INVALID"
_FLAG_KEY_MISSING = "_KEY_MISSING"


@dataclass(frozen=True)
class ValidationResult:
    """What reading and validating one pair of inputs found.

    ``rows`` are the data-quality rows (``EPISODES_READ``, ``EPISODES_NOT_FINISHED`` and ``CONTRACT_<id>`` for
    every rule some row breaks) per ``PROCODE3`` and for ``ALL``; ``contract_counts`` the ``ALL`` count of every
    rule (episodes and deaths together); ``examples`` up to three invalid code values per code rule (never a
    key, identifier or date).
    """

    episode_files: tuple[str, ...]
    death_files: tuple[str, ...]
    trust_codes: tuple[str, ...]
    episodes_read: int
    episodes_kept: int
    deaths_read: int
    deaths_kept: int
    contract_counts: Mapping[ContractRule, int]
    rows: tuple[DataQualityRow, ...]
    examples: Mapping[ContractRule, tuple[str, ...]] = field(default_factory=dict)

    def count(self, rule: ContractRule) -> int:
        """The ``ALL`` count of one rule (0 when no row breaks it)."""
        return self.contract_counts.get(rule, 0)


def contract_measure(rule: ContractRule) -> str:
    """Data-quality measure name of a contract rule, ``CONTRACT_<id>`` (shmi.md §16.8)."""
    return f"CONTRACT_{rule.value}"


def read_and_validate(
    con: duckdb.DuckDBPyConnection,
    episodes_source: Path | str,
    deaths_source: Path | str,
    column_map: Mapping[str, str],
) -> ValidationResult:
    """Read both inputs, apply every rule of data contract §4, leave tables ``episodes`` and ``deaths``.

    Raises :class:`InputDataError` for the stop rules ``FILE_UNREADABLE``, ``REQUIRED_COLUMN_MISSING`` and
    ``INPUT_EMPTY``.
    """
    episode_files = register_text_input(con, EPISODES_TEXT_VIEW, episodes_source, EPISODE_FIELDS,
                                        REQUIRED_EPISODE_FIELDS, column_map)
    death_files = register_text_input(con, DEATHS_TEXT_VIEW, deaths_source, DEATH_FIELDS, REQUIRED_DEATH_FIELDS,
                                      column_map)
    _materialise(con, _checked_episodes_sql(), episode_files, EPISODE_FIELDS, column_map)
    episodes_read = _scalar(con, f"SELECT count(*) FROM {_EPISODES_CHECKED}")
    if episodes_read == 0:
        rule = ContractRule.INPUT_EMPTY
        raise InputDataError(f"{episodes_source}: rule {rule} broken: the episodes input has no data row",
                             file=str(episodes_source), rule=rule, count=0)
    _materialise(con, _checked_deaths_sql(), death_files, DEATH_FIELDS, column_map)

    episode_counts = _count_episodes_read(con)
    con.execute(f"CREATE OR REPLACE TABLE {EPISODES_TABLE} AS {_kept_episodes_sql(_has_duplicate_epikeys(con))}")
    episode_counts += _count_episodes_kept(con)
    con.execute(f"CREATE OR REPLACE TABLE {DEATHS_TABLE} AS {_kept_deaths_sql()}")
    deaths_read, death_counts = _count_deaths(con)
    con.execute(f"DROP TABLE {_EPISODES_CHECKED}")
    con.execute(f"DROP TABLE {_DEATHS_CHECKED}")

    summed: dict[tuple[str | None, str], int] = {}
    for code, measure, value in episode_counts + death_counts:
        summed[(code, measure)] = summed.get((code, measure), 0) + value
    all_counts = rows_from_counts((code, measure, value) for (code, measure), value in summed.items())
    totals = {r.measure: r.value for r in all_counts if r.provider_code == ALL_PROVIDERS}
    contract_counts = {rule: totals.get(contract_measure(rule), 0) for rule in ContractRule}
    broken = {contract_measure(rule) for rule, count in contract_counts.items() if count > 0}
    rows = tuple(r for r in all_counts if not r.measure.startswith("CONTRACT_") or r.measure in broken)
    trust_codes = tuple(sorted({r.provider_code for r in rows if r.provider_code != ALL_PROVIDERS}))
    result = ValidationResult(
        episode_files=tuple(str(f.path) for f in episode_files),
        death_files=tuple(str(f.path) for f in death_files),
        trust_codes=trust_codes,
        episodes_read=episodes_read,
        episodes_kept=_scalar(con, f"SELECT count(*) FROM {EPISODES_TABLE}"),
        deaths_read=deaths_read,
        deaths_kept=_scalar(con, f"SELECT count(*) FROM {DEATHS_TABLE}"),
        contract_counts={rule: count for rule, count in contract_counts.items() if count > 0},
        rows=rows,
        examples=_code_examples(con, contract_counts),
    )
    _log_result(result, str(episodes_source), str(deaths_source))
    return result


def _materialise(con: duckdb.DuckDBPyConnection, sql: str, files: Sequence[InputFile], fields: Sequence[str],
                 column_map: Mapping[str, str]) -> None:
    """Run ``sql``, which reads ``files``; a reader failure becomes ``FILE_UNREADABLE`` naming the file."""
    try:
        con.execute(sql)
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as error:
        problem = find_unreadable_file(con, files, fields, column_map)
        if problem is None:
            raise
        raise problem from error


def _checked_episodes_sql() -> str:
    """Typed episodes with the flags of the rules counted on every row read (before any drop), in three layers:
    stripped text, typed values (keeping the text of dates and numbers), rule flags."""
    stripped = ", ".join(
        f"{diagnosis_prefix_sql(name) if name in DIAGNOSIS_COLUMNS else stripped_text_sql(name)} AS {name}"
        for name in EPISODE_FIELDS)
    typed = []
    for name in EPISODE_FIELDS:
        if name in KEY_FIELDS:
            typed.append(f"{key_sql(name)} AS {name}")
        elif name in CODE_FIELDS:
            typed.append(f"{code_sql(name)} AS {name}")
        elif name in INTEGER_FIELDS:
            typed.append(f"{whole_number_sql(name)} AS {name}, {name} AS _TEXT_{name}")
        elif name in DATE_FIELDS:
            typed.append(f"{date_sql(name)} AS {name}, {name} AS _TEXT_{name}")
        elif name in DIAGNOSIS_COLUMNS:
            typed.append(f"{diagnosis_sql(name)} AS {name}")
        else:  # pragma: no cover - every field of the contract has a kind
            raise AssertionError(f"field {name} has no type")
    date_invalid = " OR ".join(date_invalid_sql(f"_TEXT_{name}", name) for name in DATE_FIELDS)
    number_invalid = " OR ".join(number_invalid_sql(f"_TEXT_{name}", name) for name in INTEGER_FIELDS)
    key_missing = " OR ".join(f"{name} IS NULL" for name in (EPIKEY, HESID, PROCODE3))
    return (
        f"CREATE OR REPLACE TABLE {_EPISODES_CHECKED} AS SELECT {', '.join(EPISODE_FIELDS)}, "
        f"({date_invalid}) AS {_FLAG_DATE_INVALID}, ({number_invalid}) AS {_FLAG_NUMBER_INVALID}, "
        f"({key_missing}) AS {_FLAG_KEY_MISSING} "
        f"FROM (SELECT {', '.join(typed)} FROM (SELECT {stripped} FROM {EPISODES_TEXT_VIEW}))"
    )


def _checked_deaths_sql() -> str:
    return (
        f"CREATE OR REPLACE TABLE {_DEATHS_CHECKED} AS SELECT {HESID}, {DOD}, "
        f"{date_invalid_sql(f'_TEXT_{DOD}', DOD)} AS {_FLAG_DATE_INVALID} "
        f"FROM (SELECT {key_sql(HESID)} AS {HESID}, {date_sql(DOD)} AS {DOD}, {DOD} AS _TEXT_{DOD} "
        f"FROM (SELECT {stripped_text_sql(HESID)} AS {HESID}, {stripped_text_sql(DOD)} AS {DOD} "
        f"FROM {DEATHS_TEXT_VIEW}))"
    )


def episode_order_sql(prefix: str = "") -> str:
    """ORDER BY terms of the episode order within a spell (shmi.md §4 step 3).

    Ascending ``EPIORDER`` (values outside 1-87 and missing after every valid value), ``EPISTART``, ``EPIEND``
    (missing dates last), ``EPIKEY`` as text.
    """
    return (
        f"CASE WHEN {prefix}{EPIORDER} BETWEEN 1 AND 87 THEN {prefix}{EPIORDER} END ASC NULLS LAST, "
        f"{prefix}{EPISTART} ASC NULLS LAST, {prefix}{EPIEND} ASC NULLS LAST, {prefix}{EPIKEY} ASC"
    )


def spell_number_sql(prefix: str = "") -> str:
    """Third part of the spell key (shmi.md §4 step 2): ``PROVSPNOPS``, or ``'ADM:'`` + ``ADMIDATE``."""
    return (
        f"COALESCE({prefix}{PROVSPNOPS}, 'ADM:' || COALESCE(CAST({prefix}{ADMIDATE} AS VARCHAR), ''))"
    )


def _kept_episodes_sql(has_duplicates: bool) -> str:
    """Rule ``KEY_MISSING`` (drop) then ``EPIKEY_DUPLICATE`` (keep the row that sorts first, drop the others).

    Only the rows of a duplicated ``EPIKEY`` are ranked, and only when there are any: performance steps.
    """
    columns = ", ".join(EPISODE_FIELDS)
    candidates = f"SELECT {columns} FROM {_EPISODES_CHECKED} WHERE NOT {_FLAG_KEY_MISSING}"
    if not has_duplicates:
        return candidates
    tie_break = ", ".join(f"CAST({name} AS VARCHAR) ASC NULLS LAST" for name in EPISODE_FIELDS)
    return f"""
WITH candidates AS ({candidates}),
duplicated AS (SELECT {EPIKEY} AS DUPLICATED_EPIKEY FROM candidates GROUP BY {EPIKEY} HAVING count(*) > 1),
marked AS (SELECT * FROM candidates c LEFT JOIN duplicated d ON d.DUPLICATED_EPIKEY = c.{EPIKEY})
SELECT {columns} FROM marked WHERE DUPLICATED_EPIKEY IS NULL
UNION ALL
SELECT {columns} FROM (
    SELECT {columns}, row_number() OVER (PARTITION BY {EPIKEY} ORDER BY {HESID}, {PROCODE3}, {spell_number_sql()},
        {episode_order_sql()}, {tie_break}) AS _RANK
    FROM marked WHERE DUPLICATED_EPIKEY IS NOT NULL
) WHERE _RANK = 1
"""


def _has_duplicate_epikeys(con: duckdb.DuckDBPyConnection) -> bool:
    return _scalar(con, f"SELECT count(*) - count(DISTINCT {EPIKEY}) FROM {_EPISODES_CHECKED} "
                        f"WHERE NOT {_FLAG_KEY_MISSING}") > 0


def _kept_deaths_sql() -> str:
    """``KEY_MISSING`` and ``DOD_MISSING`` (drop), then ``DEATHS_DUPLICATE_HESID``: the earliest ``DOD``."""
    return (
        f"SELECT {HESID}, min({DOD}) AS {DOD} FROM {_DEATHS_CHECKED} "
        f"WHERE {HESID} IS NOT NULL AND {DOD} IS NOT NULL GROUP BY {HESID}"
    )


def _per_trust(con: duckdb.DuckDBPyConnection, table: str, measures: Mapping[str, str]
               ) -> list[tuple[str | None, str, int]]:
    """Counts of ``measures`` (name -> SQL count expression) per ``PROCODE3`` and for ``ALL`` (``None``)."""
    expressions = ", ".join(f"{sql} AS m{i}" for i, sql in enumerate(measures.values()))
    result = con.execute(
        f"SELECT {PROCODE3}, GROUPING({PROCODE3}) AS is_total, {expressions} FROM {table} "
        f"GROUP BY GROUPING SETS (({PROCODE3}), ())"
    ).fetchall()
    counts: list[tuple[str | None, str, int]] = []
    for row in result:
        code, is_total = row[0], row[1]
        if not is_total and code is None:
            continue  # rows without a PROCODE3 count on ALL only
        for name, value in zip(measures, row[2:], strict=True):
            counts.append((None if is_total else str(code), name, int(value or 0)))
    return counts


def _count_episodes_read(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str, int]]:
    """``EPISODES_READ`` and the rules counted on every row read: dates, numbers, keys."""
    return _per_trust(con, _EPISODES_CHECKED, {
        EPISODES_READ: "count(*)",
        contract_measure(ContractRule.DATE_INVALID): count_where(_FLAG_DATE_INVALID),
        contract_measure(ContractRule.NUMBER_INVALID): count_where(_FLAG_NUMBER_INVALID),
        contract_measure(ContractRule.KEY_MISSING): count_where(_FLAG_KEY_MISSING),
        # rows left for the duplicate rule; the kept count is subtracted below
        contract_measure(ContractRule.EPIKEY_DUPLICATE): count_where(f"NOT {_FLAG_KEY_MISSING}"),
    })


def _count_episodes_kept(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str, int]]:
    """The rules counted on the rows kept, and minus the kept rows for ``EPIKEY_DUPLICATE``."""
    malformed = " OR ".join(diagnosis_malformed_sql(name) for name in DIAGNOSIS_COLUMNS)
    measures = {
        contract_measure(ContractRule.EPIKEY_DUPLICATE): "-count(*)",
        contract_measure(ContractRule.EPISTART_AFTER_EPIEND): count_where(f"{EPISTART} > {EPIEND}"),
        contract_measure(ContractRule.ADMIDATE_AFTER_DISDATE): count_where(f"{ADMIDATE} > {DISDATE}"),
    }
    for name, rule in CODE_RULES.items():
        measures[contract_measure(rule)] = count_where(_code_invalid_sql(name))
    measures[contract_measure(ContractRule.DIAG_CODE_MALFORMED)] = count_where(malformed)
    measures[EPISODES_NOT_FINISHED] = count_where(
        f"{EPISTAT} IS NULL OR {EPISTAT} <> '{EpisodeStatus.FINISHED.value}'")
    return _per_trust(con, EPISODES_TABLE, measures)


def _code_invalid_sql(name: str) -> str:
    return f"({name} IS NOT NULL AND {name} NOT IN ({quoted_list(VALID_CODES[name])}))"


def _count_deaths(con: duckdb.DuckDBPyConnection) -> tuple[int, list[tuple[str | None, str, int]]]:
    """Rows read from the deaths file and its rule counts, on the ``ALL`` row only (shmi.md §16.8)."""
    read, date_invalid, key_missing, dod_missing = con.execute(
        f"SELECT count(*), {count_where(_FLAG_DATE_INVALID)}, {count_where(f'{HESID} IS NULL')}, "
        f"{count_where(f'{HESID} IS NOT NULL AND {DOD} IS NULL')} FROM {_DEATHS_CHECKED}"
    ).fetchall()[0]
    kept = _scalar(con, f"SELECT count(*) FROM {DEATHS_TABLE}")
    duplicates = int(read) - int(key_missing or 0) - int(dod_missing or 0) - kept
    return int(read), [
        (None, contract_measure(ContractRule.DATE_INVALID), int(date_invalid or 0)),
        (None, contract_measure(ContractRule.KEY_MISSING), int(key_missing or 0)),
        (None, contract_measure(ContractRule.DOD_MISSING), int(dod_missing or 0)),
        (None, contract_measure(ContractRule.DEATHS_DUPLICATE_HESID), duplicates),
    ]


def _code_examples(con: duckdb.DuckDBPyConnection, counts: Mapping[ContractRule, int]
                   ) -> dict[ContractRule, tuple[str, ...]]:
    """Up to three invalid values, in sorted order, for every code rule some row breaks."""
    examples: dict[ContractRule, tuple[str, ...]] = {}
    for name, rule in CODE_RULES.items():
        if counts.get(rule, 0):
            examples[rule] = _first_values(con, f"SELECT DISTINCT {name} AS v FROM {EPISODES_TABLE} "
                                                f"WHERE {_code_invalid_sql(name)}")
    if counts.get(ContractRule.DIAG_CODE_MALFORMED, 0):
        union = " UNION ".join(
            f"SELECT {name} AS v FROM {EPISODES_TABLE} WHERE {diagnosis_malformed_sql(name)}"
            for name in DIAGNOSIS_COLUMNS)
        examples[ContractRule.DIAG_CODE_MALFORMED] = _first_values(con, union)
    return examples


def _first_values(con: duckdb.DuckDBPyConnection, query: str) -> tuple[str, ...]:
    rows = con.execute(f"SELECT v FROM ({query}) ORDER BY v LIMIT {EXAMPLES_PER_RULE}").fetchall()
    return tuple(str(row[0]) for row in rows)


def _scalar(con: duckdb.DuckDBPyConnection, query: str) -> int:
    rows = con.execute(query).fetchall()
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def _log_result(result: ValidationResult, episodes_source: str, deaths_source: str) -> None:
    log.info("%s: %d episodes read, %d kept", episodes_source, result.episodes_read, result.episodes_kept)
    log.info("%s: %d deaths read, %d kept", deaths_source, result.deaths_read, result.deaths_kept)
    for rule, count in result.contract_counts.items():
        shown = result.examples.get(rule, ())
        log.info("rule %s: %d row%s%s", rule.value, count, "s" if count != 1 else "",
                 f" (examples: {', '.join(shown)})" if shown else "")

