"""The ``hospmort`` command line: the only place that parses arguments, configures logging and exits.

Every option of every command may also be given in a TOML file named by ``--config FILE``: one key per
option, named as the option without its leading dashes (``memory-limit = "12GB"``). The command line wins.
Exit codes: 0 success, 2 unusable input or configuration (a one-line message on stderr), 1 anything else.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hospmort.config import Engine, EngineOptions, load_config_file
from hospmort.errors import ConfigError, HospmortError, InputDataError

if TYPE_CHECKING:
    from hospmort.pipeline import InputPaths

log = logging.getLogger("hospmort")

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="hospmort: SHMI and HSMR hospital mortality indicators from HES data.",
    pretty_exceptions_enable=False,
)

T = TypeVar("T")
EXIT_UNUSABLE_INPUT = 2


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def _load_config_defaults(ctx: typer.Context, _param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Eager callback of ``--config``: the file's keys become the defaults of the command's options."""
    if value is None:
        return None
    settings = load_config_file(value)
    by_option = {
        flag.lstrip("-"): param.name
        for param in ctx.command.params
        if param.name and param.name != "config"
        for flag in getattr(param, "opts", [])
        if flag.startswith("--")
    }
    defaults: dict[str, Any] = {}
    for key, setting in settings.items():
        name = by_option.get(key.lstrip("-"))
        if name is None:
            raise typer.BadParameter(f"{value}: unknown option {key!r} for this command", param_hint="--config")
        defaults[name] = [str(v) for v in setting] if isinstance(setting, list) else setting
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return value


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file of option values (keys named as the options without dashes).",
        is_eager=True,
        callback=_load_config_defaults,
        exists=False,
    ),
]
MemoryLimitOption = Annotated[
    str | None, typer.Option("--memory-limit", help="Engine memory limit, e.g. 12GB.")
]
TempDirOption = Annotated[Path | None, typer.Option("--temp-dir", help="Spill directory for the engine.")]
ThreadsOption = Annotated[int | None, typer.Option("--threads", min=1, help="Engine threads.")]
EngineOption = Annotated[Engine, typer.Option("--engine", help="Record-level engine.")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]


def engine_options(memory_limit: str | None, temp_dir: Path | None, threads: int | None,
                   engine: Engine) -> EngineOptions:
    """The typed engine options of a command."""
    return EngineOptions(memory_limit=memory_limit, temp_dir=temp_dir, threads=threads, engine=engine)


def run_command(action: Callable[[], T], *, verbose: bool = False) -> T:
    """Run a command's action: configure logging, turn hospmort errors into a message and an exit code."""
    _configure_logging(verbose)
    try:
        return action()
    except (InputDataError, ConfigError) as error:
        typer.echo(f"hospmort: error: {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE_INPUT) from error
    except HospmortError as error:
        typer.echo(f"hospmort: error: {error}", err=True)
        raise typer.Exit(1) from error


@app.callback()
def _root() -> None:
    """hospmort: SHMI and HSMR hospital mortality indicators from HES data."""


# --- commands --------------------------------------------------------------------------------------------
# Each command is a thin function: parse options into typed values, call one library function inside
# run_command, print where the results are. Add new commands below, one block each.


@app.command("funnel")
def funnel_command(
    input_path: Annotated[Path, typer.Option("--input", help="CSV of units with observed and expected.")],
    output_path: Annotated[Path, typer.Option("--output", help="CSV of limits and banding to write.")],
    summary_path: Annotated[
        Path | None, typer.Option("--summary", help="JSON file of units, units_kept, phi and tau2.")
    ] = None,
    unit_column: Annotated[str | None, typer.Option("--unit-column", help="Name of the unit column.")] = None,
    observed_column: Annotated[
        str | None, typer.Option("--observed-column", help="Name of the observed column.")
    ] = None,
    expected_column: Annotated[
        str | None, typer.Option("--expected-column", help="Name of the expected column.")
    ] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """SHMI over-dispersed and Poisson limits and banding for any table of observed and expected deaths."""
    from hospmort.funnel import FunnelColumns, run_funnel

    named = (unit_column, observed_column, expected_column)
    if any(named) and not all(named):
        raise typer.BadParameter("give all three of --unit-column, --observed-column, --expected-column")
    columns = FunnelColumns(*named) if all(named) else None  # type: ignore[arg-type]
    run_command(lambda: run_funnel(input_path, output_path, summary_path, columns), verbose=verbose)
    typer.echo(f"wrote {output_path}")


StoreOption = Annotated[
    str, typer.Option("--db", help="Results store: a DuckDB file path, duckdb:///path or postgresql://user@host/db.")
]


@app.command("publications")
def publications_command(
    db: StoreOption,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """List the publications in the results store: period end, label, status, indicators, times."""
    from hospmort.store.catalog import describe_publication, list_publications_at
    from hospmort.store.connection import describe_store_location

    stored = run_command(lambda: list_publications_at(db), verbose=verbose)
    if not stored:
        typer.echo(f"no publications in {describe_store_location(db)}")
    for publication in stored:
        typer.echo(describe_publication(publication))


@app.command("publish")
def publish_command(
    db: StoreOption,
    period: Annotated[str, typer.Option("--period", help="Period-end month of the publication, YYYY-MM.")],
    accept_blocking_findings: Annotated[
        bool, typer.Option("--accept-blocking-findings",
                           help="Publish even though the quality check raised BLOCKING findings.")
    ] = False,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Mark a stored draft publication published (a publication with BLOCKING findings stays a draft)."""
    from hospmort.config import Month
    from hospmort.store.catalog import describe_publication, publish_at

    published = run_command(
        lambda: publish_at(db, Month.parse(period), accept_blocking_findings=accept_blocking_findings),
        verbose=verbose,
    )
    typer.echo(describe_publication(published))


@app.command("check")
def check_command(
    episodes: Annotated[str, typer.Option("--episodes", help="Episodes: a CSV/Parquet file, folder or glob.")],
    deaths: Annotated[str, typer.Option("--deaths", help="Deaths: a CSV/Parquet file, folder or glob.")],
    organisations: Annotated[
        Path | None, typer.Option("--organisations", help="Organisation table CSV (decides SHMI scope).")
    ] = None,
    period_end: Annotated[
        str | None, typer.Option("--period-end", help="Period-end month YYYY-MM: adds scope and exclusions.")
    ] = None,
    deaths_complete_to: Annotated[
        str | None, typer.Option("--deaths-complete-to", help="Date YYYY-MM-DD deaths are complete to.")
    ] = None,
    column_map: Annotated[
        list[str] | None, typer.Option("--column-map", help="NAME=FIELD: read input column NAME as FIELD.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to this CSV file.")] = None,
    config: ConfigOption = None,
    memory_limit: MemoryLimitOption = None,
    temp_dir: TempDirOption = None,
    threads: ThreadsOption = None,
    engine: EngineOption = Engine.DUCKDB,
    verbose: VerboseOption = False,
) -> None:
    """Data-quality report of an extract by data-contract rule; with --period-end, the SHMI exclusions too.

    Exit code 0 when the input is usable for that period, 2 when a stop rule fires.
    """
    from hospmort.check import CheckRequest, CheckResult, parse_check_dates, run_check
    from hospmort.hes import parse_column_map
    from hospmort.hes.quality import format_quality_report_text, quality_report_table

    def action() -> CheckResult:
        month, complete_to = parse_check_dates(period_end, deaths_complete_to)
        request = CheckRequest(episodes, deaths, organisations, parse_column_map(column_map or []), month,
                               complete_to, out)
        return run_check(request, engine_options(memory_limit, temp_dir, threads, engine))

    result = run_command(action, verbose=verbose)
    if sys.stdout.isatty():
        from rich.console import Console

        Console().print(quality_report_table(result.rows, result.examples))
    else:
        typer.echo(format_quality_report_text(result.rows, result.examples), nl=False)
    if out is not None:
        typer.echo(f"wrote {out}")
    for problem in result.problems:
        typer.echo(f"hospmort: error: {problem}", err=True)
    if not result.usable:
        raise typer.Exit(EXIT_UNUSABLE_INPUT)


# --- run and cohort (shmi.md §16.9, §17) ----------------------------------------------------------------------

DataOption = Annotated[
    Path | None, typer.Option("--data", help="A folder written by `hospmort synth` (episodes, deaths, organisations).")
]
EpisodesOption = Annotated[str | None, typer.Option("--episodes", help="Episodes: CSV/Parquet file, folder or glob.")]
DeathsOption = Annotated[str | None, typer.Option("--deaths", help="Deaths: CSV/Parquet file, folder or glob.")]
OrganisationsOption = Annotated[
    Path | None, typer.Option("--organisations", help="Organisation table CSV (decides SHMI scope).")
]
ColumnMapOption = Annotated[
    list[str] | None, typer.Option("--column-map", help="NAME=FIELD: read input column NAME as FIELD.")
]
PeriodEndOption = Annotated[str, typer.Option("--period-end", help="Period-end month YYYY-MM.")]


def _input_paths(data: Path | None, episodes: str | None, deaths: str | None, organisations: Path | None,
                 column_map: list[str] | None) -> InputPaths:
    from hospmort.hes.read import parse_column_map
    from hospmort.pipeline import InputPaths

    mapping = parse_column_map(column_map or [])
    if data is not None:
        if episodes or deaths:
            raise ConfigError("give either --data or --episodes/--deaths, not both")
        paths = InputPaths.from_data_dir(data)
        organisations = organisations or paths.organisations
        return InputPaths(paths.episodes, paths.deaths, organisations, mapping, data)
    if not episodes or not deaths:
        raise ConfigError("give --data DIR, or --episodes and --deaths (with --organisations)")
    return InputPaths(episodes, deaths, organisations, mapping)


@app.command("run")
def run_shmi_command(
    period_end: PeriodEndOption,
    db: Annotated[str, typer.Option("--db", help="Results database: a DuckDB file path or postgresql://user@host/db.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the publication files.")],
    data: DataOption = None,
    episodes: EpisodesOption = None,
    deaths: DeathsOption = None,
    organisations: OrganisationsOption = None,
    column_map: ColumnMapOption = None,
    history: Annotated[int, typer.Option("--history", min=1, help="Number of monthly publications ending at "
                                         "--period-end.")] = 1,
    extract: Annotated[Path | None, typer.Option("--extract", help="Folder for the record-level extract "
                                                 "(outside --out).")] = None,
    deaths_complete_to: Annotated[str | None, typer.Option("--deaths-complete-to",
                                                           help="Date YYYY-MM-DD deaths are complete to.")] = None,
    publish_now: Annotated[bool, typer.Option("--publish", help="Publish each publication whose quality check "
                                              "raises nothing blocking.")] = False,
    indicators: Annotated[str, typer.Option("--indicators", help="Indicators to compute: shmi,hsmr or shmi.")
                          ] = "shmi,hsmr",
    basket: Annotated[Path | None, typer.Option("--basket", help="HSMR basket file (CSV: BASKET_ID, CCS_CATEGORY); "
                                                "default: the derived 80% basket.")] = None,
    cusum_alpha: Annotated[float, typer.Option("--cusum-alpha", help="CUSUM false-alarm probability per chart over "
                                               "the period, 0.0005 to 0.1.")] = 0.001,
    cusum_odds_ratio: Annotated[float, typer.Option("--cusum-odds-ratio", help="R_A of the upper CUSUM (the lower "
                                                    "uses 1/R_A); needs its threshold table.")] = 2.0,
    config: ConfigOption = None,
    memory_limit: MemoryLimitOption = None,
    temp_dir: TempDirOption = None,
    threads: ThreadsOption = None,
    engine: EngineOption = Engine.DUCKDB,
    verbose: VerboseOption = False,
) -> None:
    """Compute the SHMI (and HSMR) publication(s) for the 12 months ending --period-end, store and write them."""
    from hospmort.check import parse_check_dates
    from hospmort.hsmr.run import parse_indicators
    from hospmort.monitoring.compute import MonitoringSettings
    from hospmort.monitoring.thresholds import check_alpha
    from hospmort.pipeline import RunRequest, run_publications

    def action() -> object:
        month, complete_to = parse_check_dates(period_end, deaths_complete_to)
        assert month is not None
        request = RunRequest(
            inputs=_input_paths(data, episodes, deaths, organisations, column_map), period_end=month, db=db,
            out=out, history=history, extract=extract, deaths_complete_to=complete_to, publish=publish_now,
            indicators=parse_indicators(indicators), basket=basket,
            monitoring=MonitoringSettings(alpha=check_alpha(cusum_alpha), odds_ratio=cusum_odds_ratio))
        return run_publications(request, engine_options(memory_limit, temp_dir, threads, engine))

    result = run_command(action, verbose=verbose)
    for publication in result.publications:  # type: ignore[attr-defined]
        note = f" (blocking: {', '.join(publication.blocking_findings)})" if publication.blocking_findings else ""
        typer.echo(f"{publication.time_period}: {publication.status}, {publication.findings} quality-check "
                   f"findings{note}")
    from hospmort.store.connection import describe_store_location

    typer.echo(f"files in {out}/, results database {describe_store_location(db)}")
    if extract is not None:
        typer.echo(f"record-level extract in {extract}/ ({len(result.extract_files)} files)")  # type: ignore[attr-defined]


@app.command("cohort")
def cohort_command(
    period_end: PeriodEndOption,
    out: Annotated[Path, typer.Option("--out", help="CSV file for the cohort listing (record-level).")],
    data: DataOption = None,
    episodes: EpisodesOption = None,
    deaths: DeathsOption = None,
    organisations: OrganisationsOption = None,
    column_map: ColumnMapOption = None,
    config: ConfigOption = None,
    memory_limit: MemoryLimitOption = None,
    temp_dir: TempDirOption = None,
    threads: ThreadsOption = None,
    engine: EngineOption = Engine.DUCKDB,
    verbose: VerboseOption = False,
) -> None:
    """The diagnostic cohort listing: every spell built, whether it is in scope and why, with its levels."""
    from hospmort.check import parse_check_dates
    from hospmort.pipeline import list_cohort

    def action() -> int:
        month, _ = parse_check_dates(period_end, None)
        assert month is not None
        paths = _input_paths(data, episodes, deaths, organisations, column_map)
        return list_cohort(paths, month, out, engine_options(memory_limit, temp_dir, threads, engine))

    rows = run_command(action, verbose=verbose)
    typer.echo(f"wrote {rows} spells to {out}")


@app.command("synth")
def synth_command(
    out: Annotated[Path, typer.Option("--out", help="Folder for episodes/, deaths.parquet, organisations.csv, "
                                                   "truth/.")],
    scale: Annotated[str, typer.Option("--scale", help="tiny, regional or national.")] = "regional",
    start: Annotated[str | None, typer.Option(
        "--start", help="First discharge month YYYY-MM (default: 59 months before --end).")] = None,
    end: Annotated[str, typer.Option("--end", help="Last discharge month YYYY-MM.")] = "2025-12",
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed: the same seed gives the same bytes.")
                    ] = 20251231,
    defect_rate: Annotated[float, typer.Option(
        "--defect-rate", help="Share of rows (or spells) given each kind of planted defect, 0 to 0.2.")] = 0.001,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Synthetic national HES episodes and ONS deaths with a planted truth (fictional trusts)."""
    from hospmort.config import Month
    from hospmort.synth import Scale, SynthSettings, SynthSummary, generate

    def action() -> SynthSummary:
        try:
            chosen = Scale(scale.strip().lower())
        except ValueError as error:
            raise ConfigError(f"--scale must be one of {', '.join(s.value for s in Scale)}, got {scale!r}") from error
        last = Month.parse(end)
        first = Month.parse(start) if start is not None else last.shift(-59)
        return generate(SynthSettings(out=out, scale=chosen, start=first, end=last, seed=seed,
                                      defect_rate=defect_rate))

    summary = run_command(action, verbose=verbose)
    typer.echo(f"wrote {summary.episodes} episodes ({summary.in_scope_spells} in-scope SHMI spells, "
               f"{summary.deaths_written} deaths) to {out}")


@app.command("cusum-table")
def cusum_table_command(
    odds_ratio: Annotated[float, typer.Option("--odds-ratio", help="R_A of the upper chart, e.g. 2.")],
    paths: Annotated[int, typer.Option("--paths", min=1000, help="Simulated paths per column (1000000).")],
    out: Annotated[Path, typer.Option("--out", help="CSV file of R, Q, N_EQ, ALPHA, H to write.")],
    q: Annotated[list[float] | None, typer.Option("--q", help="Only these Q columns (repeatable).")] = None,
    alpha: Annotated[list[float] | None, typer.Option("--alpha", help="Only these levels (repeatable).")] = None,
    n_eq_limit: Annotated[int | None, typer.Option("--n-eq-limit", min=1,
                                                   help="Only N_EQ up to this value (reduced grid).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Columns simulated in parallel.")] = 1,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate the CUSUM threshold table by exact simulation (statistics.md §4.4.3)."""
    from hospmort.monitoring.table import TABLE_ALPHAS, TABLE_Q_VALUES, generate_threshold_table

    rows = run_command(
        lambda: generate_threshold_table(odds_ratio, paths, out, q_values=tuple(q or TABLE_Q_VALUES),
                                         alphas=tuple(alpha or TABLE_ALPHAS), n_eq_limit=n_eq_limit,
                                         workers=workers),
        verbose=verbose,
    )
    typer.echo(f"wrote {rows} rows to {out}")


@app.command("alerts")
def alerts_command(
    db: StoreOption,
    trust: Annotated[str | None, typer.Option("--trust", help="Only this trust's alerts (provider code).")
                     ] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """List the open (NEW and OPEN) alerts of the register kept from published publications (§6)."""
    from hospmort.monitoring.alerts_store import format_open_alerts, list_open_alerts_at

    alerts = run_command(lambda: list_open_alerts_at(db, trust), verbose=verbose)
    for line in format_open_alerts(alerts):
        typer.echo(line)


@app.command("serve")
def serve_command(
    db: StoreOption,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the dashboard and its JSON API from the results store (read-only; peer groups are saved in it)."""
    import uvicorn

    from hospmort.store import open_store
    from hospmort.web import create_app

    def action() -> object:
        with open_store(db, read_only=True):
            pass  # refuse at once a store that is missing, busy or of another schema version
        return create_app(db)

    web_app = run_command(action, verbose=verbose)
    typer.echo(f"hospmort dashboard: http://{host}:{port}/ (JSON API: http://{host}:{port}/api-docs)")
    uvicorn.run(web_app, host=host, port=port, log_level="debug" if verbose else "info")  # type: ignore[arg-type]


def main() -> None:
    """Console entry point."""
    app()
