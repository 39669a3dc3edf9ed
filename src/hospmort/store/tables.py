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
SCHEMA_VERSION = 1

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

#: Tables that are not rows of one publication: the schema version and the list of publications.
CATALOG_TABLES: tuple[TableSpec, ...] = (SCHEMA_VERSION_TABLE, PUBLICATIONS_TABLE)


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
