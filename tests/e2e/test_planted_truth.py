"""The SHMI finds what the generator planted (issue 5), on regional-scale synthetic data (slow)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from hospmort import refdata
from hospmort.store import open_store, read_table

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSPMORT = str(Path(sys.executable).with_name("hospmort"))


@pytest.fixture(scope="module")
def regional_publication(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Regional data for the 36 months one publication needs, and its publication for 2025-12."""
    work = tmp_path_factory.mktemp("regional")
    data = work / "data"
    for args in (["synth", "--out", str(data), "--scale", "regional", "--start", "2023-01", "--end", "2025-12"],
                 ["run", "--data", str(data), "--period-end", "2025-12", "--db", str(work / "db.duckdb"),
                  "--out", str(work / "out"), "--memory-limit", "8GB", "--indicators", "shmi"]):
        result = subprocess.run([HOSPMORT, *args], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr[-3000:]
    return data, work / "db.duckdb"


def _effects(data: Path) -> list[dict[str, str]]:
    with (data / "truth" / "trust_effects.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_planted_higher_trusts_are_banded_higher_and_null_trusts_as_expected(
        regional_publication: tuple[Path, Path]) -> None:
    data, db = regional_publication
    with open_store(db, read_only=True) as store:
        banding = {r["PROVIDER_CODE"]: r["SHMI_BANDING"] for r in read_table(store, "shmi_trust")}
    effects = _effects(data)
    higher = [e["org_code"] for e in effects if e["effect_kind"] == "higher"]
    lower = [e["org_code"] for e in effects if e["effect_kind"] == "lower"]
    null = [e["org_code"] for e in effects if e["effect_kind"] == "null"]
    assert higher and lower and len(null) >= 10
    assert all(banding[code] == 1 for code in higher)
    assert all(banding[code] == 3 for code in lower if float(next(
        e["odds_ratio"] for e in effects if e["org_code"] == code)) <= 0.8)
    assert sum(banding[code] == 2 for code in null) >= 0.8 * len(null)


def test_the_single_group_problem_is_banded_higher_in_its_group(regional_publication: tuple[Path, Path]) -> None:
    data, db = regional_publication
    planted = [e for e in _effects(data) if e["effect_kind"] == "single_group"]
    assert planted
    with open_store(db, read_only=True) as store:
        groups = read_table(store, "shmi_diagnosis_group")
    for effect in planted:
        group = int(effect["diagnosis_group"])
        assert group in refdata.BANDED_DIAGNOSIS_GROUPS
        [row] = [r for r in groups if r["PROVIDER_CODE"] == effect["org_code"] and r["DIAGNOSIS_GROUP"] == group]
        assert row["SHMI_BANDING"] == 1


def test_national_observed_equals_expected_in_every_group(regional_publication: tuple[Path, Path]) -> None:
    _, db = regional_publication
    with open_store(db, read_only=True) as store:
        national = read_table(store, "shmi_national_group")
        checks = [r["CHECK"] for r in read_table(store, "quality_check")]
    assert national and "NATIONAL_OE" not in checks
    for row in national:
        assert abs(row["OBSERVED"] - row["EXPECTED"]) <= 1e-5 * max(1, row["OBSERVED"])


def test_contrasts_with_many_deaths_recover_the_generating_coefficients(
        regional_publication: tuple[Path, Path]) -> None:
    """Fitted level-vs-reference contrasts with >= 500 deaths on both sides lie within 3 SE of the truth.

    The generator draws deaths from the published coefficients (refdata), so the true contrast of level a
    against the fit's reference r is beta_pub(a) - beta_pub(r). Trust effects are planted on a few trusts only.
    """
    _, db = regional_publication
    published = refdata.published_model_coefficients()
    with open_store(db, read_only=True) as store:
        predictors = read_table(store, "shmi_model_predict")
        fits = {r["DIAGNOSIS_GROUP"]: r for r in read_table(store, "shmi_model_fit")}
    z_values: list[float] = []
    for group, fit in fits.items():
        if group not in published or fit["FIT_METHOD"] != "mle" or fit["DEATHS"] < 1000:
            continue
        rows = [r for r in predictors if r["DIAGNOSIS_GROUP"] == group]
        for row in rows:
            variable, _, _level = row["PREDICTOR"].rpartition("_")
            if row["PREDICTOR"] == "Intercept" or variable in ("YEAR_INDEX", "ADMISSION_MONTH") or not row["WALD_DF"]:
                continue
            reference = [r for r in rows if r["PREDICTOR"].rpartition("_")[0] == variable and r["WALD_DF"] == 0
                         and r["STANDARD_ERROR"] is None]
            if len(reference) != 1 or row["STANDARD_ERROR"] is None or row["STANDARD_ERROR"] > 0.065:
                continue
            truth_level = published[group].get(row["PREDICTOR"])
            truth_reference = published[group].get(reference[0]["PREDICTOR"])
            if truth_level is None or truth_reference is None:
                continue
            true_contrast = truth_level.estimate - truth_reference.estimate
            z_values.append((row["PARAMETER_ESTIMATE"] - true_contrast) / row["STANDARD_ERROR"])
    # An SE of at most 0.065 means about 500 deaths or more on each side of the contrast (sqrt(2/500)).
    assert len(z_values) >= 20
    within = sum(abs(z) <= 3 for z in z_values) / len(z_values)
    # Among many contrasts a few beyond 3 SE are expected by chance (0.27% each): allow 1%, none beyond 4.5.
    assert within >= 0.99 and max(abs(z) for z in z_values) < 4.5, (len(z_values), sorted(z_values)[:3],
                                                                    sorted(z_values)[-3:])
