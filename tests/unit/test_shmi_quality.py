"""The quality check before publishing (shmi.md §17.2): every check, its threshold and its severity."""

from __future__ import annotations

import pytest

from hospmort.shmi.quality import (
    Check,
    GroupModelSummary,
    Severity,
    TrustFigures,
    blocking,
    check_against_previous,
    check_data_quality,
    check_models,
    check_national_observed_equals_expected,
)


def test_national_oe_is_blocking_beyond_the_tolerance_only() -> None:
    findings = check_national_observed_equals_expected({1: (1000, 1000.009), 2: (1000, 1000.011), 3: (0, 2e-5)})
    assert [(f.check, f.diagnosis_group, f.severity) for f in findings] == [
        (Check.NATIONAL_OE, 2, Severity.BLOCKING), (Check.NATIONAL_OE, 3, Severity.BLOCKING)]
    assert findings[0].value == pytest.approx(0.011) and findings[0].threshold == pytest.approx(0.01)


def test_models_not_converged_and_low_c() -> None:
    findings = check_models([
        GroupModelSummary(1, 100, False, 0.7),
        GroupModelSummary(2, 99, False, 0.5),
        GroupModelSummary(3, 100, True, 0.59),
        GroupModelSummary(4, 100, True, 0.6),
        GroupModelSummary(5, 0, None, None),
    ])
    assert [(f.check, f.diagnosis_group, f.severity) for f in findings] == [
        (Check.NOT_CONVERGED, 1, Severity.BLOCKING),
        (Check.NOT_CONVERGED, 2, Severity.WARNING),
        (Check.LOW_C_STATISTIC, 3, Severity.WARNING),
    ]
    assert [f.check for f in blocking(findings)] == [Check.NOT_CONVERGED]


def test_changes_against_the_previous_publication() -> None:
    previous = {"AAA": TrustFigures(1000, 100, 100.0, 1.0), "BBB": TrustFigures(1000, 100, 100.0, 1.0),
                "OLD": TrustFigures(10, 1, 1.0, None)}
    current = {"AAA": TrustFigures(1200, 125, 120.0, 1.0999), "BBB": TrustFigures(1201, 126, 120.5, 1.1001),
               "NEW": TrustFigures(10, 1, 1.0, None)}
    found = {(f.check, f.provider_code): f for f in check_against_previous(current, previous)}
    assert set(found) == {(Check.TRUST_APPEARED, "NEW"), (Check.TRUST_DISAPPEARED, "OLD"),
                          (Check.SPELLS_CHANGE, "BBB"), (Check.DEATHS_CHANGE, "BBB"),
                          (Check.EXPECTED_CHANGE, "BBB"), (Check.SHMI_CHANGE, "BBB")}
    assert found[(Check.SPELLS_CHANGE, "BBB")].value == pytest.approx(0.201)
    assert all(f.severity is Severity.WARNING for f in found.values())
    assert check_against_previous(current, None) == []


def test_data_quality_share_of_episodes_read() -> None:
    rows = [("ALL", "EPISODES_READ", 1000), ("ALL", "CONTRACT_KEY_MISSING", 11), ("AAA", "EPISODES_READ", 500),
            ("AAA", "CONTRACT_DATE_INVALID", 5), ("AAA", "EXCL_1_NOT_FINISHED", 400)]
    findings = check_data_quality(rows)
    assert [(f.provider_code, f.value) for f in findings] == [("ALL", 0.011)]
