"""Small counts of people never show, and cannot be worked out by subtraction from a table's total."""
import pytest

from courseware.services.suppression import protect_column


def shown(cells, total):
    return [str(c) for c in cells], str(total)


def test_nothing_small_nothing_hidden(app):
    assert shown(*protect_column([5, 7, 0], 12, minimum=5)) == (["5", "7", "0"], "12")


def test_one_small_row_hides_the_next_smallest_so_subtraction_gives_nothing(app):
    cells, total = protect_column([3, 9, 20, 0], 32, minimum=5)
    assert shown(cells, total) == (["<5", "<5", "20", "0"], "32")
    # what is left cannot be solved: two unknowns, one equation
    assert sum(c.value for c in cells if not c.suppressed) == 20


def test_zero_is_never_the_second_cell(app):
    # hiding the zero would leave 3 = 12 - 9 - 0 to be worked out
    assert shown(*protect_column([0, 3, 9], 12, minimum=5)) == (["0", "<5", "<5"], "12")


def test_two_small_rows_need_nothing_more(app):
    assert shown(*protect_column([3, 4, 9], 16, minimum=5)) == (["<5", "<5", "9"], "16")


def test_a_small_total_with_its_only_row(app):
    assert shown(*protect_column([3, 0], 3, minimum=5)) == (["<5", "0"], "<5")


def test_a_row_hidden_by_another_rule_counts_as_suppressed(app):
    assert shown(*protect_column([8, 9, 30], 47, minimum=5, hidden=[0])) == (["<5", "<5", "30"], "47")
    # the only non-zero row is hidden: then the total must go, or it would show the row
    assert shown(*protect_column([8, 0], 8, minimum=5, hidden=[0])) == (["<5", "0"], "<5")


def test_ties_pick_the_first(app):
    assert shown(*protect_column([2, 6, 6], 14, minimum=5)) == (["<5", "<5", "6"], "14")


@pytest.fixture
def app_config():
    return {"REPORTS_MIN_COUNT": 5}


def test_dashboard_tables_cannot_be_subtracted(app, make_user):
    """In every table of the hand-computed programme, no people column has exactly one suppressed cell."""
    from courseware.services import reports

    from .reports_support import build_programme

    build_programme(make_user)
    board = reports.dashboard(reports.ReportScope(), reports.ReportFilters())
    for table in board.tables:
        for column in table.columns:
            if column.key == "firms":
                continue
            cells = [row.cells[column.key] for row in table.rows] + [table.total.cells[column.key]]
            hidden = sum(c.suppressed for c in cells)
            assert hidden != 1, (table.key, column.key)
            for row in table.rows + [table.total]:
                value = row.cells[column.key].value
                assert value is None or value == 0 or value >= 5
    # the totals agree with every table's total row, suppression included
    for table in board.tables:
        for key in ("participants", "enrolments", "completions", "certificates", "hours"):
            assert str(table.total.cells[key]) == str(board.totals.cells[key])
    assert str(board.totals.cells["enrolments"]) == "7" and str(board.totals.cells["completions"]) == "<5"
    # 6 of 7 enrolments are not withdrawn: showing 6 next to 7 would say one person withdrew
    assert str(board.totals.cells["participants"]) == "<5"
    assert str(board.totals.cells["firms"]) == "3"  # firms are not people
