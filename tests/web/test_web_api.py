"""API tests of the dashboard on a store built from rows: the twelve trusts of shmi.md §18 and a small trust."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from store_builder import GROUP_SHARES, SPELLS_PER_TRUST, WORKED_EXAMPLE

from hospmort import publish
from hospmort.config import Month
from hospmort.rounding import round_half_up
from hospmort.store import open_store, read_table
from hospmort.web import create_app

WORKED_CODES = [code for code, _, _ in WORKED_EXAMPLE]
#: shmi.md §18: OD 95% LL, OD 95% UL, OD 99.8% LL, OD 99.8% UL and band per trust.
WORKED_LIMITS = {
    "T01": (0.871152, 1.147906, 0.804539, 1.242948, 2), "T02": (0.890964, 1.122379, 0.833577, 1.199649, 1),
    "T03": (0.884729, 1.130289, 0.824398, 1.213006, 2), "T04": (0.895231, 1.117031, 0.839879, 1.190647, 3),
    "T05": (0.851506, 1.174390, 0.776119, 1.288463, 1), "T06": (0.879837, 1.136574, 0.817222, 1.223658, 2),
    "T07": (0.888080, 1.126024, 0.829327, 1.205797, 2), "T08": (0.885459, 1.129358, 0.825470, 1.211431, 2),
    "T09": (0.883346, 1.132060, 0.822366, 1.216003, 2), "T10": (0.893303, 1.119441, 0.837030, 1.194701, 2),
    "T11": (0.875075, 1.142759, 0.810259, 1.234173, 2), "T12": (0.879837, 1.136574, 0.817222, 1.223658, 2),
}
#: A limit shown to 4 decimals lies within half a unit of the 4th decimal (plus the 6-decimal rounding of §18).
SHOWN_TOLERANCE = 0.5e-4 + 0.5e-6


def rows_of(table: dict) -> dict[str, dict]:
    return {row["provider_code"]: row for row in table["rows"]}


def stored(store: Path, table: str, period: Month, **where: object) -> list[dict]:
    with open_store(store, read_only=True) as handle:
        return read_table(handle, table, period, where=where or None)


# --- publications ------------------------------------------------------------------------------------------------


def test_publications_offer_published_ones_by_default_and_drafts_on_request(client: TestClient) -> None:
    default = client.get("/api/publications").json()["publications"]
    assert [p["period_end"] for p in default] == ["2025-11", "2025-12"]
    with_drafts = client.get("/api/publications", params={"drafts": True}).json()["publications"]
    assert [(p["period_end"], p["status"]) for p in with_drafts][-1] == ("2026-01", "draft")


def test_overview_shows_the_latest_published_publication_by_default(client: TestClient) -> None:
    data = client.get("/api/overview").json()
    assert data["period_end"] == "2025-12"
    assert data["time_period"] == "JAN25_DEC25"


def test_a_draft_is_shown_only_when_asked_for_by_its_period(client: TestClient) -> None:
    assert client.get("/api/overview", params={"period": "2026-01"}).json()["status"] == "draft"


# --- national overview -----------------------------------------------------------------------------------------


def test_overview_table_discloses_every_trust_for_an_anonymous_viewer(client: TestClient) -> None:
    rows = rows_of(client.get("/api/overview").json()["shmi"]["table"])
    t05 = rows["T05"]
    # shmi.md §18 published values for T05; counts rounded to 5, E2 251.90 -> 250 (§15)
    assert (t05["observed"], t05["expected"], t05["spells"]) == (300, 250, SPELLS_PER_TRUST)
    assert (t05["shmi"], t05["banding"], t05["od_ll_95"], t05["od_ul_95"]) == (1.183, 1, 0.8515, 1.1744)
    small = rows["T13"]  # S = 20, O = 3, E2 = 2.50: ineligible, counts 1-7 and E2 < 7.5 suppressed
    assert (small["observed"], small["expected"], small["shmi"], small["banding"]) == ("*", "*", "*", "*")
    assert small["spells"] == 20


def test_overview_funnel_plots_only_eligible_trusts_coloured_by_their_published_banding(client: TestClient) -> None:
    funnel = client.get("/api/overview").json()["shmi"]["funnel"]
    bands = {p["provider_code"]: p["banding"] for p in funnel["points"]}
    assert bands == {code: WORKED_LIMITS[code][4] for code in WORKED_CODES}
    assert funnel["banding_counts"] == {"1": 2, "2": 9, "3": 1}
    assert funnel["parameters"]["tau2"] == pytest.approx(0.002756868851, abs=1e-12)


def test_overview_funnel_curves_are_the_published_od_limits(client: TestClient) -> None:
    curves = client.get("/api/overview").json()["shmi"]["funnel"]["curves"]
    at = curves["x"].index(251.9)  # the curves pass through each unit's own E2 (statistics.md §2.3)
    assert curves["lower_95"][at] == pytest.approx(0.851506, abs=1e-6)
    assert curves["upper_998"][at] == pytest.approx(1.288463, abs=1e-6)


def test_overview_region_filter_keeps_the_national_limits(client: TestClient) -> None:
    data = client.get("/api/overview", params={"region": "Y56"}).json()
    assert {p["provider_code"] for p in data["shmi"]["funnel"]["points"]} == {f"T0{i}" for i in range(1, 7)}
    assert data["shmi"]["funnel"]["parameters"]["tau2"] == pytest.approx(0.002756868851, abs=1e-12)
    assert {r["provider_code"] for r in data["shmi"]["table"]["rows"]} == {f"T0{i}" for i in range(1, 7)}


def test_overview_highlights_the_selected_trust(client: TestClient) -> None:
    assert client.get("/api/overview", params={"trust": "T08"}).json()["shmi"]["funnel"]["highlight"] == "T08"


def test_hsmr_half_says_not_computed_when_the_publication_has_no_hsmr_rows(client: TestClient) -> None:
    hsmr = client.get("/api/overview").json()["hsmr"]
    assert hsmr["available"] is False
    assert hsmr["message"] == "not computed for this publication"
    assert client.get("/api/trusts/T05").json()["hsmr"]["available"] is False


# --- trust -----------------------------------------------------------------------------------------------------


def test_trust_positions_against_england_and_its_region(client: TestClient) -> None:
    data = client.get("/api/trusts/T05").json()
    england, region = data["positions"]
    assert england["units_eligible"] == 12 and england["units_kept"] == 10
    assert england["tau2"] == pytest.approx(0.002756868851, abs=1e-12)
    assert england["trust"]["shmi"] == 1.183
    assert region["comparison"] == "Region: London" and region["units_eligible"] == 6


def test_trust_trend_has_a_row_per_offered_publication(client: TestClient) -> None:
    rows = client.get("/api/trusts/T05/trend").json()["rows"]
    assert [r["period_end"] for r in rows] == ["2025-11", "2025-12"]
    # November's observed deaths were 95% of December's: 283 / 251.90
    assert rows[0]["shmi"] == round_half_up(283 / 251.9, 4)
    assert len(client.get("/api/trusts/T05/trend", params={"drafts": True}).json()["rows"]) == 3


def test_trust_contextual_indicators_sit_beside_england(client: TestClient) -> None:
    row = client.get("/api/trusts/T05").json()["contextual"]["rows"][0]
    total_o = sum(o for _, o, _ in WORKED_EXAMPLE) + 3
    assert row["england_value"] == round_half_up(100 * (total_o // 3) / total_o, 1)  # national: unsuppressed
    assert row["value"] == "*"  # 99 / 298 -> 100 / 300: rounded denominator below 400 (§15)


def test_trust_sites_carry_their_site_type(client: TestClient) -> None:
    sites = client.get("/api/trusts/T05").json()["sites"]["rows"]
    assert [(s["site_code"], s["site_type"]) for s in sites] == [("T05AA", "acute")]


def test_unknown_trust_period_or_group_is_refused(client: TestClient) -> None:
    assert client.get("/api/trusts/XXX").status_code == 404
    assert client.get("/api/overview", params={"period": "2019-01"}).status_code == 404
    assert client.get("/api/basket", params={"groups": "999"}).status_code == 400


# --- diagnosis drill-down and baskets -----------------------------------------------------------------------------


def test_basket_observed_and_expected_are_the_sums_of_the_stored_rows_of_its_groups(
        staff_client: Callable[[str], TestClient], example_store: Path) -> None:
    december = Month(2025, 12)
    data = staff_client("T05").get("/api/basket", params={"groups": "2,73", "trust": "T05"}).json()
    mine = [r for r in stored(example_store, "shmi_diagnosis_group", december, PROVIDER_CODE="T05")
            if r["DIAGNOSIS_GROUP"] in (2, 73)]
    national = [r for r in stored(example_store, "shmi_national_group", december) if r["DIAGNOSIS_GROUP"] in (2, 73)]
    assert data["trust"]["observed"] == sum(r["OBSERVED"] for r in mine)
    assert data["trust"]["spells"] == sum(r["SPELLS"] for r in mine)
    assert data["trust"]["expected_sum"] == round_half_up(math.fsum(r["EXPECTED"] for r in mine), 2)
    assert data["england"]["observed"] == sum(r["OBSERVED"] for r in national)
    assert data["england"]["expected"] == math.fsum(r["EXPECTED"] for r in national)
    # E*_B = E_B · O_ENG,B / E_ENG,B (shmi.md §13.1)
    rebased = (math.fsum(r["EXPECTED"] for r in mine) * data["england"]["observed"] / data["england"]["expected"])
    assert data["trust"]["expected"] == round_half_up(rebased, 2)
    assert data["trust"]["contribution"] == round_half_up(data["trust"]["observed"] - rebased, 1)


def test_basket_is_disclosed_for_an_anonymous_viewer(client: TestClient) -> None:
    data = client.get("/api/basket", params={"groups": ["2", "73"], "trust": "T05"}).json()
    # T05: 298 deaths split 0.4/0.3 -> 120 + 89 = 209 -> 210 (§15)
    assert data["trust"]["observed"] == 210


def test_basket_funnel_has_every_eligible_trust_with_limits_over_them(client: TestClient) -> None:
    data = client.get("/api/basket", params={"groups": "2,73", "trust": "T05"}).json()
    funnel = data["funnel"]
    assert {p["provider_code"] for p in funnel["points"]} == set(WORKED_CODES)
    assert funnel["parameters"]["units_eligible"] == 12
    assert funnel["highlight"] == "T05"


def test_a_basket_of_one_group_keeps_the_groups_own_values(staff_client: Callable[[str], TestClient]) -> None:
    data = staff_client("T05").get("/api/basket", params={"groups": "2", "trust": "T05"}).json()
    assert data["trust"]["expected"] == data["trust"]["expected_sum"] == round_half_up(251.9 * 0.4, 2)


def test_drill_down_rows_are_sorted_by_contribution_to_excess_deaths(
        staff_client: Callable[[str], TestClient]) -> None:
    data = staff_client("T02").get("/api/trusts/T02/diagnoses").json()
    contributions = [r["contribution"] for r in data["groups"]["rows"]]
    assert contributions == sorted(contributions, reverse=True)
    assert [r["key"] for r in data["groups"]["rows"]] == [g for g, _ in GROUP_SHARES]  # shares fall with the group
    assert data["ccs"]["available"] is False


def test_drill_down_supergroups_sum_their_groups(staff_client: Callable[[str], TestClient],
                                                 example_store: Path) -> None:
    data = staff_client("T05").get("/api/trusts/T05/diagnoses").json()
    stored_rows = {r["SUPERGROUP"]: r for r in stored(example_store, "shmi_supergroup", Month(2025, 12),
                                                      PROVIDER_CODE="T05")}
    shown_rows = {r["key"]: r for r in data["supergroups"]["rows"]}
    assert set(shown_rows) == set(stored_rows)
    for number, row in stored_rows.items():
        assert (shown_rows[number]["spells"], shown_rows[number]["observed"]) == (row["SPELLS"], row["OBSERVED"])


# --- selections, peer groups, regions ----------------------------------------------------------------------------


def test_peer_group_of_the_worked_example_returns_its_tau2_and_limits(writable_store: Path) -> None:
    with TestClient(create_app(writable_store)) as api:
        saved = api.post("/api/peer-groups", json={"name": "Worked example", "provider_codes": WORKED_CODES})
        assert saved.status_code == 201
        data = api.get("/api/peer-groups/Worked example/comparison", params={"trust": "T05"}).json()
    comparison = data["shmi"]["comparison"]
    assert (comparison["units_eligible"], comparison["units_kept"]) == (12, 10)
    assert comparison["phi"] == pytest.approx(2.839883, abs=1e-6)
    assert comparison["tau2"] == pytest.approx(0.002756868851, abs=1e-12)
    rows = rows_of(data["shmi"]["table"])
    for code, (ll95, ul95, ll998, ul998, band) in WORKED_LIMITS.items():
        shown = rows[code]
        for value, expected in ((shown["od_ll_95"], ll95), (shown["od_ul_95"], ul95),
                                (shown["od_ll_998"], ll998), (shown["od_ul_998"], ul998)):
            assert abs(value - expected) <= SHOWN_TOLERANCE, (code, value, expected)
        assert shown["banding"] == band


def test_peer_groups_are_saved_listed_replaced_and_deleted(writable_store: Path) -> None:
    with TestClient(create_app(writable_store)) as api:
        api.post("/api/peer-groups", json={"name": "North", "provider_codes": ["t01", "T02", "T03"]})
        api.post("/api/peer-groups", json={"name": "North", "provider_codes": ["T01", "T04"]})
        assert api.get("/api/peer-groups").json()["peer_groups"] == [{"name": "North",
                                                                       "provider_codes": ["T01", "T04"]}]
        comparison = api.get("/api/peer-groups/North/comparison").json()["shmi"]["comparison"]
        assert comparison["units_eligible"] == 2  # limits over the two peers only
        assert api.delete("/api/peer-groups/North").status_code == 200
        assert api.get("/api/peer-groups").json()["peer_groups"] == []
        assert api.delete("/api/peer-groups/North").status_code == 404
    with open_store(writable_store, read_only=True) as store:
        assert read_table(store, "peer_groups") == []


def test_a_peer_group_needs_a_name_and_two_trusts(writable_store: Path) -> None:
    with TestClient(create_app(writable_store)) as api:
        assert api.post("/api/peer-groups", json={"name": "Alone", "provider_codes": ["T01"]}).status_code == 422
        assert api.post("/api/peer-groups", json={"name": "  ", "provider_codes": ["T01", "T02"]}).status_code == 400
        form = api.post("/peer-groups", data={"name": "Alone", "provider_codes": ["T01"]})
        assert form.status_code == 400 and "at least 2 trusts" in form.text


def test_funnel_for_a_region_recomputes_limits_over_its_trusts(client: TestClient) -> None:
    from hospmort.limits import compute_funnel_limits

    data = client.get("/api/funnel", params={"region": "Y56", "level": "trust"}).json()
    london = [(o, round_half_up(e, 2)) for code, o, e in WORKED_EXAMPLE if code <= "T06"]
    direct = compute_funnel_limits([o for o, _ in london], [e for _, e in london])
    assert data["funnel"]["parameters"]["tau2"] == pytest.approx(direct.parameters.tau2, rel=1e-12)
    assert data["funnel"]["parameters"]["units_eligible"] == 6


def test_funnel_for_one_group_and_for_a_supergroup(client: TestClient) -> None:
    group = client.get("/api/funnel", params={"level": "group", "groups": "73"}).json()
    assert group["funnel"]["parameters"]["units_eligible"] == 12
    assert client.get("/api/funnel", params={"level": "group", "groups": "2,73"}).status_code == 400
    supergroup = client.get("/api/funnel", params={"level": "supergroup", "groups": "8"}).json()
    assert supergroup["funnel"]["parameters"]["units_eligible"] >= 1


def test_regions_compare_each_region_over_its_own_trusts(client: TestClient) -> None:
    rows = {r["region_code"]: r for r in client.get("/api/regions").json()["rows"]}
    assert (rows["Y56"]["trusts"], rows["Y56"]["trusts_eligible"]) == (6, 6)
    assert (rows["Y58"]["trusts"], rows["Y58"]["trusts_eligible"]) == (7, 6)


# --- downloads ---------------------------------------------------------------------------------------------------


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_official_trust_level_file_has_the_published_layout_and_values(client: TestClient) -> None:
    listing = client.get("/api/publications/2025-12/files").json()["files"]
    names = [f["name"] for f in listing]
    assert "SHMI_trust_level_JAN25_DEC25.csv" in names
    assert not any("data_quality" in n or "quality_check" in n for n in names)  # internal files are not offered
    rows = parse_csv(client.get("/api/publications/2025-12/files/SHMI_trust_level_JAN25_DEC25.csv").text)
    assert tuple(rows[0]) == publish.TRUST_COLUMNS
    t05 = dict(zip(rows[0], next(r for r in rows if r[1] == "T05"), strict=True))
    # shmi.md §18: published values for T05
    assert (t05["SHMI_VALUE"], t05["OD_LL"], t05["OD_UL"], t05["PO_LL"], t05["PO_UL"], t05["SHMI_BANDING"]) == (
        "1.1830", "0.8515", "1.1744", "0.8148", "1.2042", "1")


@pytest.mark.parametrize(("url", "first_columns"), [
    ("/api/csv/overview-shmi.csv", ["provider_code", "provider_name", "region_name", "spells"]),
    ("/api/csv/trusts/T05/trend.csv", ["period_end", "time_period", "shmi"]),
    ("/api/csv/trusts/T05/contextual.csv", ["indicator", "description", "measure", "category"]),
    ("/api/csv/trusts/T05/sites.csv", ["site_code", "site_name", "site_type"]),
    ("/api/csv/trusts/T05/groups.csv", ["key", "label", "spells"]),
    ("/api/csv/trusts/T05/supergroups.csv", ["key", "label", "spells"]),
    ("/api/csv/basket.csv?groups=2&groups=73&trust=T05", ["provider_code", "provider_name", "spells"]),
    ("/api/csv/regions.csv", ["region_code", "region_name", "trusts"]),
])
def test_every_table_downloads_as_csv_with_its_header(client: TestClient, url: str, first_columns: list[str]) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = parse_csv(response.text)
    assert rows[0][:len(first_columns)] == first_columns
    assert len(rows) >= 2


# --- application ----------------------------------------------------------------------------------------------


def test_openapi_schema_documents_every_api_route(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/api/overview", "/api/trusts/{provider_code}", "/api/trusts/{provider_code}/trend",
                 "/api/trusts/{provider_code}/diagnoses", "/api/basket", "/api/funnel", "/api/peer-groups",
                 "/api/peer-groups/{name}/comparison", "/api/regions", "/api/publications/{period}/files"):
        assert path in paths
    assert all(op.get("summary") for methods in paths.values() for op in methods.values())


def test_plotly_is_served_from_the_installed_package_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly.js" in response.content[:2000]
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy


def test_a_new_publication_shows_at_the_next_request(writable_store: Path) -> None:
    from store_builder import publication_rows

    from hospmort.store import Indicator, Publication, PublicationStatus, write_publication

    with TestClient(create_app(writable_store)) as api:
        assert api.get("/api/overview").json()["period_end"] == "2025-12"
        with open_store(writable_store) as store:
            write_publication(store, Publication(Month(2026, 2), (Indicator.SHMI,), publication_rows(1.0)),
                              status=PublicationStatus.PUBLISHED)
        assert api.get("/api/overview").json()["period_end"] == "2026-02"
