"""The orchestrator: one publication run, or a history of monthly publications, read as a table of contents.

1. read and validate the inputs, build provider spells                     (hes, spells)
2. check every publication's coverage before computing anything            (shmi.scope)
3. per publication: scope, outcome, cohort, models, indicators, quality    (shmi.*)
4. store each publication atomically as a draft, publish it if asked       (store)
5. write the files of every publication, then move them into place         (publish)

A run that fails leaves the results store and the output folder as they were before it, publication by
publication: files are staged beside the output folder and moved in only at the end, and each publication
is stored in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from hospmort import __version__
from hospmort.config import EngineOptions, Month, Windows
from hospmort.engine import connect_duckdb
from hospmort.errors import ConfigError
from hospmort.hes import InputReport, load_inputs
from hospmort.hes.quality import DataQualityRow, assemble_quality_report, rows_from_counts
from hospmort.hsmr.run import HsmrOutcome, prepare_hsmr_inputs, run_hsmr_publication
from hospmort.manifest import Manifest, hash_inputs
from hospmort.monitoring.alerts_store import AlertPreviewer, rebuild_alert_register
from hospmort.monitoring.compute import MonitoringSettings
from hospmort.monitoring.publication import compute_publication_monitoring, hsmr_monitoring_records_sql
from hospmort.publish import commit_staged_files, write_historical_file, write_shmi_files
from hospmort.schema import ALL_PROVIDERS
from hospmort.shmi.cohort import SHMI_COHORT, build_shmi_cohort
from hospmort.shmi.compute import ShmiComputation, compute_shmi
from hospmort.shmi.extract import write_shmi_extract
from hospmort.shmi.quality import (
    Finding,
    GroupModelSummary,
    TrustFigures,
    blocking,
    check_against_previous,
    check_data_quality,
    check_models,
    check_national_observed_equals_expected,
)
from hospmort.shmi.scope import (
    check_deaths_coverage,
    check_episode_coverage,
    check_spells_in_scope,
    classify_shmi_scope,
    latest_date_of_death,
)
from hospmort.spells import attribute_shmi_deaths, derive_provider_spells
from hospmort.store import (
    Indicator,
    Publication,
    PublicationStatus,
    open_store,
    previous_publication,
    read_table,
    write_publications,
)
from hospmort.store.connection import describe_store_location

log = logging.getLogger(__name__)

SYNTH_SETTINGS = Path("truth") / "settings.json"


@dataclass(frozen=True)
class InputPaths:
    """Where the record-level inputs are: episodes and deaths (file, folder or glob), organisations CSV."""

    episodes: Path | str
    deaths: Path | str
    organisations: Path | None
    column_map: Mapping[str, str] = field(default_factory=dict)
    #: A folder written by ``hospmort synth`` (its truth/settings.json gives the deaths completeness date).
    data_dir: Path | None = None

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> InputPaths:
        """The layout ``hospmort synth`` writes: episodes/, deaths.parquet, organisations.csv, truth/."""
        if not data_dir.is_dir():
            raise ConfigError(f"--data {data_dir}: not a folder")
        return cls(data_dir / "episodes", data_dir / "deaths.parquet", data_dir / "organisations.csv",
                   data_dir=data_dir)


@dataclass(frozen=True)
class RunRequest:
    """One ``hospmort run``: the publications ending at ``period_end`` (``history`` of them)."""

    inputs: InputPaths
    period_end: Month
    db: str
    out: Path
    history: int = 1
    extract: Path | None = None
    deaths_complete_to: dt.date | None = None
    publish: bool = False
    #: Indicators to compute (``--indicators``): the SHMI always, the HSMR unless left out (hsmr.md §2).
    indicators: tuple[Indicator, ...] = (Indicator.SHMI, Indicator.HSMR)
    #: ``--basket FILE``: the HSMR basket file (hsmr.md §5.3); None derives the basket.
    basket: Path | None = None
    #: VLAD and CUSUM monitoring (statistics.md §3-§4): α per chart and R_A (``--cusum-alpha``, ...).
    monitoring: MonitoringSettings = field(default_factory=MonitoringSettings)


@dataclass(frozen=True)
class PublicationOutcome:
    """What happened to one publication of the run."""

    period_end: Month
    time_period: str
    status: str
    blocking_findings: tuple[str, ...]
    findings: int


@dataclass(frozen=True)
class RunResult:
    publications: tuple[PublicationOutcome, ...]
    files: tuple[Path, ...]
    extract_files: tuple[Path, ...]


def _is_within(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def deaths_completeness_date(inputs: InputPaths, given: dt.date | None,
                             con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """``--deaths-complete-to``, else the generator's recorded date for synthetic data, else the latest DOD."""
    if given is not None:
        return given
    if inputs.data_dir is not None and (inputs.data_dir / SYNTH_SETTINGS).is_file():
        settings = json.loads((inputs.data_dir / SYNTH_SETTINGS).read_text(encoding="utf-8"))
        if settings.get("deaths_complete_to"):
            return dt.date.fromisoformat(settings["deaths_complete_to"])
    return latest_date_of_death(con)


def publication_months(period_end: Month, history: int) -> list[Month]:
    """The period ends of a history run: M-N+1 ... M (shmi.md §17.1)."""
    if history < 1:
        raise ConfigError(f"--history must be 1 or more, got {history}")
    return [period_end.shift(k - history + 1) for k in range(history)]


def _cohort_counts(con: duckdb.DuckDBPyConnection) -> tuple[DataQualityRow, ...]:
    """§16.8 measures of the cohort: DIAG_GROUP_144, BIRTHWEIGHT_NOT_KNOWN, LSOA_UNKNOWN (in-scope spells)."""
    rows = con.execute(f"""
        SELECT PROCODE3, GROUPING(PROCODE3),
               sum(CASE WHEN DIAGNOSIS_GROUP = 144 THEN 1 ELSE 0 END),
               sum(CASE WHEN BIRTHWEIGHT = 5 THEN 1 ELSE 0 END),
               sum(CASE WHEN q.lsoa11cd IS NULL THEN 1 ELSE 0 END)
        FROM {SHMI_COHORT} c LEFT JOIN ref_imd_quintile q ON q.lsoa11cd = upper(trim(c.LSOA11))
        WHERE IN_SCOPE = 1
        GROUP BY GROUPING SETS ((PROCODE3), ())
    """).fetchall()
    return rows_from_counts(
        (None if total else code, measure, int(value or 0))
        for code, total, group_144, weight_unknown, lsoa_unknown in rows
        for measure, value in (("DIAG_GROUP_144", group_144), ("BIRTHWEIGHT_NOT_KNOWN", weight_unknown),
                               ("LSOA_UNKNOWN", lsoa_unknown))
    )


def _previous_trust_figures(db: str, period_end: Month) -> dict[str, TrustFigures] | None:
    """The trust rows of the stored publication before ``period_end`` (draft or published), if any."""
    with open_store(db) as store:
        previous = previous_publication(store, period_end)
        if previous is None:
            return None
        rows = read_table(store, "shmi_trust", previous.period_end)
    return {r["PROVIDER_CODE"]: TrustFigures(r["SPELLS"], r["OBSERVED"], r["EXPECTED"], r["SHMI_VALUE"])
            for r in rows}


def quality_findings(computation: ShmiComputation, data_quality: Sequence[DataQualityRow],
                     previous: Mapping[str, TrustFigures] | None) -> list[Finding]:
    """Every check of shmi.md §17.2 for one publication."""
    national = {g: (u.observed, u.expected) for g, u in computation.national_by_group.items()}
    models = [GroupModelSummary(g, int(m.deaths), m.converged if m.spells else None, m.c_statistic)
              for g, m in computation.models.items()]
    current = {r["PROVIDER_CODE"]: TrustFigures(r["SPELLS"], r["OBSERVED"], r["EXPECTED"], r["SHMI_VALUE"])
               for r in computation.tables["shmi_trust"]}
    return [
        *check_national_observed_equals_expected(national),
        *check_models(models),
        *check_against_previous(current, previous),
        *check_data_quality([(r.provider_code, r.measure, r.value) for r in data_quality]),
    ]


def _finding_row(finding: Finding) -> dict[str, Any]:
    return {"CHECK": finding.check.value, "SEVERITY": finding.severity.value,
            "PROVIDER_CODE": finding.provider_code, "DIAGNOSIS_GROUP": finding.diagnosis_group,
            "VALUE": finding.value, "THRESHOLD": finding.threshold}


def _organisation_rows(inputs: InputReport) -> list[dict[str, Any]]:
    return [{"org_code": o.org_code, "org_name": o.org_name or o.org_code, "org_type": o.org_type.value,
             "parent_code": o.parent_code or None, "region_code": o.region_code or None,
             "region_name": o.region_name or None, "trust_type": o.trust_type.value if o.trust_type else None,
             "site_type": o.site_type.value if o.site_type else None} for o in inputs.organisations]


def prepare_publication(con: duckdb.DuckDBPyConnection, windows: Windows) -> tuple[DataQualityRow, ...]:
    """Scope, outcome and cohort of one publication; returns their data-quality rows."""
    scope = classify_shmi_scope(con, windows)
    outcome = attribute_shmi_deaths(con)
    build_shmi_cohort(con, windows)
    return (*scope.rows, *outcome)


def run_publications(request: RunRequest, options: EngineOptions) -> RunResult:
    """Compute, store and write the publications of ``request`` (shmi.md §17)."""
    if request.extract is not None and _is_within(request.extract, request.out):
        raise ConfigError(f"--extract {request.extract} is inside --out {request.out}: record-level files "
                          "never go into the publication folder")
    months = publication_months(request.period_end, request.history)
    manifest = Manifest("run", {
        "period_end": str(request.period_end), "history": request.history,
        "db": describe_store_location(request.db),
        "out": str(request.out), "extract": str(request.extract) if request.extract else None,
        "publish": request.publish, "column_map": dict(request.inputs.column_map),
        "engine": {"engine": options.engine.value, "memory_limit": options.memory_limit,
                   "threads": options.threads},
    })
    with manifest.stage("hash_inputs"):
        manifest.inputs = hash_inputs({
            "episodes": _as_path(request.inputs.episodes), "deaths": _as_path(request.inputs.deaths),
            "organisations": request.inputs.organisations})
    request.out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{request.out.name}.staging-", dir=request.out.parent))
    extract_staging = None
    if request.extract is not None:
        request.extract.parent.mkdir(parents=True, exist_ok=True)
        extract_staging = Path(tempfile.mkdtemp(prefix=f".{request.extract.name}.staging-",
                                                dir=request.extract.parent))
    con = connect_duckdb(options)
    try:
        return _run(con, request, options, months, manifest, staging, extract_staging)
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
        if extract_staging is not None:
            shutil.rmtree(extract_staging, ignore_errors=True)


def _as_path(value: Path | str) -> Path | None:
    path = Path(value)
    return path if path.exists() else None


def _run(con: duckdb.DuckDBPyConnection, request: RunRequest, options: EngineOptions, months: Sequence[Month],
         manifest: Manifest, staging: Path, extract_staging: Path | None) -> RunResult:
    with manifest.stage("read_and_validate") as record:
        inputs = load_inputs(con, request.inputs.episodes, request.inputs.deaths, request.inputs.organisations,
                             request.inputs.column_map)
        record["rows"] = {r.measure: r.value for r in inputs.rows if r.provider_code == ALL_PROVIDERS}
    with manifest.stage("provider_spells") as record:
        spell_rows = derive_provider_spells(con)
        record["rows"] = {r.measure: r.value for r in spell_rows if r.provider_code == ALL_PROVIDERS}
    with manifest.stage("coverage_checks"):
        complete_to = deaths_completeness_date(request.inputs, request.deaths_complete_to, con)
        check_deaths_coverage(Windows(months[-1]), complete_to)
        for month in months:
            windows = Windows(month)
            scope = classify_shmi_scope(con, windows)
            check_spells_in_scope(scope, request.inputs.organisations is not None)
            check_episode_coverage(con, windows)
    manifest.counts["deaths_complete_to"] = str(complete_to)
    hsmr_inputs = None
    if Indicator.HSMR in request.indicators:
        with manifest.stage("continuous_inpatient_spells"):
            hsmr_inputs = prepare_hsmr_inputs(con, inputs.organisations, inputs.trust_codes, spell_rows,
                                              request.basket)
    computed: list[tuple[Publication, PublicationStatus, PublicationOutcome]] = []
    history: list[tuple[str, str, list[dict[str, Any]]]] = []
    previous: dict[str, TrustFigures] | None = _previous_trust_figures(request.db, months[0])
    alert_previewer = AlertPreviewer.from_store(request.db, months)
    for month in months:
        windows = Windows(month)
        with manifest.stage("publication", period_end=str(month)) as record:
            stage_rows = prepare_publication(con, windows)
            computation = compute_shmi(con, windows, inputs.organisations)
            hsmr: HsmrOutcome | None = None
            if hsmr_inputs is not None:
                hsmr = run_hsmr_publication(con, windows, hsmr_inputs, computation, staging, extract_staging)
                record["hsmr"] = hsmr.manifest
            data_quality = assemble_quality_report(inputs.trust_codes, inputs.rows, spell_rows, stage_rows,
                                                   _cohort_counts(con))
            findings = [*quality_findings(computation, data_quality, previous), *(hsmr.findings if hsmr else [])]
            tables = {
                **computation.tables,
                "data_quality": [{"PROVIDER_CODE": r.provider_code, "MEASURE": r.measure, "VALUE": r.value}
                                 for r in data_quality],
                "quality_check": [_finding_row(f) for f in findings],
                "organisations": _organisation_rows(inputs),
                **(hsmr.tables if hsmr else {}),
            }
            with manifest.stage("monitoring", period_end=str(month)):
                tables.update(compute_publication_monitoring(
                    con, windows, staging, request.monitoring,
                    hsmr_records_sql=hsmr_monitoring_records_sql(hsmr.computation) if hsmr and hsmr.computation
                    else None))
            record["trusts"] = len(computation.tables["shmi_trust"])
            record["findings"] = len(findings)
            record["models"] = {
                "fit_methods": _count_values(m.fit_method.value for m in computation.models.values()),
                "not_converged": sorted(g for g, m in computation.models.items() if m.converged is False),
            }
            write_shmi_files(staging, windows.time_period, tables)
            if extract_staging is not None:
                write_shmi_extract(con, extract_staging, windows.time_period)
            blocking_checks = tuple(sorted({f.check.value for f in blocking(findings)}))
            status = (PublicationStatus.PUBLISHED if request.publish and not blocking_checks
                      else PublicationStatus.DRAFT)
            if request.publish and blocking_checks:
                log.warning("%s stays a draft: blocking findings %s", windows.time_period, ", ".join(blocking_checks))
            indicators = (Indicator.SHMI, Indicator.HSMR) if hsmr and hsmr.computed else (Indicator.SHMI,)
            tables["alert_preview"] = alert_previewer.preview(
                month, indicators, tables, published=status is PublicationStatus.PUBLISHED)
            publication = Publication(period_end=month, indicators=indicators, tables=tables,
                                      manifest={**manifest.as_dict(), "publication": str(month)},
                                      package_version=__version__)
            outcome = PublicationOutcome(month, windows.time_period, status.value, blocking_checks, len(findings))
            computed.append((publication, status, outcome))
            history.append((str(month), windows.time_period, computation.tables["shmi_trust"]))
            previous = {r["PROVIDER_CODE"]: TrustFigures(r["SPELLS"], r["OBSERVED"], r["EXPECTED"], r["SHMI_VALUE"])
                        for r in computation.tables["shmi_trust"]}
    if len(months) >= 2:
        write_historical_file(staging, Windows(months[-1]).time_period, history)
    with manifest.stage("store"), open_store(request.db) as store:
        write_publications(store, [(publication, status) for publication, status, _ in computed])
        rebuild_alert_register(store)
    (staging / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    files = commit_staged_files(staging, request.out)
    moved_extract: list[Path] = []
    if extract_staging is not None and request.extract is not None:
        moved_extract = commit_staged_files(extract_staging, request.extract)
    return RunResult(tuple(outcome for _, _, outcome in computed), tuple(files), tuple(moved_extract))


def _count_values(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def list_cohort(inputs: InputPaths, period_end: Month, out: Path, options: EngineOptions) -> int:
    """``hospmort cohort``: the diagnostic listing of every spell built (shmi.md §16.9); no coverage checks."""
    from hospmort.shmi.extract import write_cohort_listing

    con = connect_duckdb(options)
    try:
        load_inputs(con, inputs.episodes, inputs.deaths, inputs.organisations, inputs.column_map)
        derive_provider_spells(con)
        prepare_publication(con, Windows(period_end))
        return write_cohort_listing(con, out)
    finally:
        con.close()
