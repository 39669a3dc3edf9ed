"""The results database schema, defined once (architecture.md "results database"; shmi.md §13.1, §16, §17).

Every table is a :class:`TableSpec`: its columns with portable SQL types (``VARCHAR``, ``INTEGER``, ``BIGINT``,
``DOUBLE PRECISION``, ``DATE``, ``TIMESTAMP``, ``BOOLEAN``), nullability, primary key, sort order and a
description. The same definitions create the tables on DuckDB and (later) PostgreSQL, give the Arrow schema
rows are converted to before they are written, and render the column reference of
``docs/results-database.md`` (:func:`render_schema_markdown`).

Adding a table (the HSMR tables of hsmr.md §10.7, the VLAD/CUSUM points and signals of statistics.md §3.4, the
alert register of statistics.md §6.3) is adding one :class:`TableSpec` to :data:`PUBLICATION_TABLES` (tables
whose rows belong to one publication, replaced when the publication is rewritten) or to
:data:`CATALOG_TABLES`, then bumping :data:`SCHEMA_VERSION`; opening a store read-write creates missing tables.

Identifiers are always quoted (:func:`quote_identifier`): column names follow the output files and are upper
case (one of them, ``CHECK``, is an SQL keyword).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pyarrow as pa

from hospmort import schema as col

#: Version of the schema below; stored in ``schema_version``. Bump it when a table or column is added.
SCHEMA_VERSION = 4

# Columns of the catalog tables (store internals, not output-file columns).
VERSION = "VERSION"
APPLIED_AT = "APPLIED_AT"
STATUS = "STATUS"
CREATED_AT = "CREATED_AT"
PUBLISHED_AT = "PUBLISHED_AT"
PACKAGE_VERSION = "PACKAGE_VERSION"
MANIFEST = "MANIFEST"
INDICATORS = "INDICATORS"


class SqlType(StrEnum):
    """The portable SQL types the store uses (the same spelling works on DuckDB and PostgreSQL)."""

    VARCHAR = "VARCHAR"
    INTEGER = "INTEGER"
    BIGINT = "BIGINT"
    DOUBLE = "DOUBLE PRECISION"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"
    BOOLEAN = "BOOLEAN"

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type rows of this SQL type are converted to before they are written."""
        return _ARROW_TYPES[self]


_ARROW_TYPES: dict[SqlType, pa.DataType] = {
    SqlType.VARCHAR: pa.string(),
    SqlType.INTEGER: pa.int32(),
    SqlType.BIGINT: pa.int64(),
    SqlType.DOUBLE: pa.float64(),
    SqlType.DATE: pa.date32(),
    SqlType.TIMESTAMP: pa.timestamp("us"),
    SqlType.BOOLEAN: pa.bool_(),
}


class Indicator(StrEnum):
    """The indicators a publication may carry, in the order they are listed in ``publications.INDICATORS``."""

    SHMI = "SHMI"
    HSMR = "HSMR"


@dataclass(frozen=True)
class Column:
    """One column: name, portable SQL type, whether it may be NULL, and what it holds."""

    name: str
    sql_type: SqlType
    nullable: bool
    description: str


@dataclass(frozen=True)
class TableSpec:
    """One table of the results database.

    ``per_publication`` tables start with ``PERIOD_END`` and hold rows of one publication each: writing a
    publication replaces exactly its rows. ``indicator`` names the indicator whose publications may write the
    table (``None``: any). ``sort_key`` orders rows read back (the primary key when there is one).
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    sort_key: tuple[str, ...]
    indicator: Indicator | None = None
    per_publication: bool = True

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        for key in (*self.primary_key, *self.sort_key):
            if key not in names:
                raise ValueError(f"table {self.name}: key column {key} is not a column")
        for key in self.primary_key:
            if self.column(key).nullable:
                raise ValueError(f"table {self.name}: primary-key column {key} must be NOT NULL")
        if self.per_publication and (names[0] != col.PERIOD_END or self.sort_key[:1] != (col.PERIOD_END,)):
            raise ValueError(f"table {self.name}: a per-publication table starts with and sorts by PERIOD_END")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def value_columns(self) -> tuple[Column, ...]:
        """The columns a writer supplies: every column but ``PERIOD_END`` in a per-publication table."""
        if self.per_publication:
            return self.columns[1:]
        return self.columns

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name} has no column {name}")

    def arrow_schema(self) -> pa.Schema:
        """Arrow schema of the table's rows. Every field is nullable: the database enforces NOT NULL."""
        return pa.schema([pa.field(c.name, c.sql_type.arrow_type) for c in self.columns])

    def create_sql(self) -> str:
        """Portable ``CREATE TABLE IF NOT EXISTS`` statement."""
        lines = [
            f"{quote_identifier(c.name)} {c.sql_type.value}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        ]
        if self.primary_key:
            lines.append(f"PRIMARY KEY ({', '.join(quote_identifier(k) for k in self.primary_key)})")
        body = ",\n    ".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {quote_identifier(self.name)} (\n    {body}\n)"


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier (portable; quotes inside are doubled)."""
    return '"' + name.replace('"', '""') + '"'


# --- column helpers ---------------------------------------------------------------------------------------------


def _text(name: str, description: str, *, nullable: bool = False) -> Column:
    return Column(name, SqlType.VARCHAR, nullable, description)


def _integer(name: str, description: str, *, nullable: bool = False) -> Column:
    return Column(name, SqlType.INTEGER, nullable, description)


def _count(name: str, description: str, *, nullable: bool = False) -> Column:
    return Column(name, SqlType.BIGINT, nullable, description)


def _double(name: str, description: str, *, nullable: bool = False) -> Column:
    return Column(name, SqlType.DOUBLE, nullable, description)


def _timestamp(name: str, description: str, *, nullable: bool = False) -> Column:
    return Column(name, SqlType.TIMESTAMP, nullable, description)


PERIOD_END_COLUMN = _text(col.PERIOD_END, "Period-end month of the publication, `YYYY-MM` (shmi.md §3).")


def _publication_table(name: str, description: str, columns: tuple[Column, ...], *,
                       primary_key: tuple[str, ...], indicator: Indicator | None,
                       sort_key: tuple[str, ...] | None = None) -> TableSpec:
    """A per-publication table: ``PERIOD_END`` first and in the key."""
    key = (col.PERIOD_END, *primary_key) if primary_key else ()
    return TableSpec(
        name=name,
        description=description,
        columns=(PERIOD_END_COLUMN, *columns),
        primary_key=key,
        sort_key=(col.PERIOD_END, *(sort_key if sort_key is not None else primary_key)),
        indicator=indicator,
    )


# --- shared column groups ---------------------------------------------------------------------------------------

_PROVIDER = (
    _text(col.PROVIDER_CODE, "Trust code (`PROCODE3`)."),
    _text(col.PROVIDER_NAME, "Trust name (`org_name` of the organisation table)."),
)
_UNIT_COUNTS = (
    _count(col.SPELLS, "S: in-scope spells of the reporting period (shmi.md §11)."),
    _count(col.OBSERVED, "O: observed deaths, Σ `DIED` (shmi.md §6, §11)."),
    _double(col.EXPECTED, "E: expected deaths Σ p, full precision, unrounded (shmi.md §11)."),
)
_EXPECTED_ROUNDED = _double(col.EXPECTED_ROUNDED, "E2 = `round_half_up`(E, 2), the expected deaths of the ratio, "
                                                  "the limits and the published `EXPECTED` (shmi.md §11).")
_NO_RATIO = "; empty when the unit is ineligible (shmi.md §11)"
_SHMI_RESULT = (
    _double(col.SHMI_VALUE, f"SHMI = O / E2, unrounded{_NO_RATIO}.", nullable=True),
    _integer(col.SHMI_BANDING, f"1 higher than expected, 2 as expected, 3 lower than expected (shmi.md §12 "
                               f"step 8){_NO_RATIO}.", nullable=True),
    _double(col.PO_LL, f"99.8% Poisson lower limit, unrounded (shmi.md §12 step 7){_NO_RATIO}.", nullable=True),
    _double(col.PO_UL, f"99.8% Poisson upper limit, unrounded{_NO_RATIO}.", nullable=True),
    _double(col.OD_LL, f"95% over-dispersed lower limit (the banding limit), unrounded (shmi.md §12 step 6)"
                       f"{_NO_RATIO}.", nullable=True),
    _double(col.OD_UL, f"95% over-dispersed upper limit (the banding limit), unrounded{_NO_RATIO}.",
            nullable=True),
    _double(col.OD_LL_998, f"99.8% over-dispersed lower limit, unrounded{_NO_RATIO}.", nullable=True),
    _double(col.OD_UL_998, f"99.8% over-dispersed upper limit, unrounded{_NO_RATIO}.", nullable=True),
    _double(col.PO_LL_95, f"95% Poisson lower limit, unrounded{_NO_RATIO}.", nullable=True),
    _double(col.PO_UL_95, f"95% Poisson upper limit, unrounded{_NO_RATIO}.", nullable=True),
)
_DIAGNOSIS_GROUP = _integer(col.DIAGNOSIS_GROUP, "SHMI diagnosis group, 1–144 (shmi.md §7).")
_DIAGNOSIS_GROUP_DESCRIPTION = _text(col.DIAGNOSIS_GROUP_DESCRIPTION,
                                     "Label of the group (`shmi_diagnosis_groups.csv`; 143 `COVID-19`, "
                                     "144 `Invalid primary diagnosis`).")


# --- catalog tables ---------------------------------------------------------------------------------------------

SCHEMA_VERSION_TABLE = TableSpec(
    name="schema_version",
    description="One row per schema version applied to the store; the highest is the store's version.",
    columns=(
        _integer(VERSION, "Schema version (hospmort.store.tables.SCHEMA_VERSION)."),
        _timestamp(APPLIED_AT, "When the version was applied (UTC)."),
        _text(PACKAGE_VERSION, "hospmort version that applied it."),
    ),
    primary_key=(VERSION,),
    sort_key=(VERSION,),
    per_publication=False,
)

PUBLICATIONS_TABLE = TableSpec(
    name="publications",
    description="One row per stored publication (shmi.md §17): a draft until published.",
    columns=(
        PERIOD_END_COLUMN,
        _text(col.TIME_PERIOD, "`TIME_PERIOD` label, e.g. `JAN25_DEC25` (shmi.md §3)."),
        _text(STATUS, "`draft` or `published` (shmi.md §17.2)."),
        _timestamp(CREATED_AT, "When the publication was written (UTC)."),
        _timestamp(PUBLISHED_AT, "When it was marked published (UTC); empty for a draft.", nullable=True),
        _text(PACKAGE_VERSION, "hospmort version that computed it."),
        _text(MANIFEST, "The run manifest (architecture.md \"every run is reproducible\") as JSON text."),
        _text(INDICATORS, "Indicators the publication carries, comma-separated in the order `SHMI,HSMR`."),
    ),
    primary_key=(col.PERIOD_END,),
    sort_key=(col.PERIOD_END,),
    per_publication=False,
)

PEER_GROUP = "PEER_GROUP"
PEER_GROUPS_TABLE = TableSpec(
    name="peer_groups",
    description="Custom peer groups of trusts saved on the dashboard (shmi.md §13.1 \"funnel for a selection\", "
                "hsmr.md §8.1): one row per (peer group, member trust). Not per publication: a peer group "
                "names trust codes and is used with any publication.",
    columns=(
        _text(PEER_GROUP, "Name of the peer group, as the user typed it (unique)."),
        _text(col.PROVIDER_CODE, "Trust code of a member (`PROCODE3`)."),
        _timestamp(CREATED_AT, "When the peer group was saved (UTC)."),
    ),
    primary_key=(PEER_GROUP, col.PROVIDER_CODE),
    sort_key=(PEER_GROUP, col.PROVIDER_CODE),
    per_publication=False,
)

_MONITORING_INDICATOR = _text(col.INDICATOR, "`SHMI` or `HSMR`: the indicator whose records the chart follows.")
_MONITORING_UNIT = _text(col.UNIT, "`TRUST` for a trust's own VLAD, else the SHMI diagnosis group (1–144) or the "
                                   "HSMR main-basket CCS category, as a decimal integer (statistics.md §3.1).")
ALERT_REGISTER = TableSpec(
    name="alert_register",
    description="The alert register (statistics.md §6.2-§6.3), kept from the PUBLISHED publications in period-end "
                "order and recomputed from them whenever a publication is published or a published one replaced "
                "(hospmort.monitoring.alerts_store.rebuild_alert_register). One row per alert, open or closed; one "
                "open alert per (`TYPE`, `PROVIDER_CODE`, `UNIT`).",
    columns=(
        _text(col.ALERT_ID, "`<TYPE>-<PROVIDER_CODE>-<UNIT>-<TIME_PERIOD>` of the opening publication."),
        _text(col.ALERT_TYPE, "`SHMI_CUSUM_HIGH`, `SHMI_CUSUM_LOW`, `HSMR_CUSUM_HIGH`, `HSMR_CUSUM_LOW`, `HSMR_HIGH`, "
                              "`HSMR_LOW`, `SHMI_HIGH`, `SHMI_LOW` (statistics.md §6.1)."),
        _text(col.CATEGORY, "`ALERT` (a mortality alert) or `POSITIVE` (a possible improvement)."),
        _text(col.PROVIDER_CODE, "Trust code."),
        _MONITORING_UNIT,
        _text(col.STATUS, "`NEW` (raised by the latest publication), `OPEN` or `CLOSED`."),
        _text(col.OPENED_PERIOD, "`TIME_PERIOD` of the publication that opened it."),
        _text(col.LAST_CONDITION_PERIOD, "`TIME_PERIOD` of the latest publication in which the persistence "
                                         "condition held.", nullable=True),
        _text(col.LAST_SIGNAL_MONTH, "`YYYY-MM`: CUSUM types, the month of the latest qualifying signal; banding "
                                     "types, the period end of the latest publication where the condition held.",
              nullable=True),
        _integer(col.SIGNAL_COUNT, "Qualifying signals (CUSUM types) or publications with the condition (banding)."),
        _integer(col.MISSES, "Publications in a row without the persistence condition (3 closes the alert)."),
        _text(col.CLOSED_PERIOD, "`TIME_PERIOD` of the publication that closed it; empty while open.", nullable=True),
        _text(col.CLOSE_REASON, "`CONDITION_ABSENT_3_RUNS`; empty while open.", nullable=True),
        _count(col.OPEN_OBSERVED, "CUSUM types: O since the chart's last reset up to the first qualifying signal; "
                                  "banding types: the trust's O in the opening publication.", nullable=True),
        _double(col.OPEN_EXPECTED, "CUSUM types: Σ p (not re-based) over the same records; banding types: E2 "
                                   "(SHMI) or E2* (HSMR).", nullable=True),
        _double(col.OPEN_VALUE, "CUSUM types: the chart value at the first qualifying signal, before the reset; "
                                "banding types: the SHMI or HSMR value.", nullable=True),
        _double(col.H, "CUSUM types: the chart's threshold h in the opening publication; empty otherwise.",
                nullable=True),
        _double(col.ALPHA, "CUSUM types: α of the opening publication; empty otherwise.", nullable=True),
        _double(col.ODDS_RATIO, "CUSUM types: the chart's odds ratio (R_A for HIGH, 1/R_A for LOW); empty "
                                "otherwise.", nullable=True),
    ),
    primary_key=(col.ALERT_ID,),
    sort_key=(col.ALERT_ID,),
    per_publication=False,
)

#: Tables that are not rows of one publication: the schema version, the list of publications, peer groups.
CATALOG_TABLES: tuple[TableSpec, ...] = (SCHEMA_VERSION_TABLE, PUBLICATIONS_TABLE, PEER_GROUPS_TABLE,
                                         ALERT_REGISTER)


# --- SHMI publication tables ----------------------------------------------------------------------------------

SHMI_TRUST = _publication_table(
    "shmi_trust",
    "Trust level (shmi.md §16.1), unsuppressed, with the trust's region: one row per in-scope trust with at "
    "least one reporting-period spell.",
    (
        *_PROVIDER,
        _text(col.PROVIDER_REGION_CODE, "NHS England region code of the trust (organisation table).",
              nullable=True),
        _text(col.PROVIDER_REGION_NAME, "NHS England region name of the trust.", nullable=True),
        *_UNIT_COUNTS,
        _EXPECTED_ROUNDED,
        *_SHMI_RESULT,
    ),
    primary_key=(col.PROVIDER_CODE,),
    indicator=Indicator.SHMI,
)

SHMI_SITE = _publication_table(
    "shmi_site",
    "Site level (shmi.md §13, §16.2), unsuppressed: one row per (trust, site of the first episode); limits "
    "across all eligible sites.",
    (
        *_PROVIDER,
        _text(col.SITE_CODE, "`SITETRET` of the spell's first episode, or `NOT PROVIDED` (shmi.md §13)."),
        _text(col.SITE_NAME, "Site name (organisation table), or `NOT PROVIDED`."),
        _text(col.OUTPUT_SITE_TYPE, "Site type (organisation table `site_type`), or `unknown`."),
        *_UNIT_COUNTS,
        _EXPECTED_ROUNDED,
        *_SHMI_RESULT,
    ),
    primary_key=(col.PROVIDER_CODE, col.SITE_CODE),
    indicator=Indicator.SHMI,
)

SHMI_DIAGNOSIS_GROUP = _publication_table(
    "shmi_diagnosis_group",
    "Diagnosis-group breakdown (shmi.md §13, §16.3), unsuppressed: every (trust, group) with at least one "
    "reporting-period spell. All rows carry S, O, E; only the ten banded groups (2, 15, 30, 37, 57, 73, 74, "
    "96, 101, 120) carry the SHMI, limits and banding, subject to eligibility. The (trust, group) sums feed "
    "the ad-hoc comparisons of shmi.md §13.1.",
    (
        *_PROVIDER,
        _DIAGNOSIS_GROUP,
        _DIAGNOSIS_GROUP_DESCRIPTION,
        *_UNIT_COUNTS,
        _EXPECTED_ROUNDED,
        *(
            Column(c.name, c.sql_type, c.nullable, c.description.rstrip(".") + ", and outside the banded groups.")
            for c in _SHMI_RESULT
        ),
    ),
    primary_key=(col.PROVIDER_CODE, col.DIAGNOSIS_GROUP),
    indicator=Indicator.SHMI,
)

SHMI_SUPERGROUP = _publication_table(
    "shmi_supergroup",
    "(trust, supergroup) sums for drill-down and baskets (shmi.md §13, §13.1): every (trust, supergroup) with "
    "at least one reporting-period spell. Not a publication file; supergroups are not banded.",
    (
        _text(col.PROVIDER_CODE, "Trust code (`PROCODE3`)."),
        _integer(col.SUPERGROUP, "Supergroup number, 1–18 (`shmi_supergroups.csv`)."),
        _text(col.SUPERGROUP_NAME, "Supergroup name (body system)."),
        *_UNIT_COUNTS,
    ),
    primary_key=(col.PROVIDER_CODE, col.SUPERGROUP),
    indicator=Indicator.SHMI,
)

SHMI_NATIONAL_GROUP = _publication_table(
    "shmi_national_group",
    "England's S, O and E per diagnosis group over all in-scope trusts, for re-basing baskets "
    "(O_ENG,B and E_ENG,B of shmi.md §13.1). Not a publication file.",
    (
        _DIAGNOSIS_GROUP,
        _DIAGNOSIS_GROUP_DESCRIPTION,
        *_UNIT_COUNTS,
    ),
    primary_key=(col.DIAGNOSIS_GROUP,),
    indicator=Indicator.SHMI,
)

SHMI_CONTEXTUAL = _publication_table(
    "shmi_contextual",
    "Contextual indicators (shmi.md §14, §16.4), unsuppressed: the rows of every "
    "`SHMI_contextual_<file key>` file, trusts and England (`PROVIDER_CODE` `ENG`).",
    (
        _text(col.FILE_KEY, "The indicator's file key: `palliative_care`, `deprivation`, `admission_method`, "
                            "`depth_of_coding`, `place_of_death`, `site_change`, `symptom_diagnosis`."),
        _text(col.PROVIDER_CODE, "Trust code, or `ENG` for England."),
        _text(col.PROVIDER_NAME, "Trust name, or `ENGLAND`."),
        _text(col.MEASURE, "Measure (shmi.md §14), e.g. `SPELLS`, `CRUDE_MORTALITY`."),
        _text(col.CATEGORY, "Category (shmi.md §14), e.g. `PALLIATIVE`, `1`…`5`, `UNKNOWN`."),
        _count(col.NUMERATOR, "Numerator, unrounded."),
        _count(col.DENOMINATOR, "Denominator, unrounded."),
        _double(col.VALUE, "100 × numerator / denominator for percentages, numerator / denominator for the "
                           "mean; unrounded; empty when the denominator is 0.", nullable=True),
    ),
    primary_key=(col.FILE_KEY, col.PROVIDER_CODE, col.MEASURE, col.CATEGORY),
    indicator=Indicator.SHMI,
)

SHMI_MODEL_PREDICT = _publication_table(
    "shmi_model_predict",
    "Model predict statistics (shmi.md §10.5, §16.6), unrounded: one row per kept column of each group's "
    "model.",
    (
        _text(col.INDICATOR_CODE, "`I00699`."),
        _DIAGNOSIS_GROUP,
        _text(col.PREDICTOR, "Variable and level, e.g. `AGE_GROUP_5`, or `Intercept`."),
        _double(col.PARAMETER_ESTIMATE, "β_j (0 for reference levels and aliased columns)."),
        _double(col.STANDARD_ERROR, "√((H⁻¹)_jj); empty for reference levels and aliased columns.",
                nullable=True),
        _double(col.WALD_CHI_SQUARE, "(β_j / SE_j)²; empty where the standard error is.", nullable=True),
        _integer(col.WALD_DF, "1, or 0 for reference levels and aliased columns."),
        _double(col.WALD_P_VALUE, "Upper tail of χ²₁ at the Wald statistic; empty where the standard error is.",
                nullable=True),
    ),
    primary_key=(col.DIAGNOSIS_GROUP, col.PREDICTOR),
    indicator=Indicator.SHMI,
)

SHMI_MODEL_FIT = _publication_table(
    "shmi_model_fit",
    "Model fit statistics (shmi.md §10.4–§10.5, §16.6): one row per diagnosis group 1–144, "
    "modelling-window counts.",
    (
        _DIAGNOSIS_GROUP,
        _count(col.SPELLS, "Modelling-window spells of the group."),
        _count(col.DEATHS, "Modelling-window deaths of the group."),
        _double(col.C_STATISTIC, "c statistic, unrounded; empty when the group has no deaths or no survivors.",
                nullable=True),
        _integer(col.CONVERGED, "1 when the fit converged, 0 when not (shmi.md §10.4); empty without a fit.",
                 nullable=True),
        _text(col.FIT_METHOD, "`mle` or the ridge stage's method name (shmi.md §10.4); empty without a fit.",
              nullable=True),
        _integer(col.ITERATIONS, "Newton–Raphson iterations; empty without a fit.", nullable=True),
        _text(col.ALIASED_PREDICTORS, "Aliased predictor names joined by `;`; empty when none.", nullable=True),
    ),
    primary_key=(col.DIAGNOSIS_GROUP,),
    indicator=Indicator.SHMI,
)

SHMI_LIMITS_PARAMETERS = _publication_table(
    "shmi_limits_parameters",
    "What the limits were estimated from (shmi.md §12 step 9, §16.7): one row for trusts, one for sites and "
    "one per banded group.",
    (
        _text(col.BREAKDOWN, "`TRUST`, `SITE` or `DIAGNOSIS_GROUP`."),
        _integer(col.DIAGNOSIS_GROUP, "The banded group for `DIAGNOSIS_GROUP` rows; empty otherwise.",
                 nullable=True),
        _integer(col.UNITS_ELIGIBLE, "n: eligible units in the set."),
        _integer(col.UNITS_KEPT, "m: units kept after truncation."),
        _double(col.PHI, "φ, unrounded."),
        _double(col.TAU2, "τ², unrounded."),
    ),
    primary_key=(),
    sort_key=(col.BREAKDOWN, col.DIAGNOSIS_GROUP),
    indicator=Indicator.SHMI,
)

DATA_QUALITY = _publication_table(
    "data_quality",
    "The SHMI data-quality report (shmi.md §16.8, internal): one row per trust code met in the input (and "
    "`ALL`) and measure.",
    (
        _text(col.PROVIDER_CODE, "Trust code met in the input, or `ALL` for totals."),
        _text(col.MEASURE, "Measure, e.g. `EPISODES_READ`, `CONTRACT_KEY_MISSING`, `EXCL_1_NOT_FINISHED`."),
        _count(col.VALUE, "Count."),
    ),
    primary_key=(col.PROVIDER_CODE, col.MEASURE),
    indicator=Indicator.SHMI,
)

QUALITY_CHECK = _publication_table(
    "quality_check",
    "The quality-check report of the publication (shmi.md §17.2, internal): one row per finding. A "
    "publication with a `BLOCKING` finding is not published without an explicit override.",
    (
        _text(col.CHECK, "Check name, e.g. `NATIONAL_OE`, `SHMI_CHANGE`."),
        _text(col.SEVERITY, "`BLOCKING` or `WARNING`."),
        _text(col.PROVIDER_CODE, "Trust the finding is about (`ALL` for the data-quality totals row); empty "
                                 "when it is not about one.", nullable=True),
        _integer(col.DIAGNOSIS_GROUP, "Diagnosis group the finding is about; empty when it is not about one.",
                 nullable=True),
        _double(col.VALUE, "The value that raised the finding, unrounded; empty where the check has none.",
                nullable=True),
        _double(col.THRESHOLD, "The bound it was compared with; empty where there is none.", nullable=True),
    ),
    primary_key=(),
    sort_key=(col.CHECK, col.PROVIDER_CODE, col.DIAGNOSIS_GROUP),
    indicator=None,
)

ORGANISATIONS = _publication_table(
    "organisations",
    "The organisation rows the publication was computed with (data contract §3, ODS names and regions "
    "filled in): trusts and sites, with the contract's field names.",
    (
        _text(col.ORG_CODE, "3-character trust code or 5-character site code."),
        _text(col.ORG_NAME, "Name."),
        _text(col.ORG_TYPE, "`trust` or `site`."),
        _text(col.PARENT_CODE, "For a site, its trust; empty for a trust.", nullable=True),
        _text(col.REGION_CODE, "NHS England region code.", nullable=True),
        _text(col.REGION_NAME, "NHS England region name.", nullable=True),
        _text(col.TRUST_TYPE, "For a trust: `acute`, `specialist`, `mental_health`, `community`, "
                              "`independent`; empty for a site.", nullable=True),
        _text(col.SITE_TYPE, "For a site: `acute`, `community`, `specialist`, `maternity`, `other`; empty for "
                             "a trust.", nullable=True),
    ),
    primary_key=(col.ORG_CODE,),
    indicator=None,
)

# --- HSMR publication tables (hsmr.md §10.7) ------------------------------------------------------------------

_HSMR_NO_VALUE = "; empty when the cell is ineligible (hsmr.md §7.2)"
_HSMR_COUNTS = (
    _count(col.CIPS, "N: records (CIPS × acute trust) of the reporting period (hsmr.md §3.4, §7.1)."),
    _count(col.OBSERVED, "O: Σ `DIED_IN_HOSPITAL` over the records (hsmr.md §7.1)."),
    _double(col.EXPECTED_RAW, "E = Σ p of the full model, not re-based, unrounded (hsmr.md §7.1)."),
    _double(col.EXPECTED, "E* = K·E, re-based, unrounded (hsmr.md §7.2)."),
    _double(col.EXPECTED_ROUNDED, "E2* = `round_half_up`(E*, 2): the expected deaths of the value and limits and "
                                  "the published `EXPECTED` (hsmr.md §7.2)."),
    _double(col.REBASING_FACTOR, "K applied to E (hsmr.md §7.2, §8): O/E of England's records of the basket, "
                                 "category or (`OVERALL`) the main basket; 1 when either is 0."),
)
_HSMR_RESULT = (
    _double(col.HSMR_VALUE, f"HSMR = 100·O/E2*, unrounded{_HSMR_NO_VALUE}.", nullable=True),
    _integer(col.HSMR_BANDING, "1 higher, 2 as, 3 lower than expected, from the 99.8% interval (hsmr.md §7.3)"
                               f"{_HSMR_NO_VALUE}; limits and bandings are empty on England's rows outside the "
                               "`OVERALL` breakdowns.", nullable=True),
    _integer(col.HSMR_BANDING_95, "The same rule on the 95% interval.", nullable=True),
    _double(col.LL_95, f"95% lower limit, 100·L(O)/E2*, unrounded (statistics.md §1){_HSMR_NO_VALUE}.",
            nullable=True),
    _double(col.UL_95, "95% upper limit, 100·U(O)/E2*, unrounded.", nullable=True),
    _double(col.LL_998, "99.8% lower limit, unrounded.", nullable=True),
    _double(col.UL_998, "99.8% upper limit, unrounded.", nullable=True),
    _text(col.CI_METHOD, "`EXACT` (O < 10) or `BYAR`; empty where there are no limits.", nullable=True),
)
_CCS_CATEGORY = _integer(col.CCS_CATEGORY, "HSMR diagnosis category: CCS 1–260, 900 COVID-19 (hsmr.md §5.1).")
_MODEL = _text(col.MODEL, "`FULL`, or `NO_PALLIATIVE` for the companion model without `PALLIATIVE` (hsmr.md §6.2).")

HSMR_TRUST = _publication_table(
    "hsmr_trust",
    "HSMR trust level (hsmr.md §7, §10.1), unsuppressed: one row per acute trust with at least one main-basket "
    "record of the reporting period, plus England (`PROVIDER_CODE` `ENG`, value 100, no limits).",
    (
        _text(col.PROVIDER_CODE, "Trust code (`PROCODE3`), or `ENG` for England."),
        _text(col.PROVIDER_NAME, "Trust name, or `ENGLAND`."),
        _text(col.PROVIDER_REGION_CODE, "NHS England region code of the trust; empty for England.", nullable=True),
        _text(col.PROVIDER_REGION_NAME, "NHS England region name of the trust; empty for England.", nullable=True),
        _text(col.BASKET_ID, "`HSMR`, the main basket."),
        *_HSMR_COUNTS,
        *_HSMR_RESULT,
        _count("CIPS_UNIQUE", "England only: distinct in-scope main-basket CIPS of the reporting period (each "
                              "multi-trust CIPS once).", nullable=True),
        _count("OBSERVED_UNIQUE", "England only: their in-hospital deaths.", nullable=True),
    ),
    primary_key=(col.PROVIDER_CODE,),
    indicator=Indicator.HSMR,
)

HSMR_GROUP = _publication_table(
    "hsmr_group",
    "HSMR breakdowns (hsmr.md §8, §10.2), unsuppressed: every (trust, cell) with at least one record and England "
    "for every cell. `BASKET` and `CCS_CATEGORY` cells are re-based within the cell, `ADMISSION_TYPE` and "
    "`EMERGENCY_DAY` by the main factor.",
    (
        _text(col.PROVIDER_CODE, "Trust code, or `ENG` for England."),
        _text(col.PROVIDER_NAME, "Trust name, or `ENGLAND`."),
        _text(col.BREAKDOWN, "`BASKET`, `CCS_CATEGORY`, `ADMISSION_TYPE` or `EMERGENCY_DAY`."),
        _text(col.BREAKDOWN_VALUE, "Basket id; category number; `ELECTIVE`, `NON_ELECTIVE`; `WEEKDAY`, `WEEKEND`."),
        _text(col.BREAKDOWN_LABEL, "Category label, basket id, `Elective`, `Non-elective`, `Weekday emergency`, "
                                   "`Weekend emergency`."),
        _text(col.REBASING, "`CELL` or `OVERALL` (hsmr.md §8)."),
        *_HSMR_COUNTS,
        *_HSMR_RESULT,
    ),
    primary_key=(col.PROVIDER_CODE, col.BREAKDOWN, col.BREAKDOWN_VALUE),
    indicator=Indicator.HSMR,
)

HSMR_COMPARISON = _publication_table(
    "hsmr_comparison",
    "SHMI versus HSMR (hsmr.md §9, §10.3), unsuppressed: one row per acute trust with reporting-period activity "
    "in both indicators, plus England. The chain S0 → I1 → I2 → I3 → H and the four contributions, which add up "
    "to the gap; empty unless every step has E_t > 0.",
    (
        _text(col.PROVIDER_CODE, "Trust code, or `ENG` for England."),
        _text(col.PROVIDER_NAME, "Trust name, or `ENGLAND`."),
        _double(col.SHMI_VALUE, "The trust's SHMI (O/E2, unrounded) of `shmi_trust`; England's national O/E2; "
                                "empty when ineligible.", nullable=True),
        _integer(col.SHMI_BANDING, "The trust's SHMI banding; empty when ineligible and for England.", nullable=True),
        _double(col.HSMR_VALUE, "The trust's HSMR of `hsmr_trust`; 100 for England; empty when ineligible.",
                nullable=True),
        _integer(col.HSMR_BANDING, "The trust's HSMR banding; empty when ineligible and for England.",
                 nullable=True),
        *(
            _double(name, f"{meaning} (hsmr.md §9.2-§9.3), unrounded.", nullable=True)
            for name, meaning in (
                ("SHMI_X100_UNROUNDED_E", "S0: 100·ΣDIED/Σp^S, not re-based"),
                ("I1_IN_HOSPITAL_ONLY", "I1: SHMI spells, in-hospital deaths only, re-based"),
                ("I2_BASKET_ONLY", "I2: as I1, basket categories only, re-based"),
                ("I3_NO_PALLIATIVE", "I3: HSMR from the companion model, re-based"),
                ("HSMR_UNROUNDED_E", "H: 100·O/E*, unrounded E*"),
                ("GAP", "GAP = H − S0"),
                ("C_POST_DISCHARGE", "C_a = I1 − S0, post-discharge deaths"),
                ("C_OUTSIDE_BASKET", "C_b = I2 − I1, diagnoses outside the basket"),
                ("C_PALLIATIVE", "C_c = H − I3, palliative care adjustment"),
                ("C_OTHER_CASEMIX", "C_d = I3 − I2, other case-mix and definition differences"),
            )
        ),
        _count("SHMI_SPELLS", "In-scope reporting-period SHMI spells."),
        _count("SHMI_SPELLS_IN_BASKET", "Those of main-basket categories."),
        _count("SHMI_DEATHS", "Their SHMI deaths (Σ `DIED`)."),
        _count("SHMI_DEATHS_OUTSIDE_HOSPITAL", "SHMI deaths with `DIED_IN_HOSPITAL = 0`."),
        _count("HSMR_CIPS", "Main-basket HSMR records."),
        _count("HSMR_CIPS_PALLIATIVE", "Main-basket HSMR records with `PALLIATIVE = 1`."),
        _double("PCT_SHMI_DEATHS_OUTSIDE_HOSPITAL", "100 × SHMI deaths outside hospital / SHMI deaths, unrounded.",
                nullable=True),
        _double("PCT_SHMI_SPELLS_IN_BASKET", "100 × SHMI spells in basket / SHMI spells, unrounded.", nullable=True),
        _double("PCT_HSMR_CIPS_PALLIATIVE", "100 × palliative main-basket records / main-basket records, unrounded.",
                nullable=True),
    ),
    primary_key=(col.PROVIDER_CODE,),
    indicator=Indicator.HSMR,
)

HSMR_MODEL_PREDICT = _publication_table(
    "hsmr_model_predict",
    "HSMR model predict statistics (hsmr.md §6.2, §10.4), unrounded: one row per predictor of each model.",
    (
        _text(col.INDICATOR_CODE, "`HSMR`."),
        _MODEL,
        _CCS_CATEGORY,
        _text(col.PREDICTOR, "Variable and level, e.g. `PALLIATIVE_2`, or `Intercept`."),
        _double(col.PARAMETER_ESTIMATE, "β_j (0 for reference levels and aliased columns)."),
        _double(col.STANDARD_ERROR, "√((H⁻¹)_jj); empty for reference levels and aliased columns.", nullable=True),
        _double(col.WALD_CHI_SQUARE, "(β_j / SE_j)²; empty where the standard error is.", nullable=True),
        _integer(col.WALD_DF, "1, or 0 for reference levels and aliased columns."),
        _double(col.WALD_P_VALUE, "Upper tail of χ²₁ at the Wald statistic; empty where the standard error is.",
                nullable=True),
    ),
    primary_key=(col.MODEL, col.CCS_CATEGORY, col.PREDICTOR),
    indicator=Indicator.HSMR,
)

HSMR_MODEL_FIT = _publication_table(
    "hsmr_model_fit",
    "HSMR model fit statistics (hsmr.md §6.2, §10.4): one `FULL` row per modelled category and one "
    "`NO_PALLIATIVE` row per main-basket category; modelling-window counts.",
    (
        _MODEL,
        _CCS_CATEGORY,
        _count(col.CIPS, "Modelling-window CIPS of the category."),
        _count(col.DEATHS, "Their in-hospital deaths."),
        _double(col.C_STATISTIC, "c statistic, unrounded; empty without deaths or survivors.", nullable=True),
        _integer(col.CONVERGED, "1 converged, 0 not; empty without CIPS.", nullable=True),
        _text(col.FIT_METHOD, "`mle`, `ridge` or `none` (shmi.md §10.4)."),
        _integer(col.ITERATIONS, "Newton–Raphson iterations; empty without CIPS.", nullable=True),
        _text(col.ALIASED_PREDICTORS, "Aliased predictor names joined by `;`; empty when none.", nullable=True),
    ),
    primary_key=(col.MODEL, col.CCS_CATEGORY),
    indicator=Indicator.HSMR,
)

HSMR_CALIBRATION = _publication_table(
    "hsmr_calibration",
    "HSMR calibration by deciles of risk (statistics.md §5.2, hsmr.md §10.4): per model and non-empty decile, "
    "and an `HL` row with the Hosmer–Lemeshow statistic in `OBSERVED` and its degrees of freedom in `CIPS`.",
    (
        _MODEL,
        _CCS_CATEGORY,
        _text("DECILE", "`1`…`10`, or `HL`."),
        _double(col.CIPS, "CIPS of the decile (degrees of freedom on the `HL` row)."),
        _double(col.OBSERVED, "In-hospital deaths of the decile (the HL statistic on the `HL` row)."),
        _double(col.EXPECTED, "Σ p of the decile; empty on the `HL` row.", nullable=True),
        _double("MEAN_RISK", "E / CIPS of the decile; empty on the `HL` row.", nullable=True),
    ),
    primary_key=(col.MODEL, col.CCS_CATEGORY, "DECILE"),
    indicator=Indicator.HSMR,
)

HSMR_BASKET = _publication_table(
    "hsmr_basket",
    "The baskets the publication used (hsmr.md §5.2-§5.3, §10.5): one row per (basket, category), and a `TOTAL` "
    "row with D for a derived basket.",
    (
        _text(col.BASKET_ID, "Basket id; `HSMR` is the main basket."),
        _text(col.CCS_CATEGORY, "Category number, or `TOTAL`."),
        _text(col.CCS_LABEL, "Category label (hsmr.md §5.1); empty on `TOTAL`.", nullable=True),
        _text("SOURCE", "`DERIVED` or `FILE`."),
        _count("NATIONAL_DEATHS", "Derived baskets: in-hospital deaths D_c of the modelling window (D on `TOTAL`).",
               nullable=True),
        _double("CUMULATIVE_SHARE", "Derived baskets: cumulative share C/D, unrounded.", nullable=True),
        _integer("RANK", "Derived baskets: position in the sorted list.", nullable=True),
    ),
    primary_key=(col.BASKET_ID, col.CCS_CATEGORY),
    indicator=Indicator.HSMR,
)

HSMR_CATEGORY_SUMS = _publication_table(
    "hsmr_category_sums",
    "Raw category sums for request-time baskets and peer groups (hsmr.md §8.1, §10.7): every (trust, modelled "
    "category) with at least one reporting-period record, and England (`ENG`) per modelled category.",
    (
        _text(col.PROVIDER_CODE, "Trust code, or `ENG` for England."),
        _CCS_CATEGORY,
        _count(col.CIPS, "N: records."),
        _count(col.OBSERVED, "O: in-hospital deaths."),
        _double(col.EXPECTED_RAW, "E = Σ p of the full model, not re-based, unrounded."),
    ),
    primary_key=(col.PROVIDER_CODE, col.CCS_CATEGORY),
    indicator=Indicator.HSMR,
)

HSMR_DATA_QUALITY = _publication_table(
    "hsmr_data_quality",
    "The HSMR data-quality report (hsmr.md §10.6, internal): CIPS linking, scope and records, per trust of the "
    "CIPS's first spell (records per record trust) and `ALL`.",
    (
        _text(col.PROVIDER_CODE, "Trust code met in the input, or `ALL` for totals."),
        _text(col.MEASURE, "Measure, e.g. `LINKS_MADE`, `EXCL_3_PATIENT_CLASSIFICATION`, `RECORDS_REPORTING`."),
        _count(col.VALUE, "Count."),
    ),
    primary_key=(col.PROVIDER_CODE, col.MEASURE),
    indicator=Indicator.HSMR,
)

# --- monitoring tables (statistics.md §3.4, §4.4.5, §6.2 step 7) --------------------------------------------------

MONITORING_POINTS = _publication_table(
    "monitoring_points",
    "Daily points of the VLAD and CUSUM charts (statistics.md §3.4): one row per unit and calendar day of the "
    "reporting period on which at least one of its records ends. Values after the day's last record. No row per "
    "record is ever stored.",
    (
        _MONITORING_INDICATOR,
        _text(col.PROVIDER_CODE, "Trust code."),
        _MONITORING_UNIT,
        Column(col.DATE, SqlType.DATE, False, "The day (end date of the records: SHMI `DISDATE`, HSMR CIPS end)."),
        _count(col.RECORDS, "Records of the unit ending that day."),
        _count(col.CUM_RECORDS, "Records of the unit up to and including that day."),
        _count(col.CUM_OBSERVED, "Deaths (y) of those records."),
        _double(col.CUM_EXPECTED, "Σ p of those records, not re-based."),
        _double(col.VLAD, "V = Σ (p − y), cumulative expected minus observed deaths (statistics.md §3.1)."),
        _double(col.CUSUM_UP, "Upper CUSUM C after the day's last record, after any reset (§4.2); empty for "
                              "`TRUST` units.", nullable=True),
        _double(col.CUSUM_DOWN, "Lower CUSUM D (plotted as −D) after the day's last record, after any reset; empty "
                                "for `TRUST` units.", nullable=True),
        _double(col.VLAD_A, "Deterioration line A = P − h_VD after the day's last record, before a reset there "
                            "(§3.2); empty where the lines are not drawn (σ² < 75).", nullable=True),
        _double(col.VLAD_B, "Improvement line B = T + h_VI, likewise.", nullable=True),
    ),
    primary_key=(),
    sort_key=(col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.DATE),
    indicator=None,
)

MONITORING_SIGNALS = _publication_table(
    "monitoring_signals",
    "CUSUM signals (statistics.md §3.4, §4.2): one row per signal of an upper (`UP`) or lower (`DOWN`) chart.",
    (
        _MONITORING_INDICATOR,
        _text(col.PROVIDER_CODE, "Trust code."),
        _MONITORING_UNIT,
        _text(col.CHART, "`UP` (deterioration, R_A) or `DOWN` (improvement, 1/R_A)."),
        _integer(col.SIGNAL_NUMBER, "1 for the chart's first signal of the period, 2 for the next, …"),
        Column(col.DATE, SqlType.DATE, False, "End date of the signalling record."),
        _double(col.VALUE, "The chart value at the signal, before the reset."),
        _count(col.OBSERVED, "O of the records after the chart's previous reset (or from its first record) up to "
                             "and including the signalling record."),
        _double(col.EXPECTED, "Σ p (not re-based) of the same records."),
    ),
    primary_key=(col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.CHART, col.SIGNAL_NUMBER),
    indicator=None,
)

CUSUM_PARAMETERS = _publication_table(
    "cusum_parameters",
    "One row per chart (statistics.md §4.4.5): the CUSUMs of every trust × group unit, and the VLAD control "
    "lines where drawn; the rows of `internal/<INDICATOR>_cusum_parameters_<TP>.csv`, unrounded.",
    (
        _MONITORING_INDICATOR,
        _text(col.PROVIDER_CODE, "Trust code."),
        _MONITORING_UNIT,
        _text(col.CHART, "`UP`, `DOWN`, or `VLAD_UP`, `VLAD_DOWN` for the drawn VLAD lines (§3.2)."),
        _count(col.RECORDS, "Records of the unit in the reporting period."),
        _count(col.OBSERVED, "O of the unit."),
        _double(col.EXPECTED, "Σ p of the unit, not re-based."),
        _double(col.ALPHA, "α, the target false-alarm probability per chart (§4.4)."),
        _double(col.ODDS_RATIO, "The chart's odds ratio: R_A (`UP`), 1/R_A (`DOWN`); empty for VLAD lines.",
                nullable=True),
        _double(col.Q_EQ, "q of the equivalent homogeneous unit after the clamp (§4.4.2 step 4); empty when not "
                          "monitorable and for VLAD lines.", nullable=True),
        _double(col.N_EQ, "n' of the equivalent homogeneous unit after the clamp; empty likewise.", nullable=True),
        _integer(col.MONITORABLE, "1 when the chart has a finite threshold, 0 when not monitorable (§4.4.5)."),
        _double(col.H, "The threshold h (h_VD = h_VI for VLAD lines); empty when not monitorable (`INF` in the "
                       "file).", nullable=True),
        _integer(col.SIGNALS, "Signals of the chart in the reporting period."),
        _text(col.LAST_SIGNAL_MONTH, "`YYYY-MM` of the last signal's record; empty without signals.", nullable=True),
        _double(col.FINAL_VALUE, "The chart value after the last record."),
    ),
    primary_key=(col.INDICATOR, col.PROVIDER_CODE, col.UNIT, col.CHART),
    indicator=None,
)

ALERT_PREVIEW = _publication_table(
    "alert_preview",
    "What this publication does to the alert register if published after the previous published publication "
    "P⁻ (statistics.md §6.2 step 7), computed by its run: the alerts it opens and every open alert it updates, "
    "as they stand after it. For a draft this is the preview shown with the draft's own figures; the register "
    "itself (`alert_register`) changes only when a publication is published.",
    (
        *(c for c in ALERT_REGISTER.columns),
        _text(col.ACTION, "`OPENED`, `REPEATED` (signals or banding added), `PERSISTED` (condition held, no new "
                          "qualifying signal), `MISSED` or `CLOSED`."),
    ),
    primary_key=(col.ALERT_ID,),
    indicator=None,
)

#: Tables whose rows belong to one publication; a publication write replaces the period's rows in each.
PUBLICATION_TABLES: tuple[TableSpec, ...] = (
    ORGANISATIONS,
    SHMI_TRUST,
    SHMI_SITE,
    SHMI_DIAGNOSIS_GROUP,
    SHMI_SUPERGROUP,
    SHMI_NATIONAL_GROUP,
    SHMI_CONTEXTUAL,
    SHMI_MODEL_PREDICT,
    SHMI_MODEL_FIT,
    SHMI_LIMITS_PARAMETERS,
    DATA_QUALITY,
    QUALITY_CHECK,
    MONITORING_POINTS,
    MONITORING_SIGNALS,
    CUSUM_PARAMETERS,
    ALERT_PREVIEW,
    HSMR_TRUST,
    HSMR_GROUP,
    HSMR_COMPARISON,
    HSMR_MODEL_PREDICT,
    HSMR_MODEL_FIT,
    HSMR_CALIBRATION,
    HSMR_BASKET,
    HSMR_CATEGORY_SUMS,
    HSMR_DATA_QUALITY,
)

ALL_TABLES: tuple[TableSpec, ...] = (*CATALOG_TABLES, *PUBLICATION_TABLES)
_TABLES_BY_NAME = {table.name: table for table in ALL_TABLES}


def table_spec(name: str) -> TableSpec:
    """The table called ``name``; ``KeyError`` naming the known tables otherwise."""
    try:
        return _TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"no results-store table {name!r}; tables: {', '.join(sorted(_TABLES_BY_NAME))}") from None


# --- documentation ------------------------------------------------------------------------------------------------

DOC_BEGIN = "<!-- BEGIN GENERATED TABLES: python -m hospmort.store.document docs/results-database.md -->"
DOC_END = "<!-- END GENERATED TABLES -->"


def render_schema_markdown(tables: tuple[TableSpec, ...] = ALL_TABLES) -> str:
    """The column reference of every table, as Markdown (the generated part of docs/results-database.md)."""
    parts: list[str] = []
    for table in tables:
        key = ", ".join(f"`{k}`" for k in table.primary_key) if table.primary_key else "none (see sort order)"
        scope = f"publications carrying {table.indicator.value}" if table.indicator else "any publication"
        lines = [
            f"### `{table.name}`",
            "",
            table.description,
            "",
            f"Primary key: {key}. Rows read back sorted by: {', '.join(f'`{k}`' for k in table.sort_key)}.",
        ]
        if table.per_publication:
            lines.append(f"Written by: {scope}.")
        lines += ["", "| column | type | null | meaning |", "|---|---|---|---|"]
        lines += [
            f"| `{c.name}` | {c.sql_type.value} | {'yes' if c.nullable else 'no'} | {c.description} |"
            for c in table.columns
        ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def replace_generated_section(document: str, generated: str) -> str:
    """``document`` with the text between :data:`DOC_BEGIN` and :data:`DOC_END` replaced by ``generated``."""
    start = document.index(DOC_BEGIN) + len(DOC_BEGIN)
    end = document.index(DOC_END)
    return document[:start] + "\n\n" + generated + "\n" + document[end:]
