"""The HSMR half of the dashboard, on a store whose publication carries the worked example of hsmr.md §7.4."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_builder import DEC25, publication_rows

from hospmort.store import Indicator, Publication, PublicationStatus, open_store, table_spec, write_publication
from hospmort.web import create_app
from hospmort.web.analysis import rebase_hsmr_on_peers

# hsmr.md §7.4: (trust, CIPS, O, E model); A, B, C are stored as T01, T02, T03.
HSMR_EXAMPLE = (("T01", 9000, 480, 430.0), ("T02", 3500, 150, 170.0), ("T03", 400, 8, 4.2))
K = 638 / 604.2


def row_of(table: str, **values: Any) -> dict[str, Any]:
    """A row of ``table`` with every value column empty except ``values``."""
    row: dict[str, Any] = {c.name: None for c in table_spec(table).value_columns}
    row.update(values)
    return row


def hsmr_trust_rows() -> list[dict[str, Any]]:
    from hospmort.limits import ALPHA95, ALPHA998, ratio_interval, round_expected
    from hospmort.shmi.indicator import is_eligible

    rows = []
    for code, cips, observed, expected in HSMR_EXAMPLE:
        e_star = K * expected
        e2 = round_expected(e_star)
        values: dict[str, Any] = {}
        if is_eligible(cips, observed, e2):
            l95, u95 = ratio_interval(observed, e2, ALPHA95)  # type: ignore[misc]
            l998, u998 = ratio_interval(observed, e2, ALPHA998)  # type: ignore[misc]
            values = {"HSMR_VALUE": 100 * observed / e2, "LL_95": 100 * l95, "UL_95": 100 * u95,
                      "LL_998": 100 * l998, "UL_998": 100 * u998,
                      "HSMR_BANDING": 1 if 100 * l998 > 100 else 3 if 100 * u998 < 100 else 2,
                      "HSMR_BANDING_95": 1 if 100 * l95 > 100 else 3 if 100 * u95 < 100 else 2}
        rows.append(row_of("hsmr_trust", PROVIDER_CODE=code, PROVIDER_NAME=f"Example Trust {code[1:]}",
                           BASKET_ID="HSMR", CIPS=cips, OBSERVED=observed, EXPECTED_RAW=expected, EXPECTED=e_star,
                           EXPECTED_ROUNDED=e2, REBASING_FACTOR=K, **values))
    rows.append(row_of("hsmr_trust", PROVIDER_CODE="ENG", PROVIDER_NAME="ENGLAND", BASKET_ID="HSMR", CIPS=12900,
                       OBSERVED=638, EXPECTED_RAW=604.2, EXPECTED=638.0, EXPECTED_ROUNDED=638.0,
                       REBASING_FACTOR=K, HSMR_VALUE=100.0))
    return rows


@pytest.fixture(scope="module")
def hsmr_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hsmr") / "hsmr.duckdb"
    tables: dict[str, Any] = {**publication_rows(1.0), "hsmr_trust": hsmr_trust_rows()}
    with open_store(path) as store:
        write_publication(store, Publication(DEC25, (Indicator.SHMI, Indicator.HSMR), tables),
                          status=PublicationStatus.PUBLISHED)
    return path


def test_peer_rebasing_reproduces_the_worked_example_of_hsmr_section_8_1() -> None:
    a, b = rebase_hsmr_on_peers([("A", 9000, 480, 430.0), ("B", 3500, 150, 170.0)])
    # K_P = 630 / 600 = 1.05
    assert a.expected_rebased == pytest.approx(451.50) and b.expected_rebased == pytest.approx(178.50)
    assert round(a.value, 2) == 106.31 and round(b.value, 2) == 84.03  # type: ignore[arg-type]
    assert [round(x, 2) for x in (*a.interval_95, *a.interval_998)] == [97.01, 116.26, 91.94, 122.18]  # type: ignore[misc]
    assert [round(x, 2) for x in (*b.interval_95, *b.interval_998)] == [71.12, 98.61, 64.41, 107.48]  # type: ignore[misc]
    assert (a.banding, a.banding_95, b.banding, b.banding_95) == (2, 2, 2, 3)


def test_overview_shows_the_hsmr_funnel_of_eligible_trusts_when_the_publication_has_it(hsmr_store: Path) -> None:
    with TestClient(create_app(hsmr_store)) as api:
        hsmr = api.get("/api/overview").json()["hsmr"]
    assert hsmr["available"] is True
    points = {p["provider_code"]: p for p in hsmr["funnel"]["points"]}
    assert set(points) == {"T01", "T02"}  # C is ineligible (E2* 4.43 < 7.5), England is not a point
    assert (points["T01"]["value"], points["T02"]["value"]) == (105.72, 83.56)  # hsmr.md §7.4
    rows = {r["provider_code"]: r for r in hsmr["table"]["rows"]}
    assert rows["T03"]["hsmr"] == "*" and rows["T03"]["observed"] == 10
    assert (rows["T02"]["banding"], rows["T02"]["banding_95"]) == (2, 3)


def test_hsmr_funnel_curves_are_the_exact_test_limits(hsmr_store: Path) -> None:
    with TestClient(create_app(hsmr_store)) as api:
        curves = api.get("/api/overview").json()["hsmr"]["funnel"]["curves"]
    from hospmort.limits import ALPHA95, exact_test_limits

    x = curves["x"][50]
    assert curves["upper_95"][50] == pytest.approx(100 * exact_test_limits(x, ALPHA95)[1], rel=1e-9)


def test_trust_page_shows_hsmr_headline_beside_the_shmi(hsmr_store: Path) -> None:
    with TestClient(create_app(hsmr_store)) as api:
        data = api.get("/api/trusts/T01").json()
        page = api.get("/trusts/T01")
    assert data["hsmr"]["available"] is True
    assert (data["hsmr"]["figures"]["hsmr"], data["hsmr"]["figures"]["ll_95"]) == (105.72, 96.47)
    assert data["trend"]["rows"][-1]["hsmr"] == 105.72
    assert "105.72" in page.text and "not computed for this publication" in page.text  # the gap is not stored


def test_peer_comparison_rebases_the_hsmr_on_the_peers(hsmr_store: Path, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "peers.duckdb"
    shutil.copy(hsmr_store, store)
    with TestClient(create_app(store)) as api:
        api.post("/api/peer-groups", json={"name": "A and B", "provider_codes": ["T01", "T02"]})
        hsmr = api.get("/api/peer-groups/A and B/comparison").json()["hsmr"]
    rows = {r["provider_code"]: r for r in hsmr["table"]["rows"]}
    assert (rows["T01"]["hsmr_relative_to_peers"], rows["T02"]["hsmr_relative_to_peers"]) == (106.31, 84.03)
    assert (rows["T02"]["banding"], rows["T02"]["banding_95"]) == (2, 3)


def test_hsmr_official_files_are_offered_when_the_publication_has_them(hsmr_store: Path) -> None:
    with TestClient(create_app(hsmr_store)) as api:
        names = [f["name"] for f in api.get("/api/publications/2025-12/files").json()["files"]]
        text = api.get("/api/publications/2025-12/files/HSMR_trust_level_JAN25_DEC25.csv").text
    assert "HSMR_trust_level_JAN25_DEC25.csv" in names and "HSMR_basket_JAN25_DEC25.csv" in names
    header, *rows = text.splitlines()
    assert header.startswith("TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,BASKET_ID,CIPS,OBSERVED,EXPECTED,HSMR_VALUE")
    assert any(row.startswith("JAN25_DEC25,T01,") and ",105.72," in row for row in rows)
