"""Typed, frozen run configuration. Every window is derived from the period-end month."""

from __future__ import annotations

import calendar
import datetime as dt
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from hospmort.errors import ConfigError


class Engine(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


@dataclass(frozen=True)
class EngineOptions:
    """How the record-level engine runs: memory limit (e.g. ``12GB``), spill directory, threads, engine."""

    memory_limit: str | None = None
    temp_dir: Path | None = None
    threads: int | None = None
    engine: Engine = Engine.DUCKDB


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM``."""
        try:
            year_text, month_text = text.strip().split("-")
            month = cls(int(year_text), int(month_text))
        except ValueError as error:
            raise ConfigError(f"a month must be written YYYY-MM, got {text!r}") from error
        if not 1 <= month.month <= 12 or len(year_text) != 4:
            raise ConfigError(f"a month must be written YYYY-MM, got {text!r}")
        return month

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def months_until(self, other: Month) -> int:
        """Number of months from ``self`` to ``other`` (0 when equal)."""
        return (other.year * 12 + other.month) - (self.year * 12 + self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class Windows:
    """The windows of one publication (shmi.md §3), all derived from the period-end month."""

    period_end: Month

    @property
    def reporting_start(self) -> dt.date:
        return self.period_end.shift(-11).first_day

    @property
    def reporting_end(self) -> dt.date:
        return self.period_end.last_day

    @property
    def modelling_start(self) -> dt.date:
        return self.period_end.shift(-35).first_day

    @property
    def modelling_end(self) -> dt.date:
        return self.period_end.last_day

    @property
    def deaths_needed_to(self) -> dt.date:
        """Deaths must be complete to the last day of the period plus 30 days."""
        return self.period_end.last_day + dt.timedelta(days=30)

    @property
    def time_period(self) -> str:
        """``TIME_PERIOD`` label, e.g. ``JAN25_DEC25`` for a period ending 2025-12."""
        first = self.period_end.shift(-11)
        return f"{_month_label(first)}_{_month_label(self.period_end)}"

    def year_index(self, discharge: dt.date) -> int | None:
        """``YEAR_INDEX`` 1 (reporting year), 2 or 3, or None outside the modelling window."""
        if not self.modelling_start <= discharge <= self.modelling_end:
            return None
        back = Month.of(discharge).months_until(self.period_end)
        return back // 12 + 1


def _month_label(month: Month) -> str:
    return f"{calendar.month_abbr[month.month].upper()}{month.year % 100:02d}"


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a ``--config`` TOML file: one key per option, named as the option without its dashes."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"{path}: configuration file not found") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
