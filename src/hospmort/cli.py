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
from typing import Annotated, Any, TypeVar

import typer

from hospmort.config import Engine, EngineOptions, load_config_file
from hospmort.errors import ConfigError, HospmortError, InputDataError

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


def main() -> None:
    """Console entry point."""
    app()
