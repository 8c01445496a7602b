"""The report, witness and admin pages: what an officer, auditor or admin sees and downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from service.console import i18n_admin
from service.console.i18n import DUTCH, ENGLISH
from tests.console.report_data import file_year_of_requests

TEMPLATES = Path(__file__).parents[2] / "service/console/templates/console"
MY_TEMPLATES = ("reports.html",)


@pytest.fixture
def year_of_requests(client, auth, conn) -> dict:
    """Requests of 2025 with known outcomes (see report_data); returns an officer's key header."""
    officer = auth("privacy_officer")
    file_year_of_requests(client, officer, conn)
    return officer


def _bars(page: str) -> dict[str, int]:
    return {
        label: int(count)
        for label, count in re.findall(r'class="bar" data-label="(\w+)" data-count="(\d+)"', page)
    }


def _widths(page: str) -> list[float]:
    return [float(width) for width in re.findall(r'class="bar-fill"[^>]* width="([\d.]+)"', page)]


def test_the_report_shows_the_apis_metrics_with_a_chart_of_the_counts(
    client, make_user, sign_in, year_of_requests
):
    sign_in(make_user("privacy_officer"))
    response = client.get("/console/reports?regime=gdpr&year=2025")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    api = client.get(
        "/v1/reports/dsr-metrics?regime=gdpr&year=2025", headers=year_of_requests
    ).get_json()

    # One bar per type, its count the API's, its length in proportion.
    bars = _bars(page)
    assert bars == {row["type"]: row["received"] for row in api["by_type"]}
    assert bars["access"] == 3 and bars["erasure"] == 2 and bars["opt_out"] == 0
    widths = dict(zip(bars, _widths(page), strict=True))
    assert widths["erasure"] == pytest.approx(widths["access"] * 2 / 3, abs=0.2)
    assert widths["opt_out"] == 0
    # The figures: mean and median days of the denied erasures (4 and 12 days).
    erasure = page.split('data-row="erasure"')[1].split("</tr>")[0]
    assert 'class="mean" data-label="Mean days to respond">8.0<' in erasure
    assert 'class="median" data-label="Median days to respond">8.0<' in erasure
    totals = page.split('data-row="total"')[1].split("</tr>")[0]
    assert ">5</td>" in totals  # received in 2025 under the GDPR
    assert "by-category" not in page  # categories are CCPA's
    assert "<script" not in page and "style=" not in page  # nothing the CSP forbids


def test_a_ccpa_report_has_the_categories_and_regime_is_required(
    client, make_user, sign_in, year_of_requests
):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=ccpa&year=2025").get_data(as_text=True)
    bars = _bars(page)
    assert bars == {"know": 1, "delete": 0, "correct": 0, "opt_out": 1, "limit": 0}
    assert 'id="by-category"' in page and "Requests received per CCPA category" in page

    no_regime = client.get("/console/reports?year=2025")
    assert no_regime.status_code == 200
    text = no_regime.get_data(as_text=True)
    assert 'id="choose-regime"' in text and 'id="report-chart"' not in text
    bad = client.get("/console/reports?regime=hipaa&year=2025")
    assert bad.status_code == 400 and "Check the report" in bad.get_data(as_text=True)


def test_the_records_csv_holds_the_apis_records(client, make_user, sign_in, year_of_requests):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=gdpr&year=2025").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="records-csv"', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    query = link.split("?", 1)[1]
    api = client.get(f"/v1/reports/dsr-records?{query}", headers=year_of_requests).get_json()
    assert len(rows) == len(api["items"]) == 5
    by_id = {row["id"]: row for row in rows}
    for record in api["items"]:
        row = by_id[record["id"]]
        assert set(row) == set(record)
        for field, value in record.items():
            expected = (
                ""
                if value is None
                else str(value).lower()
                if value in (True, False)
                else str(value)
            )
            assert row[field] == expected, (field, row[field], value)
    denied = [row for row in rows if row["nature_of_response"] == "denied"]
    assert {row["denial_basis"] for row in denied} == {"identity_not_verified"}
    empty = client.get(
        "/console/reports/records.csv?regime=gdpr&received_from=2025-02-01&received_before=2025-01-01"
    )
    assert empty.status_code == 400


def test_a_moderator_and_an_auditor_may_not_open_the_reports(client, make_user, sign_in):
    for role in ("moderator", "auditor"):
        sign_in(make_user(role))
        assert client.get("/console/reports?regime=gdpr&year=2025").status_code == 403
        assert client.get("/console/reports/records.csv?regime=gdpr").status_code == 403


def test_the_report_reads_in_dutch(client, make_user, sign_in, year_of_requests):
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/reports?regime=ccpa&year=2025&lang=nl").get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Rapportages" in page and "Registraties als CSV" in page
    assert "Gemiddeld aantal dagen tot antwoord" in page


def test_every_label_of_these_pages_has_a_dutch_translation():
    label = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*'((?:[^'\\]|\\.)*)'""")
    missing = set()
    for name in MY_TEMPLATES:
        for double, single in label.findall((TEMPLATES / name).read_text()):
            text = double or single
            if not text.endswith(":") and text not in DUTCH:  # prefixes are joined
                missing.add(text)
    prefixed = [key for key in i18n_admin.DUTCH if ":" in key.split(" ")[0]]
    assert all(key in ENGLISH for key in prefixed)
    assert not missing, sorted(missing)
