"""The quality check every publication ends with (shmi.md §17.2).

Findings compare a publication with fixed thresholds and with the previous stored publication. Thresholds are
strict: a finding needs a value beyond them. Pure functions over aggregates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCKING = "BLOCKING"
    WARNING = "WARNING"


class Check(StrEnum):
    NATIONAL_OE = "NATIONAL_OE"
    NOT_CONVERGED = "NOT_CONVERGED"
    LOW_C_STATISTIC = "LOW_C_STATISTIC"
    TRUST_APPEARED = "TRUST_APPEARED"
    TRUST_DISAPPEARED = "TRUST_DISAPPEARED"
    SHMI_CHANGE = "SHMI_CHANGE"
    SPELLS_CHANGE = "SPELLS_CHANGE"
    DEATHS_CHANGE = "DEATHS_CHANGE"
    EXPECTED_CHANGE = "EXPECTED_CHANGE"
    DATA_QUALITY = "DATA_QUALITY"
    NO_TRUST_IN_SCOPE = "NO_TRUST_IN_SCOPE"
    HSMR_NOT_COMPUTED = "HSMR_NOT_COMPUTED"


NATIONAL_OE_TOLERANCE = 1e-5
NOT_CONVERGED_BLOCKING_DEATHS = 100
LOW_C_STATISTIC_DEATHS = 100
LOW_C_STATISTIC = 0.6
SHMI_CHANGE_THRESHOLD = 0.10
SPELLS_CHANGE_THRESHOLD = 0.20
DEATHS_CHANGE_THRESHOLD = 0.25
EXPECTED_CHANGE_THRESHOLD = 0.20
DATA_QUALITY_SHARE = 0.01


@dataclass(frozen=True)
class Finding:
    """One row of the quality-check report."""

    check: Check
    severity: Severity
    provider_code: str | None = None
    diagnosis_group: int | None = None
    value: float | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class GroupModelSummary:
    """What the check needs of a group's model: modelling-window deaths, convergence, c statistic."""

    diagnosis_group: int
    deaths: int
    converged: bool | None
    c_statistic: float | None


@dataclass(frozen=True)
class TrustFigures:
    """A trust's row of the trust-level file: S, O, unrounded E, and the unrounded SHMI (O/E2) if any."""

    spells: int
    observed: int
    expected: float
    shmi: float | None


def check_national_observed_equals_expected(national: Mapping[int, tuple[int, float]]) -> list[Finding]:
    """NATIONAL_OE: per group, |O - E| over the reporting period beyond 1e-5 * max(1, O)."""
    findings = []
    for group, (observed, expected) in sorted(national.items()):
        gap = abs(observed - expected)
        bound = NATIONAL_OE_TOLERANCE * max(1, observed)
        if gap > bound:
            findings.append(Finding(Check.NATIONAL_OE, Severity.BLOCKING, None, group, gap, bound))
    return findings


def check_models(models: Iterable[GroupModelSummary]) -> list[Finding]:
    """NOT_CONVERGED (blocking with >= 100 deaths) and LOW_C_STATISTIC (groups with >= 100 deaths)."""
    findings = []
    for model in sorted(models, key=lambda m: m.diagnosis_group):
        if model.converged is False:
            severity = (Severity.BLOCKING if model.deaths >= NOT_CONVERGED_BLOCKING_DEATHS else Severity.WARNING)
            findings.append(Finding(Check.NOT_CONVERGED, severity, None, model.diagnosis_group, model.deaths))
        if (model.deaths >= LOW_C_STATISTIC_DEATHS and model.c_statistic is not None
                and model.c_statistic < LOW_C_STATISTIC):
            findings.append(Finding(Check.LOW_C_STATISTIC, Severity.WARNING, None, model.diagnosis_group,
                                    model.c_statistic, LOW_C_STATISTIC))
    return findings


def _relative_change(current: float, previous: float) -> float | None:
    return (current - previous) / previous if previous != 0 else None


def check_against_previous(current: Mapping[str, TrustFigures],
                           previous: Mapping[str, TrustFigures] | None) -> list[Finding]:
    """Trusts appearing or disappearing, and per-trust changes in S, O, E and SHMI (skipped without a previous)."""
    if previous is None:
        return []
    findings: list[Finding] = []
    for code in sorted(set(current) | set(previous)):
        if code not in previous:
            findings.append(Finding(Check.TRUST_APPEARED, Severity.WARNING, code))
            continue
        if code not in current:
            findings.append(Finding(Check.TRUST_DISAPPEARED, Severity.WARNING, code))
            continue
        now, before = current[code], previous[code]
        if now.shmi is not None and before.shmi is not None and abs(now.shmi - before.shmi) > SHMI_CHANGE_THRESHOLD:
            findings.append(Finding(Check.SHMI_CHANGE, Severity.WARNING, code, None, now.shmi - before.shmi,
                                    SHMI_CHANGE_THRESHOLD))
        for check, now_value, before_value, threshold in (
            (Check.SPELLS_CHANGE, now.spells, before.spells, SPELLS_CHANGE_THRESHOLD),
            (Check.DEATHS_CHANGE, now.observed, before.observed, DEATHS_CHANGE_THRESHOLD),
            (Check.EXPECTED_CHANGE, now.expected, before.expected, EXPECTED_CHANGE_THRESHOLD),
        ):
            if abs(now_value - before_value) > threshold * before_value:
                findings.append(Finding(check, Severity.WARNING, code, None,
                                        _relative_change(now_value, before_value), threshold))
    return findings


def check_data_quality(rows: Sequence[tuple[str, str, float]]) -> list[Finding]:
    """DATA_QUALITY: a CONTRACT_<id> count above 1% of EPISODES_READ on the same row (trust or ALL)."""
    episodes = {code: value for code, measure, value in rows if measure == "EPISODES_READ"}
    findings = []
    for code, measure, value in sorted(rows):
        if not measure.startswith("CONTRACT_"):
            continue
        read = episodes.get(code, 0)
        if read > 0 and value > DATA_QUALITY_SHARE * read:
            findings.append(Finding(Check.DATA_QUALITY, Severity.WARNING, code, None, value / read,
                                    DATA_QUALITY_SHARE))
    return findings


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop ``--publish``."""
    return [f for f in findings if f.severity is Severity.BLOCKING]
