"""Every bad-input rule of the data contract (§4): what breaks it, its action, its count per trust and ALL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hes_builders import episode, load, measure, rows_of

from hospmort.hes.validate import contract_measure
from hospmort.schema import ContractRule


def test_date_invalid_counts_a_row_once_and_reads_the_dates_as_missing(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="1", EPISTART="1801-01-01", EPIEND="not a date"),  # two bad dates, one row
        episode(EPIKEY="2", ADMIDATE="1800-01-01"),  # HES null: missing, not broken
        episode(EPIKEY="3", DISDATE="31/01/2024"),
    ], deaths=[("P7", "2024-13-01"), ("P8", "1801-01-01"), ("P9", "1800-01-01")])
    assert report.count(ContractRule.DATE_INVALID) == 2 + 2  # episodes 1 and 3; deaths P7 and P8
    assert measure(report.rows, contract_measure(ContractRule.DATE_INVALID), "RAA") == 2  # deaths on ALL only
    assert rows_of(con, "SELECT EPIKEY, EPISTART, EPIEND FROM episodes WHERE EPIKEY = '1'") == [("1", None, None)]
    assert rows_of(con, "SELECT count(*) FROM deaths") == [(0,)]  # all three DODs missing: DOD_MISSING
    assert report.count(ContractRule.DOD_MISSING) == 3


def test_number_invalid_reads_the_value_as_missing(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="1", STARTAGE="70.5"),
        episode(EPIKEY="2", EPIORDER="first", BIRWEIT_1="3kg"),
        episode(EPIKEY="3", STARTAGE="999", BIRWEIT_1="", EPIORDER="+2"),  # whole numbers, not broken
    ])
    assert report.count(ContractRule.NUMBER_INVALID) == 2
    assert rows_of(con, "SELECT EPIKEY, STARTAGE, EPIORDER, BIRWEIT_1 FROM episodes ORDER BY EPIKEY") == [
        ("1", None, 1, None), ("2", 70, None, None), ("3", 999, 2, None)]


def test_key_missing_drops_the_row_and_counts_rows_without_procode_on_all_only(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY=""),
        episode(EPIKEY="2", HESID=" "),
        episode(EPIKEY="3", PROCODE3=""),
        episode(EPIKEY="4"),
    ], deaths=[("", "2024-01-01"), ("P1", "2024-01-02")])
    assert rows_of(con, "SELECT EPIKEY FROM episodes") == [("4",)]
    assert report.count(ContractRule.KEY_MISSING) == 3 + 1
    assert measure(report.rows, contract_measure(ContractRule.KEY_MISSING), "RAA") == 2
    assert measure(report.rows, "EPISODES_READ") == 4
    assert measure(report.rows, "EPISODES_READ", "RAA") == 3
    assert rows_of(con, "SELECT HESID FROM deaths") == [("P1",)]


def test_epikey_duplicate_keeps_the_row_first_by_spell_key_then_episode_order(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="9", HESID="P2", DIAG_4_01="A010"),
        episode(EPIKEY="9", HESID="P1", PROVSPNOPS="S2", DIAG_4_01="A011"),
        episode(EPIKEY="9", HESID="P1", PROVSPNOPS="S1", EPIORDER="2", DIAG_4_01="A012"),
        episode(EPIKEY="9", HESID="P1", PROVSPNOPS="S1", EPIORDER="1", DIAG_4_01="A013", PROCODE3="RBB"),
        episode(EPIKEY="9", HESID="P1", PROVSPNOPS="S1", EPIORDER="1", DIAG_4_01="A014", PROCODE3="RAA"),
    ])
    # HESID P1 < P2; PROCODE3 RAA < RBB; PROVSPNOPS S1 < S2; EPIORDER 1 < 2
    assert rows_of(con, "SELECT HESID, PROCODE3, DIAG_4_01 FROM episodes") == [("P1", "RAA", "A014")]
    assert report.count(ContractRule.EPIKEY_DUPLICATE) == 4
    assert measure(report.rows, contract_measure(ContractRule.EPIKEY_DUPLICATE), "RAA") == 3
    assert measure(report.rows, contract_measure(ContractRule.EPIKEY_DUPLICATE), "RBB") == 1


def test_epikey_duplicate_that_differs_only_in_a_later_field_keeps_the_first_as_text(tmp_path: Path) -> None:
    con, report = load(tmp_path, [episode(EPIKEY="5", TRETSPEF="320"), episode(EPIKEY="5", TRETSPEF="110")])
    assert rows_of(con, "SELECT TRETSPEF FROM episodes") == [("110",)]
    assert report.count(ContractRule.EPIKEY_DUPLICATE) == 1


def test_rules_after_the_drops_count_only_the_rows_kept(tmp_path: Path) -> None:
    _, report = load(tmp_path, [
        episode(EPIKEY="", EPISTART="2024-01-09", EPIEND="2024-01-02", SEX="7"),  # dropped: key missing
        episode(EPIKEY="1", HESID="P1", EPISTART="2024-01-09", EPIEND="2024-01-02"),
        episode(EPIKEY="1", HESID="P2", EPISTART="2024-01-09", EPIEND="2024-01-02"),  # dropped duplicate
    ])
    assert report.count(ContractRule.EPISTART_AFTER_EPIEND) == 1
    assert report.count(ContractRule.CODE_INVALID_SEX) == 0


def test_date_order_rules_are_counted_and_the_rows_kept(tmp_path: Path) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="1", EPISTART="2024-01-05", EPIEND="2024-01-04"),
        episode(EPIKEY="2", ADMIDATE="2024-01-06", DISDATE="2024-01-05"),
        episode(EPIKEY="3", ADMIDATE="2024-01-06", DISDATE=""),  # DISDATE missing: not broken
        episode(EPIKEY="4", ADMIDATE="2024-01-05", DISDATE="2024-01-05"),
    ])
    assert report.count(ContractRule.EPISTART_AFTER_EPIEND) == 1
    assert report.count(ContractRule.ADMIDATE_AFTER_DISDATE) == 1
    assert rows_of(con, "SELECT count(*) FROM episodes") == [(4,)]


@pytest.mark.parametrize(("field", "bad", "good"), [
    ("ADMIMETH", "2E", "2D"), ("ADMISORC", "86X", "88"), ("DISMETH", "0", "7"), ("DISDEST", "86", "89"),
    ("CLASSPAT", "6", "5"), ("SEX", "4", "X"), ("EPISTAT", "2", "9"),
])
def test_code_invalid_counts_values_outside_the_code_list_with_examples(tmp_path: Path, field: str, bad: str,
                                                                        good: str) -> None:
    con, report = load(tmp_path, [
        episode(EPIKEY="1", **{field: bad}),
        episode(EPIKEY="2", **{field: bad.lower()}),
        episode(EPIKEY="3", **{field: good}),
        episode(EPIKEY="4", **{field: ""}),  # empty: not broken
    ])
    rule = ContractRule(f"CODE_INVALID_{field}")
    assert report.count(rule) == 2
    assert report.examples[rule] == (bad,)
    assert rows_of(con, f"SELECT count(*) FROM episodes WHERE {field} = '{bad}'") == [(2,)]  # kept as read


def test_diag_code_malformed_counts_a_row_once_with_normalised_examples(tmp_path: Path) -> None:
    _, report = load(tmp_path, [
        episode(EPIKEY="1", DIAG_4_01="1234", DIAG_4_03="JJ18"),
        episode(EPIKEY="2", DIAG_4_20="-"),
        episode(EPIKEY="3", DIAG_4_01="j18.9", DIAG_4_02="E112D", DIAG_4_04="C61-"),  # well formed once normalised
    ])
    rule = ContractRule.DIAG_CODE_MALFORMED
    assert report.count(rule) == 2
    assert report.examples[rule] == ("-", "1234", "JJ18")


def test_deaths_duplicate_keeps_the_earliest_date_of_death(tmp_path: Path) -> None:
    con, report = load(tmp_path, [episode()], deaths=[
        ("P1", "2024-03-01"), ("P1", "2024-02-01"), ("P1", "2024-02-01"), ("P2", "2024-01-01")])
    assert rows_of(con, "SELECT HESID, DOD FROM deaths ORDER BY HESID") == [
        ("P1", dt.date(2024, 2, 1)), ("P2", dt.date(2024, 1, 1))]
    assert report.count(ContractRule.DEATHS_DUPLICATE_HESID) == 2
    assert measure(report.rows, contract_measure(ContractRule.DEATHS_DUPLICATE_HESID), "RAA") == 0


def test_unfinished_episodes_are_kept_and_counted(tmp_path: Path) -> None:
    con, report = load(tmp_path, [episode(EPISTAT="1"), episode(EPISTAT="9"), episode(EPISTAT="3")])
    assert measure(report.rows, "EPISODES_NOT_FINISHED") == 2
    assert rows_of(con, "SELECT count(*) FROM episodes") == [(3,)]


def test_rules_no_row_breaks_are_not_reported_and_trusts_get_every_reported_measure(tmp_path: Path) -> None:
    _, report = load(tmp_path, [episode(PROCODE3="RAA", SEX="7"), episode(PROCODE3="RBB")])
    measures = {(r.provider_code, r.measure) for r in report.rows}
    assert ("RBB", "CONTRACT_CODE_INVALID_SEX") in measures
    assert measure(report.rows, "CONTRACT_CODE_INVALID_SEX", "RBB") == 0
    assert not any(m.startswith("CONTRACT_DATE") for _, m in measures)
    assert report.trust_codes == ("RAA", "RBB")


def test_examples_and_counts_never_carry_an_identifier(tmp_path: Path) -> None:
    _, report = load(tmp_path, [episode(HESID="SECRETID", EPIKEY="SECRETKEY", SEX="Q", DIAG_4_01="??")])
    shown = repr(report.examples) + repr(report.rows)
    assert "SECRET" not in shown
