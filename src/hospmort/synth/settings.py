"""Settings of one run of the synthetic data generator, and the sizes of its three scales.

The defaults follow issue 3: the 60 discharge months ending 2025-12 (a 12-month look-back, a 36-month modelling
window and a year of monthly publications), the ``regional`` scale, and deaths complete to 60 days after the
last discharge month.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hospmort.config import Month
from hospmort.errors import ConfigError

#: Version of the generator's model of activity and outcome; recorded in ``truth/settings.json``.
GENERATOR_VERSION = "1.0"
DEFAULT_END = Month(2025, 12)
DEFAULT_MONTHS = 60
DEFAULT_START = DEFAULT_END.shift(-(DEFAULT_MONTHS - 1))
DEFAULT_SEED = 20251231
DEFAULT_DEFECT_RATE = 0.001
MAX_DEFECT_RATE = 0.2
#: Months generated before ``start`` so that readmissions and transfers into the first months exist.
WARM_UP_MONTHS = 3
#: The deaths file is complete to this many days after the last day of ``end`` ...
DEATHS_COMPLETE_DAYS = 60
#: ... and holds a thinning tail of late registrations for this many days more (as a real extract would).
DEATHS_TAIL_DAYS = 30
#: Months are numbered from January 1990 in keys; the generator accepts 1990-01 to 2099-12.
FIRST_MONTH = Month(1990, 1)
LAST_MONTH = Month(2099, 12)


class Scale(StrEnum):
    """How much data to generate."""

    TINY = "tiny"
    REGIONAL = "regional"
    NATIONAL = "national"


@dataclass(frozen=True)
class ScaleProfile:
    """The organisations and the volume of one scale.

    ``in_scope_spells_per_year`` is the target number of SHMI in-scope spells a year over all acute trusts;
    day cases, regular attenders, stillbirths and the activity of non-acute trusts come on top.
    """

    acute_trusts: int
    regions: tuple[str, ...]
    in_scope_spells_per_year: int
    specialist_trusts: int
    mental_health_trusts: int
    community_trusts: int
    higher_trusts: int
    lower_trusts: int


SCALES: dict[Scale, ScaleProfile] = {
    Scale.TINY: ScaleProfile(
        acute_trusts=8, regions=("Y60", "Y61"), in_scope_spells_per_year=1_200, specialist_trusts=1,
        mental_health_trusts=0, community_trusts=1, higher_trusts=1, lower_trusts=1,
    ),
    Scale.REGIONAL: ScaleProfile(
        acute_trusts=25, regions=("Y60", "Y61"), in_scope_spells_per_year=1_000_000, specialist_trusts=2,
        mental_health_trusts=2, community_trusts=2, higher_trusts=2, lower_trusts=2,
    ),
    Scale.NATIONAL: ScaleProfile(
        acute_trusts=120, regions=("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"),
        in_scope_spells_per_year=9_500_000, specialist_trusts=15, mental_health_trusts=20, community_trusts=10,
        higher_trusts=6, lower_trusts=6,
    ),
}


@dataclass(frozen=True)
class SynthSettings:
    """What ``hospmort synth`` was asked for: output folder, scale, discharge months, seed and defect rate."""

    out: Path
    scale: Scale = Scale.REGIONAL
    start: Month = DEFAULT_START
    end: Month = DEFAULT_END
    seed: int = DEFAULT_SEED
    defect_rate: float = DEFAULT_DEFECT_RATE

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ConfigError(f"--start {self.start} is after --end {self.end}")
        if self.start < FIRST_MONTH.shift(WARM_UP_MONTHS) or self.end > LAST_MONTH:
            raise ConfigError(
                f"--start and --end must lie between {FIRST_MONTH.shift(WARM_UP_MONTHS)} and {LAST_MONTH}, "
                f"got {self.start} and {self.end}"
            )
        if not 0 <= self.seed < 2**63:
            raise ConfigError(f"--seed must be a whole number from 0 to 2**63 - 1, got {self.seed}")
        if not 0.0 <= self.defect_rate <= MAX_DEFECT_RATE:
            raise ConfigError(f"--defect-rate must lie between 0 and {MAX_DEFECT_RATE}, got {self.defect_rate}")

    @property
    def profile(self) -> ScaleProfile:
        return SCALES[self.scale]

    @property
    def months(self) -> int:
        """Number of discharge months written."""
        return self.start.months_until(self.end) + 1

    @property
    def first_generated_month(self) -> Month:
        """The first month in which index admissions are generated (``start`` less the warm-up)."""
        return self.start.shift(-WARM_UP_MONTHS)

    @property
    def deaths_complete_to(self) -> dt.date:
        """The date to which the deaths file is complete: the last day of ``end`` plus 60 days."""
        return self.end.last_day + dt.timedelta(days=DEATHS_COMPLETE_DAYS)

    @property
    def last_death_date(self) -> dt.date:
        """The latest date of death written (the tail after ``deaths_complete_to`` is incomplete)."""
        return self.deaths_complete_to + dt.timedelta(days=DEATHS_TAIL_DAYS)

    @property
    def rising_change_month(self) -> Month:
        """The month from which the planted ``rising`` trust's odds ratio applies (70% into the period)."""
        return self.start.shift(round(0.7 * (self.months - 1)))


def month_key(month: Month) -> int:
    """Months since January 1990: the key of a month in identifiers and random streams."""
    return FIRST_MONTH.months_until(month)
