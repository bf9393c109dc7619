"""core/csv_cells.py: the formula escape of every CSV cxloop writes, and its exact inverse on import."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from cxloop.core.csv_cells import CsvWriter, NumberCell, csv_cell, escape_formula, unescape_formula


def _written(rows: list[list[str]], *, formula_escape: bool = True) -> str:
    out = io.StringIO()
    CsvWriter(out, formula_escape=formula_escape).writerows(rows)
    return out.getvalue()


def test_cells_a_spreadsheet_would_run_get_a_quote_and_every_text_cell_is_quoted() -> None:
    row = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "a;=1,b", ""]
    text = _written([row])
    assert text == ('"\'=HYPERLINK(""http://x"")","\'+1","\'-2+3","\'@SUM(A1)","\'\tx","\'\rx","plain","a;=1,b",""\n')
    assert next(csv.reader(io.StringIO(text))) == [escape_formula(c) for c in row]


def test_numbers_stay_numbers() -> None:
    cells = [csv_cell(-1), csv_cell(-2.5), csv_cell(0), csv_cell("-1"), csv_cell(True)]
    assert [isinstance(c, NumberCell) for c in cells] == [True, True, True, False, False]
    assert _written([cells]) == '-1,-2.5,0,"\'-1","true"\n'


def test_the_opt_out_writes_cells_verbatim() -> None:
    assert _written([["=1+1", csv_cell(-3), "a,b"]], formula_escape=False) == '=1+1,-3,"a,b"\n'


def test_a_cell_that_really_starts_with_a_quote_survives() -> None:
    assert escape_formula("'=x") == "''=x" and unescape_formula("''=x") == "'=x"
    assert escape_formula("'quoted'") == "'quoted'" and unescape_formula("'quoted'") == "'quoted'"


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab,\"; "), max_size=8))
def test_unescape_undoes_escape(text: str) -> None:
    escaped = escape_formula(text)
    assert unescape_formula(escaped) == text
    assert escaped[:1] not in {"=", "+", "-", "@", "\t", "\r"}
