"""Server-rendered pages: every page renders, has no inline script or handler, labels every control, and gives
every chart a table alternative."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hospmort.web import create_app

PAGES = [
    "/", "/?region=Y56&trust=T05", "/trusts/T05", "/trusts/T13", "/trusts/T05/diagnoses",
    "/trusts/T05/diagnoses?groups=2&groups=73", "/peer-groups", "/regions", "/regions?region=Y58", "/downloads",
    "/api-docs", "/?period=2026-01&drafts=true",
]


class PageAudit(HTMLParser):
    """Collects what the accessibility and CSP checks need from one page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.handlers: list[str] = []
        self.controls: list[str] = []
        self.labels: set[str] = set()
        self.charts: list[dict[str, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.html_lang: str | None = None
        self.h1 = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        if tag == "html":
            self.html_lang = attributes.get("lang")
        if tag == "script" and not attributes.get("src"):
            self.inline_scripts += 1
        if tag in ("select", "textarea") or (tag == "input" and attributes.get("type") not in ("hidden", "submit")):
            self.controls.append(attributes.get("id") or "")
        if tag == "label" and attributes.get("for"):
            self.labels.add(str(attributes["for"]))
        if tag == "div" and "chart" in (attributes.get("class") or "").split():
            self.charts.append(attributes)
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "h1":
            self.h1 += 1


def audit(html: str) -> PageAudit:
    parser = PageAudit()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_no_inline_script_and_labelled_controls(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    page = audit(response.text)
    assert page.inline_scripts == 0
    assert page.handlers == []
    assert page.html_lang == "en-GB" and page.h1 == 1
    unlabelled = [control for control in page.controls if control not in page.labels]
    assert unlabelled == [], f"controls without a label: {unlabelled}"
    for chart in page.charts:  # every chart: an accessible name, a data source, and a table on the page
        assert chart.get("role") == "img" and chart.get("aria-label")
        assert chart.get("data-src", "").startswith("/api/")
        assert page.tables >= 1
    assert page.captions == page.tables


def test_every_chart_source_answers(client: TestClient) -> None:
    for path in PAGES:
        for chart in audit(client.get(path).text).charts:
            assert client.get(str(chart["data-src"])).status_code == 200, (path, chart)


def test_overview_page_shows_both_halves_and_the_banding_counts(client: TestClient) -> None:
    text = client.get("/").text
    assert 'id="shmi-funnel"' in text and 'id="hsmr-not-computed"' in text
    assert 'id="count-band-1">2<' in text and 'id="count-band-3">1<' in text


def test_saving_a_peer_group_from_the_form_redirects_to_its_comparison(example_store: Path, tmp_path: Path) -> None:
    import shutil

    store = tmp_path / "form.duckdb"
    shutil.copy(example_store, store)
    with TestClient(create_app(store)) as browser:
        response = browser.post("/peer-groups", data={"name": "My peers", "provider_codes": ["T01", "T05", "T09"],
                                                       "period": "2025-12"}, follow_redirects=False)
        assert response.status_code == 303
        page = browser.get(response.headers["location"])
    assert "Peer group <strong>My peers</strong> saved" in page.text
    assert 'id="peer-shmi-funnel"' in page.text


def test_unknown_pages_answer_with_an_nhs_styled_error(client: TestClient) -> None:
    response = client.get("/trusts/NOPE")
    assert response.status_code == 404
    assert "Page not found" in response.text and "no trust NOPE" in response.text
