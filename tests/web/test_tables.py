"""Every table of the web app is one web/tables.py Table: the page draws it with sortable headers and `?export=<key>`
answers the same rows as CSV, formulas escaped (TestClient on the real app, SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from cxloop.access.enums import Role
from cxloop.core.csv_cells import unescape_formula
from cxloop.storage.database import Database
from cxloop.web.tables import Cell, Column, Row, Table, csv_text, with_interval
from tests.factories.responses import add_segment
from tests.web.conftest import signed_in_client
from tests.web.test_insights_pages import MARCH, late_deliveries_cost_nps

FORMULA = '=HYPERLINK("http://evil.example","x")'


class _Tables(HTMLParser):
    """The data tables of a page: key -> rows of (the text of each cell), header row first."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[list[str]]] = {}
        self._key: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-table"):
            self._key = found["data-table"]
            self.found[self._key] = []
        elif self._key and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._key = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._key:
            self.found[self._key].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.found


def csv_of(client: TestClient, url: str, key: str) -> list[list[str]]:
    answer = client.get(f"{url}{'&' if '?' in url else '?'}export={key}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert f'filename="cxloop-{key}.csv"' in answer.headers["content-disposition"]
    return list(csv.reader(io.StringIO(answer.text)))


PAGES = [
    f"/?{MARCH}",
    f"/partials/response-rates?{MARCH}",
    f"/journey?{MARCH}",
    "/themes",
    "/anomalies?range=year",
    f"/listening?{MARCH}",
    f"/insights/drivers?{MARCH}",
    "/insights/outcomes",
    "/insights/partials/operations",
    "/insights/partials/agents",
    "/insights/churn",
    "/insights/experiments",
    "/insights/maturity",
]


@pytest.fixture
def planted(client: TestClient, db: Database) -> TestClient:
    """A viewer over 320 NPS answers in March 2026 (segment Retail), and a segment named like a formula."""
    signed_in_client(client, db, Role.viewer)
    late_deliveries_cost_nps(db)
    with db.unit_of_work() as session:
        add_segment(session, "formula", list(range(1, 11)), name=FORMULA)
    return client


def test_every_table_exports_the_rows_it_shows(planted: TestClient) -> None:
    exported = 0
    for url in PAGES:
        page = planted.get(url)
        assert page.status_code == 200, url
        for key, shown in tables_of(page.text).items():
            rows = csv_of(planted, url, key)
            assert len(rows) == len(shown), (url, key)  # the header and every row
            names = [unescape_formula(r[0]) for r in rows[1:]]
            assert all(s[0].startswith(n) for n, s in zip(names, shown[1:], strict=True)), (url, key)  # same order
            assert f"export={key}" in page.text  # the page links its CSV
            exported += 1
    assert exported >= 8  # overview (trend, three breakdowns), rates, journey, listening, drivers, maturity...


def test_the_breakdown_csv_holds_the_figures_shown_and_escapes_formulas(planted: TestClient) -> None:
    url = f"/?{MARCH}"
    shown = tables_of(planted.get(url).text)["by-segment"]
    rows = csv_of(planted, url, "by-segment")
    assert rows[0] == ["Segment", "NPS", "95 % interval low", "95 % interval high", "n", *NPS_SHARES]
    by_name = {r[0]: r for r in rows[1:]}
    assert "Retail" in by_name and "'" + FORMULA in by_name  # the formula cell is neutralised with a quote
    retail = next(r for r in shown if r[0] == "Retail")
    assert retail[3] == f"{int(by_name['Retail'][4]):,}"  # n
    assert retail[1] == f"{float(by_name['Retail'][1]):+,.0f}"  # NPS, as the page rounds it
    raw = planted.get(f"{url}&export=by-segment").text
    assert "\"'=HYPERLINK(" in raw  # quoted text cell with the escape, never a bare formula


NPS_SHARES = ["Detractors %", "Passives %", "Promoters %"]


def test_an_unknown_table_answers_400_naming_the_field(planted: TestClient) -> None:
    answer = planted.get("/themes?export=nope")
    assert answer.status_code == 400
    assert "export" in answer.text and "themes" in answer.text


def test_headers_are_sortable_and_numbers_carry_their_sort_value(planted: TestClient) -> None:
    page = planted.get(f"/?{MARCH}").text
    assert 'data-sortable data-table="by-segment"' in page
    assert '<th scope="col" class="r" data-numeric>n</th>' in page
    assert 'data-sort="320"' in page  # Retail's n, sorted as a number


def test_a_table_refuses_rows_that_do_not_fit_its_columns() -> None:
    with pytest.raises(ValueError, match="1 cells for 2"):
        Table("t", "T", (Column("a"), Column("b")), (Row((Cell("x", ("x",)),)),))
    with pytest.raises(ValueError, match="values do not fit"):
        Table("t", "T", (Column.with_interval("NPS"),), (Row((Cell("1", (1,)),)),))
    table = Table("t", "T", (Column.with_interval("NPS"),), (Row((with_interval(12.0, 3.5, None),)),))
    assert csv_text(table) == '"NPS","NPS 95 % low","NPS 95 % high"\n12.0,3.5,""\n'
