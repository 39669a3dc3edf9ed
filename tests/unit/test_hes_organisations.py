"""The organisation table (data contract §3): reading, validation, filling names and regions from ODS."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hes_builders import write_csv

from hospmort.errors import InputDataError
from hospmort.hes.organisations import (
    ORG_CODE_DUPLICATE,
    ORG_TYPE_INVALID,
    TRUST_TYPE_INVALID,
    load_organisations,
    read_organisations,
)
from hospmort.schema import ContractRule, OrgType, TrustType

HEADER = ["org_code", "org_name", "org_type", "parent_code", "region_code", "region_name", "trust_type",
          "site_type"]


def test_empty_names_and_regions_of_a_trust_are_filled_from_the_ods_list(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "orgs.csv", [
        {"org_code": "r0a", "org_type": "Trust", "trust_type": " ACUTE "},
        {"org_code": "R0B", "org_name": "Our name", "org_type": "trust", "trust_type": "acute",
         "region_code": "Y56"},
        {"org_code": "R0A01", "org_type": "site", "parent_code": "r0a", "site_type": "acute"},
        {"org_code": "ZZZ", "org_type": "trust", "trust_type": "specialist"},
    ], HEADER, bom=True)
    con = duckdb.connect()
    organisations = {o.org_code: o for o in load_organisations(con, source)}
    manchester = organisations["R0A"]
    assert (manchester.org_name, manchester.region_code, manchester.region_name) == (
        "Manchester University Nhs Foundation Trust", "Y62", "North West")
    ours = organisations["R0B"]
    assert (ours.org_name, ours.region_code, ours.region_name) == ("Our name", "Y56", "London")
    assert organisations["R0A01"].parent_code == "R0A"
    assert organisations["ZZZ"].org_name == ""
    assert [o.org_code for o in organisations.values() if o.is_acute_trust] == ["R0A", "R0B"]
    assert con.execute("SELECT org_code, trust_type, org_name FROM organisations WHERE org_code = 'ZZZ'"
                       ).fetchall() == [("ZZZ", "specialist", None)]


def test_without_a_table_no_trust_is_registered(tmp_path: Path) -> None:
    con = duckdb.connect()
    assert load_organisations(con, None) == ()
    assert con.execute("SELECT count(*) FROM organisations").fetchall() == [(0,)]


@pytest.mark.parametrize(("rows", "rule", "column"), [
    ([{"org_code": "RAA", "org_type": "trust"}, {"org_code": "raa", "org_type": "trust"}], ORG_CODE_DUPLICATE,
     "org_code"),
    ([{"org_code": "RAA", "org_type": "hospital"}], ORG_TYPE_INVALID, "org_type"),
    ([{"org_code": "RAA", "org_type": "trust", "trust_type": "acute-ish"}], TRUST_TYPE_INVALID, "trust_type"),
])
def test_a_bad_organisation_row_stops_naming_column_rule_and_count(tmp_path: Path, rows: list[dict[str, str]],
                                                                   rule: str, column: str) -> None:
    source = write_csv(tmp_path / "orgs.csv", rows, HEADER)
    with pytest.raises(InputDataError) as raised:
        read_organisations(source)
    assert (raised.value.rule, raised.value.column, raised.value.file) == (rule, column, str(source))
    assert raised.value.count == (2 if rule == ORG_CODE_DUPLICATE else 1)


def test_an_organisation_table_without_trust_type_stops(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "orgs.csv", [{"org_code": "RAA", "org_type": "trust"}], ["org_code", "org_type"])
    with pytest.raises(InputDataError) as raised:
        read_organisations(source)
    assert (raised.value.rule, raised.value.column) == (ContractRule.REQUIRED_COLUMN_MISSING, "trust_type")


def test_types_are_read_as_enums(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "orgs.csv", [{"org_code": "RAA", "org_type": "trust", "trust_type": "community"}],
                       HEADER)
    (organisation,) = read_organisations(source)
    assert (organisation.org_type, organisation.trust_type, organisation.site_type) == (
        OrgType.TRUST, TrustType.COMMUNITY, None)
