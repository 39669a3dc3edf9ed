"""One HSMR publication on a random extract (hsmr.md §2, §5-§10, the properties of §11): national HSMR = 100,
the score equations per financial year, records per CIPS and trust, banding against the funnel curves, K = 1
without transfers over a financial year, request-time baskets, breakdowns, the comparison identity, coverage,
basket files, the model count, the extract, and no record-level row in the store tables."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hsmr_builders import Publication, compute_publication, prepare, random_episodes

from hospmort.config import Month, Windows
from hospmort.errors import InputDataError
from hospmort.hsmr.casemix import COVARIATE_NAMES
from hospmort.hsmr.compute import HsmrComputation, ModelKind
from hospmort.hsmr.extract import write_hsmr_extract
from hospmort.hsmr.indicator import RecordSums, compute_basket
from hospmort.hsmr.run import run_hsmr_publication
from hospmort.limits import ALPHA95, ALPHA998, exact_test_limits
from hospmort.riskmodel import FitMethod
from hospmort.store.tables import table_spec

M = Month(2024, 12)


@pytest.fixture(scope="module")
def with_transfers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Publication, HsmrComputation]:
    publication = prepare(tmp_path_factory.mktemp("transfers"), random_episodes(transfer_rate=0.12, seed=7), M)
    return publication, compute_publication(publication, M)


def _rows(computation: HsmrComputation, table: str, **where: Any) -> list[dict[str, Any]]:
    return [r for r in computation.tables[table] if all(r[k] == v for k, v in where.items())]


def _england(computation: HsmrComputation) -> dict[str, Any]:
    return _rows(computation, "hsmr_trust", PROVIDER_CODE="ENG")[0]


def test_englands_hsmr_is_100_and_the_trusts_rebased_expected_deaths_add_up_to_its_deaths(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    england = _england(computation)
    assert england["HSMR_VALUE"] == 100.0
    assert england["EXPECTED_ROUNDED"] == england["OBSERVED"]
    trusts = [r for r in computation.tables["hsmr_trust"] if r["PROVIDER_CODE"] != "ENG"]
    assert math.fsum(r["EXPECTED"] for r in trusts) == pytest.approx(england["OBSERVED"], rel=1e-12)
    assert sum(r["OBSERVED"] for r in trusts) == england["OBSERVED"]
    cell_rows = [r for r in computation.tables["hsmr_group"] if r["PROVIDER_CODE"] == "ENG" and r["REBASING"] == "CELL"]
    assert cell_rows
    for row in cell_rows:
        if row["HSMR_VALUE"] is not None:
            assert row["HSMR_VALUE"] == 100.0, row["BREAKDOWN_VALUE"]


def test_multi_trust_cips_make_the_records_outnumber_the_cips_and_k_differ_from_1(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    publication, computation = with_transfers
    england = _england(computation)
    assert england["CIPS"] > england["CIPS_UNIQUE"]
    assert england["OBSERVED"] > england["OBSERVED_UNIQUE"]
    assert england["REBASING_FACTOR"] != pytest.approx(1.0, abs=1e-6)
    con = publication.con
    # every in-scope reporting-period CIPS has a record, at most one per trust
    assert con.execute("SELECT count(*) FROM hsmr_cohort c WHERE IN_SCOPE = 1 AND IN_REPORTING_PERIOD = 1 "
                       "AND NOT EXISTS (SELECT 1 FROM hsmr_records r WHERE r.CIPS_KEY = c.CIPS_KEY)").fetchall() == [
        (0,)]
    assert con.execute("SELECT count(*) FROM (SELECT CIPS_KEY, PROCODE3 FROM hsmr_records GROUP BY ALL "
                       "HAVING count(*) > 1)").fetchall() == [(0,)]
    records, cips, multi = con.execute(
        "SELECT (SELECT count(*) FROM hsmr_records), count(*), sum(CASE WHEN ACUTE_TRUSTS > 1 THEN 1 ELSE 0 END) "
        "FROM hsmr_cohort WHERE IN_SCOPE = 1 AND IN_REPORTING_PERIOD = 1").fetchall()[0]
    assert multi > 0 and records == cips + multi  # two trusts at most in this extract


def test_expected_equals_observed_deaths_per_category_and_financial_year(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    """hsmr.md §11.4 (shmi.md §10.6 on the financial-year levels) over the modelling-window CIPS."""
    publication, computation = with_transfers
    fitted = {c for (kind, c), m in computation.models.items()
              if kind is ModelKind.FULL and m.fit_method is not FitMethod.NONE}
    assert fitted
    join = " AND ".join(f"k.{n} = c.{n}" for n in ("HSMR_CATEGORY", *COVARIATE_NAMES))
    rows = publication.con.execute(f"""
        SELECT c.HSMR_CATEGORY, c.FINANCIAL_YEAR, sum(k.RISK), sum(c.DIED_IN_HOSPITAL)
        FROM hsmr_cohort c JOIN hsmr_cell_risk k ON {join}
        WHERE c.IN_SCOPE = 1 GROUP BY ALL""").fetchall()
    checked = 0
    for category, _year, expected, observed in rows:
        if category in fitted:
            assert abs(expected - observed) <= 1e-5 * max(1, observed)
            checked += 1
    assert checked >= 3 * len(fitted)


def test_banding_agrees_with_the_intervals_and_the_funnel_curves(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    rows = [r for name in ("hsmr_trust", "hsmr_group") for r in computation.tables[name]
            if r["HSMR_BANDING"] is not None]
    assert len(rows) > 10
    for row in rows:
        e2 = row["EXPECTED_ROUNDED"]
        for band, lower, upper, alpha in ((row["HSMR_BANDING"], row["LL_998"], row["UL_998"], ALPHA998),
                                          (row["HSMR_BANDING_95"], row["LL_95"], row["UL_95"], ALPHA95)):
            assert (band == 1) == (lower > 100) and (band == 3) == (upper < 100)
            low_curve, high_curve = exact_test_limits(e2, alpha)
            assert (band == 1) == (row["OBSERVED"] > high_curve * e2)
            assert (band == 3) == (row["OBSERVED"] < low_curve * e2)


def _category_sums(computation: HsmrComputation) -> tuple[dict[str, dict[int, RecordSums]], dict[int, RecordSums]]:
    trusts: dict[str, dict[int, RecordSums]] = {}
    national: dict[int, RecordSums] = {}
    for r in computation.tables["hsmr_category_sums"]:
        sums = RecordSums(r["CIPS"], r["OBSERVED"], r["EXPECTED_RAW"])
        if r["PROVIDER_CODE"] == "ENG":
            national[r["CCS_CATEGORY"]] = sums
        else:
            trusts.setdefault(r["PROVIDER_CODE"], {})[r["CCS_CATEGORY"]] = sums
    return trusts, national


def test_a_request_time_basket_equal_to_a_stored_one_reproduces_its_rows(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    trusts, national = _category_sums(computation)
    england, figures = compute_basket(computation.main_basket.categories, trusts, national,
                                      modelled=computation.modelled_categories)
    stored = {r["PROVIDER_CODE"]: r for r in _rows(computation, "hsmr_group", BREAKDOWN="BASKET",
                                                     BREAKDOWN_VALUE="HSMR")}
    assert set(stored) == {*figures, "ENG"}
    for code, f in figures.items():
        row = stored[code]
        assert (row["CIPS"], row["OBSERVED"], row["EXPECTED_RAW"], row["EXPECTED"], row["HSMR_VALUE"],
                row["LL_95"], row["HSMR_BANDING"]) == (f.records, f.observed, f.expected, f.expected_rebased, f.value,
                                                       f.ll_95, f.banding)
    assert stored["ENG"]["HSMR_VALUE"] == england.value == 100.0
    with pytest.raises(ValueError, match="not modelled"):
        compute_basket({999}, trusts, national, modelled=computation.modelled_categories)


def test_the_main_basket_row_of_the_group_file_agrees_with_the_trust_level(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    basket = {r["PROVIDER_CODE"]: r for r in _rows(computation, "hsmr_group", BREAKDOWN="BASKET",
                                                     BREAKDOWN_VALUE="HSMR")}
    for row in computation.tables["hsmr_trust"]:
        other = basket[row["PROVIDER_CODE"]]
        assert (other["CIPS"], other["OBSERVED"], other["EXPECTED_ROUNDED"]) == (
            row["CIPS"], row["OBSERVED"], row["EXPECTED_ROUNDED"])
        assert other["EXPECTED_RAW"] == pytest.approx(row["EXPECTED_RAW"], rel=1e-14)


def test_admission_type_and_weekday_cells_split_the_main_basket_and_use_the_main_factor(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    publication, computation = with_transfers
    factor = _england(computation)["REBASING_FACTOR"]
    for trust in computation.tables["hsmr_trust"]:
        code = trust["PROVIDER_CODE"]
        types = _rows(computation, "hsmr_group", PROVIDER_CODE=code, BREAKDOWN="ADMISSION_TYPE")
        assert sum(r["CIPS"] for r in types) == trust["CIPS"]
        assert sum(r["OBSERVED"] for r in types) == trust["OBSERVED"]
        assert {r["REBASING"] for r in types} == {"OVERALL"}
        assert all(r["REBASING_FACTOR"] == factor for r in types)
    main = ", ".join(str(c) for c in computation.main_basket.categories)
    weekend = dict(publication.con.execute(
        f"SELECT WEEKEND_ADMISSION, count(*) FROM hsmr_records WHERE ADMISSION_METHOD = 2 AND HSMR_CATEGORY IN "
        f"({main}) GROUP BY ALL").fetchall())
    days = {r["BREAKDOWN_VALUE"]: r for r in _rows(computation, "hsmr_group", PROVIDER_CODE="ENG",
                                                     BREAKDOWN="EMERGENCY_DAY")}
    assert (days["WEEKDAY"]["CIPS"], days["WEEKEND"]["CIPS"]) == (weekend[0], weekend[1])
    [non_elective] = _rows(computation, "hsmr_group", PROVIDER_CODE="ENG", BREAKDOWN_VALUE="NON_ELECTIVE")
    assert non_elective["CIPS"] > weekend[0] + weekend[1]  # maternity and other methods (level 3) are non-elective
    assert days["WEEKEND"]["LL_95"] is not None  # England's OVERALL cells carry limits: their value is a finding
    assert days["WEEKEND"]["BREAKDOWN_LABEL"] == "Weekend emergency"


def test_the_comparison_adds_up_for_every_trust(with_transfers: tuple[Publication, HsmrComputation]) -> None:
    publication, computation = with_transfers
    rows = computation.tables["hsmr_comparison"]
    # I3 re-bases the companion model's expected deaths (hsmr.md §9.2), from the records and the cell risks
    main = ", ".join(str(c) for c in computation.main_basket.categories)
    join = " AND ".join(f"k.{n} = r.{n}" for n in ("HSMR_CATEGORY", *COVARIATE_NAMES))
    companion = dict(publication.con.execute(
        f"SELECT r.PROCODE3, sum(k.RISK_NO_PALLIATIVE) FROM hsmr_records r JOIN hsmr_cell_risk k ON {join} "
        f"WHERE r.HSMR_CATEGORY IN ({main}) GROUP BY ALL").fetchall())
    observed = {r["PROVIDER_CODE"]: r["OBSERVED"] for r in computation.tables["hsmr_trust"]}
    national = observed["ENG"] / math.fsum(companion.values())
    for row in rows:
        if row["PROVIDER_CODE"] != "ENG":
            code = row["PROVIDER_CODE"]
            want = 100 * observed[code] / companion[code] / national
            assert row["I3_NO_PALLIATIVE"] == pytest.approx(want, rel=1e-9)
    assert any(abs(r["C_PALLIATIVE"]) > 0.5 for r in rows)
    assert len(rows) == 4
    for row in rows:
        parts = row["C_POST_DISCHARGE"] + row["C_OUTSIDE_BASKET"] + row["C_PALLIATIVE"] + row["C_OTHER_CASEMIX"]
        assert abs(parts - row["GAP"]) <= 1e-9
        assert row["GAP"] == pytest.approx(row["HSMR_UNROUNDED_E"] - row["SHMI_X100_UNROUNDED_E"], abs=1e-12)
    england = next(r for r in rows if r["PROVIDER_CODE"] == "ENG")
    assert (england["I1_IN_HOSPITAL_ONLY"], england["I2_BASKET_ONLY"], england["I3_NO_PALLIATIVE"],
            england["HSMR_UNROUNDED_E"], england["HSMR_VALUE"], england["SHMI_BANDING"]) == (100, 100, 100, 100,
                                                                                           100, None)
    for row in rows:
        if row["PROVIDER_CODE"] != "ENG" and row["HSMR_VALUE"] is not None:
            # H is the HSMR with an unrounded E*
            assert row["HSMR_UNROUNDED_E"] == pytest.approx(row["HSMR_VALUE"], rel=1e-3)


def test_one_full_model_per_modelled_category_and_a_companion_per_main_basket_category(
        with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    fits = computation.tables["hsmr_model_fit"]
    main = computation.main_basket.categories
    assert sorted((r["MODEL"], r["CCS_CATEGORY"]) for r in fits) == sorted(
        [("FULL", c) for c in main] + [("NO_PALLIATIVE", c) for c in main])
    assert len(fits) == 2 * len(main)
    predictors = {r["PREDICTOR"] for r in computation.tables["hsmr_model_predict"] if r["MODEL"] == "NO_PALLIATIVE"}
    assert predictors and not any(p.startswith("PALLIATIVE") for p in predictors)
    assert any(r["PREDICTOR"] == "PALLIATIVE_2" for r in computation.tables["hsmr_model_predict"])
    assert {r["DECILE"] for r in computation.tables["hsmr_calibration"]} >= {"1", "10", "HL"}


RECORD_LEVEL_COLUMNS = {"HESID", "CIPS_KEY", "SPELL_KEY", "PROVSPNOPS", "EPIKEY", "ADMIDATE", "DISDATE", "END_DATE",
                        "DOD", "LSOA11", "PREDICTED_RISK"}


def test_no_hsmr_table_holds_a_record_level_column(with_transfers: tuple[Publication, HsmrComputation]) -> None:
    _, computation = with_transfers
    for name, rows in computation.tables.items():
        columns = set(table_spec(name).column_names)
        assert not columns & RECORD_LEVEL_COLUMNS, name
        assert rows and set(rows[0]) == columns - {"PERIOD_END"}, name


def test_the_extract_has_one_row_per_record_and_its_risks_add_up_to_the_trusts_expected_deaths(
        with_transfers: tuple[Publication, HsmrComputation], tmp_path: Path) -> None:
    publication, computation = with_transfers
    paths = write_hsmr_extract(publication.con, tmp_path, "JAN24_DEC24", computation.main_basket.categories)
    trust_rows = {r["PROVIDER_CODE"]: r for r in computation.tables["hsmr_trust"]}
    assert [p.name for p in paths] == [f"HSMR_extract_{t}_JAN24_DEC24.csv" for t in ("RAA", "RBB", "RCC")]
    for path in paths:
        code = path.name.split("_")[2]
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        main = [r for r in rows if r["IN_MAIN_BASKET"] == "1"]
        assert len(main) == trust_rows[code]["CIPS"]
        assert sum(int(r["DIED_IN_HOSPITAL"]) for r in main) == trust_rows[code]["OBSERVED"]
        assert math.fsum(float(r["PREDICTED_RISK"]) for r in main) == pytest.approx(
            trust_rows[code]["EXPECTED_RAW"], rel=1e-9)
        assert [r["CIPS_KEY"] for r in rows] == sorted(r["CIPS_KEY"] for r in rows)
        assert all(r["PREDICTED_RISK_NO_PALLIATIVE"] for r in main)
        assert all(r["CIPS_KEY"].startswith(("RAA|", "RBB|", "RCC|")) for r in rows)
        assert list(rows[0])[:7] == ["CIPS_KEY", "PROVSPNOPS", "TRUSTS_IN_CIPS", "ADMIDATE", "END_DATE",
                                     "HSMR_CATEGORY", "IN_MAIN_BASKET"]


def test_without_transfers_over_a_financial_year_k_is_1(tmp_path: Path) -> None:
    """hsmr.md §11.8: M = March, so the reporting period is financial year 1."""
    period_end = Month(2025, 3)
    extract = random_episodes(first=Month(2021, 4), last=period_end, transfer_rate=0.0, seed=3)
    computation = compute_publication(prepare(tmp_path, extract, period_end), period_end)
    england = _england(computation)
    assert england["CIPS"] == england["CIPS_UNIQUE"]
    assert england["REBASING_FACTOR"] == pytest.approx(1.0, abs=1e-5)


def _data_quality(computation: HsmrComputation) -> Mapping[str, int]:
    return {r["MEASURE"]: r["VALUE"] for r in computation.tables["hsmr_data_quality"] if r["PROVIDER_CODE"] == "ALL"}


def test_a_missing_look_back_is_reported_and_the_hsmr_still_computed(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    extract = random_episodes(first=Month(2022, 1), people=1800, seed=5)
    computation = compute_publication(prepare(tmp_path, extract, M), M)
    measures = _data_quality(computation)
    assert measures["LOOKBACK_MONTHS_MISSING"] == 12
    assert measures["CIPS_BUILT"] == measures["CIPS_IN_SCOPE"] + sum(
        v for k, v in measures.items() if k.startswith("EXCL_"))
    assert computation.manifest["lookback_months_missing"][0] == "2021-01"
    assert "look-back month 2021-01" in caplog.text
    assert not any(r["MEASURE"] == "LOOKBACK_MONTHS_MISSING" and r["PROVIDER_CODE"] != "ALL"
                   for r in computation.tables["hsmr_data_quality"])


def test_a_modelling_window_month_without_spells_stops_the_hsmr(tmp_path: Path) -> None:
    extract = random_episodes(people=1500, seed=9, skip_months=(Month(2023, 5),))
    publication = prepare(tmp_path, extract, M)
    with pytest.raises(InputDataError, match="no provider spell discharged in 2023-05"):
        compute_publication(publication, M)


def test_a_basket_file_is_used_unchanged_and_its_extra_baskets_computed(tmp_path: Path) -> None:
    basket_file = tmp_path / "basket.csv"
    basket_file.write_text("BASKET_ID,CCS_CATEGORY\nHSMR,122\nHSMR,100\nHSMR,109\nCANCER,19\n", encoding="utf-8")
    extract = random_episodes(people=1800, seed=11)
    computation = compute_publication(prepare(tmp_path, extract, M, basket_file), M)
    assert computation.main_basket.categories == (122, 100, 109)
    assert {(r["BASKET_ID"], r["CCS_CATEGORY"], r["SOURCE"]) for r in computation.tables["hsmr_basket"]} == {
        ("HSMR", "122", "FILE"), ("HSMR", "100", "FILE"), ("HSMR", "109", "FILE"), ("CANCER", "19", "FILE")}
    fits = {(r["MODEL"], r["CCS_CATEGORY"]) for r in computation.tables["hsmr_model_fit"]}
    assert fits == {("FULL", 19), ("FULL", 100), ("FULL", 109), ("FULL", 122), ("NO_PALLIATIVE", 100),
                    ("NO_PALLIATIVE", 109), ("NO_PALLIATIVE", 122)}
    cancer = _rows(computation, "hsmr_group", BREAKDOWN="BASKET", BREAKDOWN_VALUE="CANCER", PROVIDER_CODE="ENG")
    assert cancer and cancer[0]["HSMR_VALUE"] in (100.0, None)
    assert {r["BREAKDOWN_VALUE"] for r in _rows(computation, "hsmr_group", BREAKDOWN="CCS_CATEGORY")} == {
        "19", "100", "109", "122"}


def test_a_rejected_basket_file_stops_the_hsmr(tmp_path: Path) -> None:
    basket_file = tmp_path / "basket.csv"
    basket_file.write_text("BASKET_ID,CCS_CATEGORY\nHSMR,122\nHSMR,999\n", encoding="utf-8")
    publication = prepare(tmp_path, random_episodes(people=1500, seed=13), M, basket_file)
    with pytest.raises(InputDataError, match="row 3"):
        compute_publication(publication, M)


def test_a_failure_after_the_files_are_written_removes_them_and_reports_hsmr_not_computed(
        with_transfers: tuple[Publication, HsmrComputation], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """hsmr.md §2: the run writes no HSMR file when the HSMR fails, whatever the failure."""
    publication, _ = with_transfers
    staging = tmp_path / "staging"
    not_a_folder = tmp_path / "extract"
    not_a_folder.write_text("a file where the extract folder should be", encoding="utf-8")
    outcome = run_hsmr_publication(publication.con, Windows(M), publication.inputs, publication.shmi, staging,
                                   not_a_folder)
    assert not outcome.computed and not outcome.tables
    assert outcome.reason is not None and outcome.reason.startswith("unexpected")
    assert [(f.check.value, f.severity.value, f.value) for f in outcome.findings] == [
        ("HSMR_NOT_COMPUTED", "WARNING", None)]
    assert not [p for p in staging.rglob("*") if p.is_file()]
    assert "HSMR JAN24_DEC24 not computed" in caplog.text
    written = run_hsmr_publication(publication.con, Windows(M), publication.inputs, publication.shmi, staging, None)
    assert written.computed and len(written.files) == 8 and not written.findings
