"""The dashboard in a real browser (Debian's Chromium via Playwright), on a store built by the pipeline.

A user opens the overview, selects a trust, sees both funnel plots and the trend render, builds a basket of two
diagnosis groups, saves a peer group and downloads a CSV. Screenshots of each page are kept in
test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHART_TIMEOUT_MS = 30_000


def wait_for_chart(page: Any, chart_id: str) -> None:
    page.wait_for_selector(f"#{chart_id}[data-rendered='true']", timeout=CHART_TIMEOUT_MS)


def trace_names(page: Any, chart_id: str) -> list[str]:
    return list(page.evaluate(f"Array.from(document.getElementById('{chart_id}').data, t => t.name)"))


def test_a_user_walks_through_the_dashboard(page: Any, pipeline_store: Path,
                                            live_server: Callable[[Path], str]) -> None:
    base = live_server(pipeline_store)

    # the overview: both halves, the SHMI funnel drawn by Plotly
    page.goto(base + "/")
    wait_for_chart(page, "shmi-funnel")
    hsmr_drawn = page.locator("#hsmr-funnel").count() == 1
    if hsmr_drawn:
        wait_for_chart(page, "hsmr-funnel")
    else:
        assert page.locator("#hsmr-not-computed").is_visible()
    save_screenshot(page, "01-overview")

    # select a trust with the keyboard-accessible form: it is highlighted in the funnels
    options = page.locator("#trust-select option")
    code = options.nth(1).get_attribute("value")
    page.select_option("#trust-select", code)
    page.click("button:has-text('Apply')")
    page.wait_for_url(f"**trust={code}**")
    wait_for_chart(page, "shmi-funnel")
    names = trace_names(page, "shmi-funnel")
    shmi_points = page.evaluate("document.getElementById('shmi-funnel').data.slice(5, 8)"
                                ".reduce((n, t) => n + t.x.length, 0)")
    if any(name.startswith("Selected:") for name in names):
        assert shmi_points >= 1
    assert {"99.8% limits", "95% limits"} <= set(names)
    assert page.locator(f"#shmi-table tr[data-provider='{code}'].highlighted").count() == 1
    save_screenshot(page, "02-overview-trust-selected")

    # the trust page: headline and the trend chart
    page.click("#open-trust")
    page.wait_for_selector("#trust-name")
    wait_for_chart(page, "trend-chart")
    assert "SHMI" in trace_names(page, "trend-chart")
    assert page.locator("#trend-table tbody tr").count() == 2  # two monthly publications
    save_screenshot(page, "03-trust")

    # a basket of two diagnosis groups
    page.click("#diagnoses-link")
    page.wait_for_selector("#groups-table")
    groups = page.locator("#groups-table tbody tr td:first-child").all_inner_texts()[:2]
    for group in groups:
        checkbox = page.locator(f"#group-{group}")
        page.locator("details.group-details", has=checkbox).locator("summary").click()
        checkbox.check()
    page.click("#basket-submit")
    page.wait_for_selector("#basket-result")
    wait_for_chart(page, "basket-funnel")
    assert page.locator("#basket-observed").inner_text().strip() != ""
    assert all(group in page.locator("#basket-result h3").inner_text() for group in groups)
    save_screenshot(page, "04-diagnoses-basket")

    # save a peer group and see the comparison
    page.goto(base + "/peer-groups")
    page.fill("#peer-name", "Browser test peers")
    for box in page.locator("#peer-form input[type=checkbox]").all()[:4]:
        box.check()
    page.click("#peer-save")
    page.wait_for_selector("#saved-message")
    wait_for_chart(page, "peer-shmi-funnel")
    assert "Browser test peers" in page.locator("#peer-group-list").inner_text()
    save_screenshot(page, "05-peer-groups")

    # regional comparison
    page.goto(base + "/regions")
    page.select_option("#region-funnel-select", index=1)
    page.click("form.filter-form button")
    wait_for_chart(page, "region-funnel")
    save_screenshot(page, "06-regions")

    # download a CSV and check its header
    page.goto(base + "/downloads")
    save_screenshot(page, "07-downloads")
    with page.expect_download() as download:
        page.click("#download-shmi-overview")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header[:5] == ["provider_code", "provider_name", "region_name", "spells", "observed"]
    with page.expect_download() as official:
        page.locator("#official-files a", has_text="SHMI_trust_level_").click()
    official_header = Path(official.value.path()).read_text(encoding="utf-8").splitlines()[0]
    assert official_header.startswith("TIME_PERIOD,PROVIDER_CODE,PROVIDER_NAME,SHMI_VALUE,SHMI_BANDING")

    page.goto(base + "/api-docs")
    save_screenshot(page, "08-api-docs")
    assert page.problems == []  # no script error and no content-security-policy violation


def test_keyboard_users_skip_to_content_and_sort_tables(page: Any, pipeline_store: Path,
                                                        live_server: Callable[[Path], str]) -> None:
    page.goto(live_server(pipeline_store) + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    button = page.locator("#shmi-table th button", has_text="SHMI").first
    button.focus()
    page.keyboard.press("Enter")
    assert page.locator("#shmi-table th[aria-sort='ascending']").count() == 1
    values = [float(v) for v in page.locator("#shmi-table tbody tr td:nth-child(7)").evaluate_all(
        "cells => cells.map(c => c.dataset.sort).filter(v => v !== '')")]
    assert values == sorted(values)
    assert page.problems == []


def test_both_funnel_plots_render_when_the_publication_has_the_hsmr(page: Any, tmp_path: Path,
                                                                    live_server: Callable[[Path], str]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
    from store_builder import DEC25, publication_rows
    from test_web_hsmr import hsmr_trust_rows  # the worked example of hsmr.md §7.4

    from hospmort.store import Indicator, Publication, PublicationStatus, open_store, write_publication

    store = tmp_path / "hsmr.duckdb"
    with open_store(store) as handle:
        write_publication(handle, Publication(DEC25, (Indicator.SHMI, Indicator.HSMR),
                                              {**publication_rows(1.0), "hsmr_trust": hsmr_trust_rows()}),
                          status=PublicationStatus.PUBLISHED)
    page.goto(live_server(store) + "/?trust=T01")
    wait_for_chart(page, "shmi-funnel")
    wait_for_chart(page, "hsmr-funnel")
    assert "Selected: Example Trust 01" in trace_names(page, "hsmr-funnel")
    save_screenshot(page, "09-overview-with-hsmr")
    page.goto(live_server(store) + "/trusts/T01")
    wait_for_chart(page, "trend-chart")
    assert "HSMR" in trace_names(page, "trend-chart")
    save_screenshot(page, "10-trust-with-hsmr")
    assert page.problems == []
