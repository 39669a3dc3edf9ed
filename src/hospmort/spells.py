"""Provider spells, continuous inpatient spells (CIPS) and the SHMI death attribution, in DuckDB SQL.

Stages, each a function that reads tables of the connection and creates one or more (names in
:mod:`hospmort.tables`):

:func:`derive_provider_spells` -> ``provider_spells`` (shmi.md §4, §7.1-§7.2, §8 birth weight, §14 palliative)
    One row per provider spell built from the finished episodes (``EPISTAT = '3'``) of every provider:

    * ``SPELL_KEY``: ``HESID|PROCODE3|PROVSPNOPS``, or ``HESID|PROCODE3|ADM:YYYY-MM-DD`` for episodes without
      ``PROVSPNOPS`` (shmi.md §4 step 2, §16.9); unique. ``HESID``, ``PROCODE3``; ``PROVSPNOPS`` (``NULL`` for a
      spell keyed by admission date); ``KEYED_BY_ADMIDATE`` (1/0); ``EPISODES`` (number of finished episodes).
    * First episode in episode order (§4 step 3): ``ADMIDATE``, ``ADMIMETH``, ``ADMISORC``, ``STARTAGE``,
      ``SEX``, ``CLASSPAT``, ``LSOA11``, and ``SITE_CODE`` (its ``SITETRET``).
    * Last episode: ``DISDATE``, ``DISMETH``, ``DISDEST`` (``NULL`` when the last episode has none) and
      ``LAST_SITE_CODE`` (its ``SITETRET``).
    * Diagnosis episode (§7.1): ``DIAG_4_01`` is the spell's primary diagnosis, ``DIAG_4_02`` ... ``DIAG_4_20``
      its secondary diagnoses, all ``norm()``-ed (``NULL`` where empty); ``DIAG_SECOND_EPISODE_USED`` (1/0);
      ``SECONDARY_DIAGNOSES``, the number of non-empty positions 02-20 (§14).
    * ``BIRTH_WEIGHT``: the first ``BIRWEIT_1`` in episode order that is 1-6999 g, else ``NULL`` (§8).
    * ``PALLIATIVE`` (1/0): some episode has ``Z515`` in a diagnosis position or ``TRETSPEF`` 315 or 240 (§14).

:func:`derive_continuous_inpatient_spells` -> ``spell_cips``, ``continuous_inpatient_spells``,
``cips_acute_trusts`` (hsmr.md §3 and ``PREV_EMERGENCY`` of §6.1); columns in that function's docstring.

:func:`attribute_shmi_deaths` -> ``shmi_outcome`` (shmi.md §6) for the spells ``shmi_scope`` has in scope.

Every order that decides a result (episode order, a person's spells, qualifying spells) ends in a unique key, so
no result depends on the order of input rows or on parallelism (shmi.md §2.2).
"""

from __future__ import annotations

import logging

import duckdb
import pyarrow as pa

from hospmort import tables
from hospmort.hes.quality import DataQualityRow, rows_from_counts, value_of
from hospmort.hes.validate import episode_order_sql, spell_number_sql
from hospmort.refdata import icd10_lookup
from hospmort.schema import (
    ADMIDATE,
    ADMIMETH,
    ADMISORC,
    BIRTH_WEIGHT,
    BIRWEIT_1,
    CIPS_KEY,
    CIPS_LINK_MAX_GAP_DAYS,
    CLASSPAT,
    DEATH_WINDOW_DAYS,
    DIAG_SECOND_EPISODE_USED,
    DIAGNOSIS_COLUMNS,
    DIED,
    DIED_IN_HOSPITAL,
    DISDATE,
    DISDEST,
    DISMETH,
    DOD,
    EMERGENCY_ADMISSION_METHODS,
    END_DATE,
    EPIEND,
    EPIKEY,
    EPIORDER,
    EPISODES,
    EPISTART,
    EPISTAT,
    HESID,
    IN_SCOPE,
    KEYED_BY_ADMIDATE,
    LAST_SITE_CODE,
    LSOA11,
    ORG_CODE,
    ORG_TYPE,
    PALLIATIVE,
    PALLIATIVE_DIAGNOSIS,
    PALLIATIVE_SPECIALTIES,
    PREV_EMERGENCY,
    PREV_EMERGENCY_LOOKBACK_DAYS,
    PRIMARY_DIAGNOSIS,
    PROCODE3,
    PROVSPNOPS,
    QUALIFYING,
    SECONDARY_DIAGNOSES,
    SEX,
    SITE_CODE,
    SITETRET,
    SPELL_KEY,
    SPELLS,
    STARTAGE,
    TRANSFER_ADMISSION_METHODS,
    TRANSFER_ADMISSION_SOURCES,
    TRANSFER_DISCHARGE_DESTINATIONS,
    TRETSPEF,
    TRUST_TYPE,
    DischargeMethod,
    EpisodeStatus,
    OrgType,
    TrustType,
)
from hospmort.sqltext import flag, quoted_list

log = logging.getLogger(__name__)

SPELLS_BUILT = "SPELLS_BUILT"
SPELLS_KEYED_BY_ADMIDATE = "SPELLS_KEYED_BY_ADMIDATE"
DEATHS_MATCHED = "DEATHS_MATCHED"
QUALIFYING_SPELLS_NOT_ATTRIBUTED = "QUALIFYING_SPELLS_NOT_ATTRIBUTED"
# CIPS measures of hsmr.md §10.6 (ALL row)
SPELLS_NOT_LINKABLE = "SPELLS_NOT_LINKABLE"
LINKS_MADE = "LINKS_MADE"
LINK_REJECTED_GAP = "LINK_REJECTED_GAP"
CIPS_BUILT = "CIPS_BUILT"
CIPS_MULTI_SPELL = "CIPS_MULTI_SPELL"
CIPS_MULTI_TRUST = "CIPS_MULTI_TRUST"

#: Columns of a spell taken from its first episode (shmi.md §4 step 4) and kept under the same name.
FIRST_EPISODE_COLUMNS = (ADMIDATE, ADMIMETH, ADMISORC, STARTAGE, SEX, CLASSPAT, LSOA11)
#: Columns of a spell taken from its last episode.
LAST_EPISODE_COLUMNS = (DISDATE, DISMETH, DISDEST)
#: Columns of ``spell_cips`` and ``continuous_inpatient_spells`` (``LINK_REJECTED_GAP`` is also a measure).
SPELL_POSITION = "SPELL_POSITION"
LINKED_TO_PREVIOUS = "LINKED_TO_PREVIOUS"
LINKABLE = "LINKABLE"
LAST_SPELL_ADMIDATE = "LAST_SPELL_ADMIDATE"
TRUSTS = "TRUSTS"
FIRST_PROCODE3 = "FIRST_PROCODE3"
FIRST_PROVSPNOPS = "FIRST_PROVSPNOPS"


def register_icd10_lookup(con: duckdb.DuckDBPyConnection) -> None:
    """Create table ``icd10_lookup`` (``icd10_code``, ``ccs_category``, ``shmi_diagnosis_group``) once."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [tables.ICD10_LOOKUP]
    ).fetchall()[0][0]
    if exists:
        return
    lookup = icd10_lookup()
    codes = sorted(lookup)
    arrow = pa.table({
        "icd10_code": pa.array(codes, pa.string()),
        "ccs_category": pa.array([lookup[c].ccs_category for c in codes], pa.int32()),
        "shmi_diagnosis_group": pa.array([lookup[c].shmi_diagnosis_group for c in codes], pa.int32()),
    })
    con.register("icd10_lookup_arrow", arrow)
    con.execute(f"CREATE TABLE {tables.ICD10_LOOKUP} AS SELECT * FROM icd10_lookup_arrow")
    con.unregister("icd10_lookup_arrow")


# --- provider spells (shmi.md §4) ------------------------------------------------------------------------

def _is_palliative_episode_sql() -> str:
    """shmi.md §14: ``Z515`` in any diagnosis position, or ``TRETSPEF`` 315 or 240."""
    in_diagnoses = " OR ".join(f"e.{name} = '{PALLIATIVE_DIAGNOSIS}'" for name in DIAGNOSIS_COLUMNS)
    return flag(f"{in_diagnoses} OR e.{TRETSPEF} IN ({quoted_list(PALLIATIVE_SPECIALTIES)})")


def _primary_usable_sql() -> str:
    """shmi.md §7.1: the first episode's ``D1`` can stand (not empty, not an ``R`` code, in the lookup)."""
    return flag(f"e.{PRIMARY_DIAGNOSIS} IS NOT NULL AND e.{PRIMARY_DIAGNOSIS} NOT LIKE 'R%' "
                 "AND lookup.icd10_code IS NOT NULL")


def provider_spells_sql() -> str:
    """The SELECT building ``provider_spells`` from ``episodes`` and ``icd10_lookup`` in one window pass."""
    spell = f"PARTITION BY {HESID}, {PROCODE3}, SPELL_NUMBER"
    ordered = f"{spell} ORDER BY {episode_order_sql()}"
    whole = f"{ordered} ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    last_values = ", ".join(
        f"last_value({name}) OVER ({whole}) AS LAST_{name}" for name in (*LAST_EPISODE_COLUMNS, SITETRET))
    next_diagnoses = ", ".join(f"lead({name}) OVER ({ordered}) AS NEXT_{name}" for name in DIAGNOSIS_COLUMNS)
    use_second = "(EPISODES >= 2 AND PRIMARY_USABLE = 0)"
    diagnoses = ", ".join(
        f"CASE WHEN {use_second} THEN NEXT_{name} ELSE {name} END AS {name}" for name in DIAGNOSIS_COLUMNS)
    secondary_count = " + ".join(
        f"(CASE WHEN (CASE WHEN {use_second} THEN NEXT_{name} ELSE {name} END) IS NOT NULL THEN 1 ELSE 0 END)"
        for name in DIAGNOSIS_COLUMNS[1:])
    return f"""
WITH finished AS (
    SELECT e.{HESID}, e.{PROCODE3}, e.{PROVSPNOPS}, e.{EPIKEY}, e.{EPIORDER}, e.{EPISTART}, e.{EPIEND},
           {', '.join(f'e.{name}' for name in FIRST_EPISODE_COLUMNS)},
           {', '.join(f'e.{name}' for name in LAST_EPISODE_COLUMNS)}, e.{SITETRET},
           {', '.join(f'e.{name}' for name in DIAGNOSIS_COLUMNS)},
           {spell_number_sql('e.')} AS SPELL_NUMBER,
           {flag(f'e.{PROVSPNOPS} IS NULL')} AS {KEYED_BY_ADMIDATE},
           {_primary_usable_sql()} AS PRIMARY_USABLE,
           {_is_palliative_episode_sql()} AS EPISODE_PALLIATIVE,
           CASE WHEN e.{BIRWEIT_1} BETWEEN 1 AND 6999 THEN e.{BIRWEIT_1} END AS VALID_BIRTH_WEIGHT
    FROM {tables.EPISODES} e
    LEFT JOIN {tables.ICD10_LOOKUP} lookup ON lookup.icd10_code = e.{PRIMARY_DIAGNOSIS}
    WHERE e.{EPISTAT} = '{EpisodeStatus.FINISHED.value}'
),
ordered AS (
    SELECT *,
           row_number() OVER ({ordered}) AS EPISODE_POSITION,
           count(*) OVER ({spell}) AS EPISODES,
           max(EPISODE_PALLIATIVE) OVER ({spell}) AS SPELL_PALLIATIVE,
           first_value(VALID_BIRTH_WEIGHT IGNORE NULLS) OVER ({whole}) AS FIRST_VALID_BIRTH_WEIGHT,
           {last_values},
           {next_diagnoses}
    FROM finished
)
SELECT {HESID} || '|' || {PROCODE3} || '|' || SPELL_NUMBER AS {SPELL_KEY},
       {HESID}, {PROCODE3}, {PROVSPNOPS}, {KEYED_BY_ADMIDATE}, CAST(EPISODES AS INTEGER) AS {EPISODES},
       {', '.join(FIRST_EPISODE_COLUMNS)},
       {SITETRET} AS {SITE_CODE}, LAST_{SITETRET} AS {LAST_SITE_CODE},
       {', '.join(f'LAST_{name} AS {name}' for name in LAST_EPISODE_COLUMNS)},
       {diagnoses},
       {flag(use_second)} AS {DIAG_SECOND_EPISODE_USED},
       CAST({secondary_count} AS INTEGER) AS {SECONDARY_DIAGNOSES},
       FIRST_VALID_BIRTH_WEIGHT AS {BIRTH_WEIGHT},
       CAST(SPELL_PALLIATIVE AS INTEGER) AS {PALLIATIVE}
FROM ordered
WHERE EPISODE_POSITION = 1
"""


def derive_provider_spells(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    """Create ``provider_spells`` from ``episodes`` (shmi.md §4); return ``SPELLS_BUILT`` and
    ``SPELLS_KEYED_BY_ADMIDATE`` per trust and ``ALL`` (shmi.md §16.8)."""
    register_icd10_lookup(con)
    con.execute(f"CREATE OR REPLACE TABLE {tables.PROVIDER_SPELLS} AS {provider_spells_sql()}")
    counts = con.execute(
        f"SELECT {PROCODE3}, GROUPING({PROCODE3}), count(*), sum({KEYED_BY_ADMIDATE}) "
        f"FROM {tables.PROVIDER_SPELLS} GROUP BY GROUPING SETS (({PROCODE3}), ())"
    ).fetchall()
    rows = rows_from_counts(
        (None if total else code, measure, value)
        for code, total, built, by_date in counts
        for measure, value in ((SPELLS_BUILT, built), (SPELLS_KEYED_BY_ADMIDATE, by_date or 0))
    )
    log.info("%d provider spells built", value_of(rows, SPELLS_BUILT))
    return rows


# --- continuous inpatient spells (hsmr.md §3) ------------------------------------------------------------

def spell_cips_sql() -> str:
    """The SELECT building ``spell_cips``: every provider spell with its CIPS (hsmr.md §3.1-§3.2)."""
    person_order = f"PARTITION BY {HESID} ORDER BY {ADMIDATE}, {DISDATE} NULLS LAST, {PROCODE3}, {SPELL_KEY}"
    marker = (f"(PREV_{DISDEST} IN ({quoted_list(TRANSFER_DISCHARGE_DESTINATIONS)}) "
              f"OR {ADMISORC} IN ({quoted_list(TRANSFER_ADMISSION_SOURCES)}) "
              f"OR {ADMIMETH} IN ({quoted_list(TRANSFER_ADMISSION_METHODS)}))")
    gap = f"date_diff('day', PREV_{DISDATE}, {ADMIDATE})"
    ended_alive = (f"COALESCE(PREV_{DISMETH}, '') NOT IN "
                   f"('{DischargeMethod.DIED.value}', '{DischargeMethod.STILLBIRTH.value}')")
    return f"""
WITH linkable AS (
    SELECT {SPELL_KEY}, {HESID}, {PROCODE3}, {ADMIDATE}, {DISDATE}, {ADMISORC}, {ADMIMETH},
           lag({SPELL_KEY}) OVER ({person_order}) AS PREV_{SPELL_KEY},
           lag({DISDATE}) OVER ({person_order}) AS PREV_{DISDATE},
           lag({DISMETH}) OVER ({person_order}) AS PREV_{DISMETH},
           lag({DISDEST}) OVER ({person_order}) AS PREV_{DISDEST}
    FROM {tables.PROVIDER_SPELLS}
    WHERE {ADMIDATE} IS NOT NULL AND ({DISDATE} IS NULL OR {ADMIDATE} <= {DISDATE})
),
judged AS (
    SELECT *,
           {flag(f"PREV_{SPELL_KEY} IS NOT NULL AND PREV_{DISDATE} IS NOT NULL AND {ended_alive} "
                  f"AND {gap} BETWEEN 0 AND {CIPS_LINK_MAX_GAP_DAYS} AND {marker}")} AS {LINKED_TO_PREVIOUS},
           {flag(f"PREV_{SPELL_KEY} IS NOT NULL AND PREV_{DISDATE} IS NOT NULL AND {marker} "
                  f"AND {gap} NOT BETWEEN 0 AND {CIPS_LINK_MAX_GAP_DAYS}")} AS {LINK_REJECTED_GAP}
    FROM linkable
),
numbered AS (
    SELECT *, sum(1 - {LINKED_TO_PREVIOUS}) OVER ({person_order} ROWS UNBOUNDED PRECEDING) AS CIPS_NUMBER
    FROM judged
),
chained AS (
    SELECT {SPELL_KEY},
           first_value({SPELL_KEY}) OVER (PARTITION BY {HESID}, CIPS_NUMBER ORDER BY {ADMIDATE},
               {DISDATE} NULLS LAST, {PROCODE3}, {SPELL_KEY}) AS {CIPS_KEY},
           row_number() OVER (PARTITION BY {HESID}, CIPS_NUMBER ORDER BY {ADMIDATE},
               {DISDATE} NULLS LAST, {PROCODE3}, {SPELL_KEY}) AS {SPELL_POSITION},
           1 AS {LINKABLE}, {LINKED_TO_PREVIOUS}, {LINK_REJECTED_GAP}
    FROM numbered
)
SELECT {SPELL_KEY}, {CIPS_KEY}, CAST({SPELL_POSITION} AS INTEGER) AS {SPELL_POSITION}, {LINKABLE},
       {LINKED_TO_PREVIOUS}, {LINK_REJECTED_GAP}
FROM chained
UNION ALL
SELECT {SPELL_KEY}, {SPELL_KEY} AS {CIPS_KEY}, 1 AS {SPELL_POSITION}, 0 AS {LINKABLE},
       0 AS {LINKED_TO_PREVIOUS}, 0 AS {LINK_REJECTED_GAP}
FROM {tables.PROVIDER_SPELLS}
WHERE {ADMIDATE} IS NULL OR {ADMIDATE} > {DISDATE}
"""


def continuous_inpatient_spells_sql() -> str:
    """The SELECT building ``continuous_inpatient_spells`` from ``spell_cips`` and ``provider_spells``."""
    emergency = f"{ADMIMETH} IN ({quoted_list(EMERGENCY_ADMISSION_METHODS)})"
    day_number = f"date_diff('day', DATE '1970-01-01', {ADMIDATE})"
    return f"""
WITH members AS (
    SELECT m.{CIPS_KEY}, m.{SPELL_POSITION}, s.{PROCODE3}, s.{PALLIATIVE},
           count(*) OVER (PARTITION BY m.{CIPS_KEY}) AS CIPS_SPELLS
    FROM {tables.SPELL_CIPS} m JOIN {tables.PROVIDER_SPELLS} s ON s.{SPELL_KEY} = m.{SPELL_KEY}
),
summary AS (
    SELECT {CIPS_KEY}, count(*) AS {SPELLS}, count(DISTINCT {PROCODE3}) AS {TRUSTS},
           max({PALLIATIVE}) AS {PALLIATIVE}
    FROM members GROUP BY {CIPS_KEY}
),
last_spell AS (
    SELECT m.{CIPS_KEY}, s.{ADMIDATE} AS {LAST_SPELL_ADMIDATE}, s.{DISDATE} AS {END_DATE}, s.{DISMETH}
    FROM {tables.SPELL_CIPS} m
    JOIN summary USING ({CIPS_KEY})
    JOIN {tables.PROVIDER_SPELLS} s ON s.{SPELL_KEY} = m.{SPELL_KEY}
    WHERE m.{SPELL_POSITION} = summary.{SPELLS}
),
assembled AS (
    SELECT first_spell.{SPELL_KEY} AS {CIPS_KEY}, first_spell.{HESID},
           first_spell.{PROCODE3} AS {FIRST_PROCODE3}, first_spell.{PROVSPNOPS} AS {FIRST_PROVSPNOPS},
           first_spell.{KEYED_BY_ADMIDATE},
           CAST(summary.{SPELLS} AS INTEGER) AS {SPELLS}, CAST(summary.{TRUSTS} AS INTEGER) AS {TRUSTS},
           {', '.join(f'first_spell.{name}' for name in FIRST_EPISODE_COLUMNS)},
           {', '.join(f'first_spell.{name}' for name in DIAGNOSIS_COLUMNS)},
           first_spell.{DIAG_SECOND_EPISODE_USED}, first_spell.{SECONDARY_DIAGNOSES},
           last_spell.{LAST_SPELL_ADMIDATE}, last_spell.{END_DATE}, last_spell.{DISMETH},
           {flag(f"last_spell.{DISMETH} = '{DischargeMethod.DIED.value}'")} AS {DIED_IN_HOSPITAL},
           CAST(summary.{PALLIATIVE} AS INTEGER) AS {PALLIATIVE}
    FROM summary
    JOIN {tables.PROVIDER_SPELLS} first_spell ON first_spell.{SPELL_KEY} = summary.{CIPS_KEY}
    JOIN last_spell USING ({CIPS_KEY})
)
SELECT *,
       CAST(CASE WHEN {ADMIDATE} IS NULL THEN 0 ELSE COALESCE(sum({flag(emergency)}) OVER (
           PARTITION BY {HESID} ORDER BY {day_number}
           RANGE BETWEEN {PREV_EMERGENCY_LOOKBACK_DAYS} PRECEDING AND 1 PRECEDING), 0) END AS INTEGER)
           AS {PREV_EMERGENCY}
FROM assembled
"""


def cips_acute_trusts_sql() -> str:
    """The SELECT building ``cips_acute_trusts``: distinct (CIPS, acute trust) pairs (hsmr.md §3.3-§3.4)."""
    return f"""
SELECT DISTINCT m.{CIPS_KEY}, s.{PROCODE3}
FROM {tables.SPELL_CIPS} m
JOIN {tables.PROVIDER_SPELLS} s ON s.{SPELL_KEY} = m.{SPELL_KEY}
JOIN {tables.ORGANISATIONS} o ON o.{ORG_CODE} = s.{PROCODE3}
    AND o.{ORG_TYPE} = '{OrgType.TRUST.value}' AND o.{TRUST_TYPE} = '{TrustType.ACUTE.value}'
"""


def derive_continuous_inpatient_spells(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    """Link provider spells into CIPS (hsmr.md §3) and count ``PREV_EMERGENCY`` (hsmr.md §6.1).

    Needs ``provider_spells`` and ``organisations``. Creates:

    * ``spell_cips``: ``SPELL_KEY``, ``CIPS_KEY`` (the ``SPELL_KEY`` of the CIPS's first spell; with the
      ``HESID`` it contains, the CIPS key of §3.2), ``SPELL_POSITION`` (1 = first, in the person's spell order
      of §3.2), ``LINKABLE`` (0 for a spell with no ``ADMIDATE`` or ``ADMIDATE`` > ``DISDATE``, which forms a
      CIPS alone, §3.1), ``LINKED_TO_PREVIOUS`` (1 when linked to the spell before it), ``LINK_REJECTED_GAP``
      (1 when the pair carries a transfer marker and both dates but the gap is outside 0-2 days).
    * ``continuous_inpatient_spells``: ``CIPS_KEY``, ``HESID``, ``FIRST_PROCODE3``, ``FIRST_PROVSPNOPS``,
      ``KEYED_BY_ADMIDATE`` (of the first spell), ``SPELLS``, ``TRUSTS`` (distinct ``PROCODE3`` of any type);
      from the first spell: ``ADMIDATE``, ``ADMIMETH``, ``ADMISORC``, ``STARTAGE``, ``SEX``, ``CLASSPAT``,
      ``LSOA11``, ``DIAG_4_01`` ... ``DIAG_4_20`` (its diagnosis episode), ``DIAG_SECOND_EPISODE_USED``,
      ``SECONDARY_DIAGNOSES``; from the last spell: ``LAST_SPELL_ADMIDATE``, ``END_DATE`` (its ``DISDATE``),
      ``DISMETH``, ``DIED_IN_HOSPITAL`` (1 when that ``DISMETH`` is ``'4'``); ``PALLIATIVE`` (1 when any spell
      is palliative); ``PREV_EMERGENCY``: the number of the person's other CIPS with an emergency
      ``ADMIMETH`` (``ADMISSION_METHOD`` 2: 21-25, 28, 2A-2D) admitted in [``ADMIDATE`` - 365,
      ``ADMIDATE`` - 1] days, 0 when ``ADMIDATE`` is missing (the raw count; hsmr.md §6.1 bands it).
    * ``cips_acute_trusts``: one row per (``CIPS_KEY``, ``PROCODE3``) for each distinct trust of the CIPS with
      ``org_type = 'trust'`` and ``trust_type = 'acute'``.

    Returns the CIPS measures of hsmr.md §10.6 for ``ALL``: ``SPELLS_NOT_LINKABLE``, ``LINKS_MADE``,
    ``LINK_REJECTED_GAP``, ``CIPS_BUILT``, ``CIPS_MULTI_SPELL``, ``CIPS_MULTI_TRUST`` (more than one
    ``PROCODE3``, of any type).
    """
    con.execute(f"CREATE OR REPLACE TABLE {tables.SPELL_CIPS} AS {spell_cips_sql()}")
    con.execute(f"CREATE OR REPLACE TABLE {tables.CONTINUOUS_INPATIENT_SPELLS} AS "
                f"{continuous_inpatient_spells_sql()}")
    con.execute(f"CREATE OR REPLACE TABLE {tables.CIPS_ACUTE_TRUSTS} AS {cips_acute_trusts_sql()}")
    links = con.execute(
        f"SELECT sum(1 - {LINKABLE}), sum({LINKED_TO_PREVIOUS}), sum({LINK_REJECTED_GAP}) FROM {tables.SPELL_CIPS}"
    ).fetchall()[0]
    built = con.execute(
        f"SELECT count(*), sum(CASE WHEN {SPELLS} > 1 THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN {TRUSTS} > 1 THEN 1 ELSE 0 END) FROM {tables.CONTINUOUS_INPATIENT_SPELLS}"
    ).fetchall()[0]
    measures = (SPELLS_NOT_LINKABLE, LINKS_MADE, LINK_REJECTED_GAP, CIPS_BUILT, CIPS_MULTI_SPELL,
                CIPS_MULTI_TRUST)
    rows = rows_from_counts((None, m, v or 0) for m, v in zip(measures, (*links, *built), strict=True))
    log.info("%d CIPS built from %d links", built[0] or 0, links[1] or 0)
    return rows


# --- SHMI outcome (shmi.md §6) ---------------------------------------------------------------------------

def shmi_outcome_sql() -> str:
    """The SELECT building ``shmi_outcome``: qualifying spells and the one death per person (shmi.md §6)."""
    died_in_hospital = f"{DISMETH} = '{DischargeMethod.DIED.value}'"
    within_30_days = f"date_diff('day', {DISDATE}, {DOD}) BETWEEN 0 AND {DEATH_WINDOW_DAYS}"
    latest_first = f"{DISDATE} DESC, {ADMIDATE} DESC, {PROCODE3} DESC, {SPELL_KEY} DESC"
    return f"""
WITH in_scope AS (
    SELECT s.{SPELL_KEY}, s.{HESID}, s.{PROCODE3}, s.{ADMIDATE}, s.{DISDATE}, s.{DISMETH}, d.{DOD},
           {flag(f"d.{HESID} IS NOT NULL")} AS HAS_DEATH_RECORD
    FROM {tables.PROVIDER_SPELLS} s
    JOIN {tables.SHMI_SCOPE} scope ON scope.{SPELL_KEY} = s.{SPELL_KEY} AND scope.{IN_SCOPE} = 1
    LEFT JOIN {tables.DEATHS} d ON d.{HESID} = s.{HESID}
),
judged AS (
    SELECT *, {flag(f"{died_in_hospital} OR ({DOD} IS NOT NULL AND {within_30_days})")} AS {QUALIFYING}
    FROM in_scope
),
ranked AS (
    SELECT *, CASE WHEN {QUALIFYING} = 1 THEN row_number() OVER (
               PARTITION BY {HESID}, {QUALIFYING} ORDER BY {latest_first}) END AS QUALIFYING_RANK_FROM_LAST
    FROM judged
)
SELECT {SPELL_KEY}, {PROCODE3}, {QUALIFYING},
       {flag("QUALIFYING_RANK_FROM_LAST = 1")} AS {DIED},
       {flag(f"QUALIFYING_RANK_FROM_LAST = 1 AND {died_in_hospital}")} AS {DIED_IN_HOSPITAL},
       HAS_DEATH_RECORD
FROM ranked
"""


def attribute_shmi_deaths(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    """Create ``shmi_outcome`` (shmi.md §6) for the in-scope spells of ``shmi_scope``.

    ``shmi_outcome`` has one row per in-scope spell: ``SPELL_KEY``, ``PROCODE3``, ``QUALIFYING`` (1 when the last
    episode has ``DISMETH = '4'`` or the person's ``DOD`` is 0-30 days after ``DISDATE``), ``DIED`` (1 only on
    the person's last qualifying spell in the order ``DISDATE``, ``ADMIDATE``, ``PROCODE3``, ``SPELL_KEY``),
    ``DIED_IN_HOSPITAL`` (1 when ``DIED = 1`` and ``DISMETH = '4'``) and ``HAS_DEATH_RECORD`` (1 when the person
    has a row in ``deaths``). Deaths without an in-scope spell are ignored.

    Returns, per trust and ``ALL``: ``DEATHS_MATCHED``, the ``DIED = 1`` spells whose person has a row in
    ``deaths`` (deaths of the deaths file attributed to a spell), and ``QUALIFYING_SPELLS_NOT_ATTRIBUTED``,
    qualifying spells set to ``DIED = 0`` by §6.3.
    """
    con.execute(f"CREATE OR REPLACE TABLE {tables.SHMI_OUTCOME} AS {shmi_outcome_sql()}")
    counts = con.execute(
        f"SELECT {PROCODE3}, GROUPING({PROCODE3}), "
        f"sum(CASE WHEN {DIED} = 1 AND HAS_DEATH_RECORD = 1 THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN {QUALIFYING} = 1 AND {DIED} = 0 THEN 1 ELSE 0 END) "
        f"FROM {tables.SHMI_OUTCOME} GROUP BY GROUPING SETS (({PROCODE3}), ())"
    ).fetchall()
    return rows_from_counts(
        (None if total else code, measure, value or 0)
        for code, total, matched, not_attributed in counts
        for measure, value in ((DEATHS_MATCHED, matched), (QUALIFYING_SPELLS_NOT_ATTRIBUTED, not_attributed))
    )
