"""Small numbers in reports: a count of people below REPORTS_MIN_COUNT is shown as "<5", never as the number.

Every funder and provider view, export and API answer builds its counts of people through `people_cell`, so one
setting decides the threshold everywhere. Counts of firms are not people and are shown as they are (`firm_cell`).
"""
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
