"""Small numbers in reports: a count of people below REPORTS_MIN_COUNT is shown as "<5", never as the number.

Every funder and provider view, export and API answer builds its counts of people through `people_cell`, so one
setting decides the threshold everywhere. Counts of firms are not people and are shown as they are (`firm_cell`).
In a table whose rows add up to a total, `protect_column` also suppresses a second cell where one suppressed cell
could be worked out by subtraction.
"""
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Cell:
    """One count as a report shows it: `value` is None when the count is suppressed."""

    value: int | None
    threshold: int

    @property
    def suppressed(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return f"<{self.threshold}" if self.value is None else str(self.value)

    def as_json(self) -> int | str:
        return str(self) if self.value is None else self.value


def threshold() -> int:
    return int(current_app.config["REPORTS_MIN_COUNT"])


def people_cell(count: int, *, minimum: int | None = None) -> Cell:
    """A count of people: shown when zero or at least the threshold, otherwise suppressed."""
    minimum = threshold() if minimum is None else minimum
    return Cell(count if count == 0 or count >= minimum else None, minimum)


def firm_cell(count: int) -> Cell:
    """A count of firms (not people): always shown."""
    return Cell(count, threshold())


def protect_column(counts: Sequence[int], total: int, *, minimum: int | None = None,
                   hidden: Collection[int] = ()) -> tuple[list[Cell], Cell]:
    """A table's column of people counts and its total, with small counts suppressed so none can be worked out.

    Primary: a count below the threshold (or a row in `hidden`, suppressed by another rule) shows as "<5".
    Secondary: the rows add up to the total, so when exactly one cell of the column (a row or the total) is
    suppressed, its number would follow by subtraction; then the next smallest shown non-zero row is suppressed
    too (or, when there is none, the total). A zero is never chosen: hiding it would hide nothing.
    """
    minimum = threshold() if minimum is None else minimum
    small = [0 < c < minimum or i in hidden for i, c in enumerate(counts)]
    total_small = 0 < total < minimum
    if sum(small) + total_small == 1:
        shown = [(c, i) for i, c in enumerate(counts) if not small[i] and c > 0]
        if shown:
            small[min(shown)[1]] = True
        else:
            total_small = True
    cells = [Cell(None if s else c, minimum) for c, s in zip(counts, small)]
    return cells, Cell(None if total_small else total, minimum)
