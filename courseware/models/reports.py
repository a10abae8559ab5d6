"""Maintained aggregates for the funder and provider reports (services/rollups.py keeps them, services/reports.py
reads them), so a report never scans progress rows.

Two tables, both kept in the same transaction as the event they count:

- `report_rollups`: one row per (course, firm, month) with what happened there: enrolments made (and how many of
  them are withdrawn now), completions, personal certificates issued and the completed minutes. The firm's
  municipality, industry section, size band and status are copied onto the row, so distinct firms can be counted
  without a join. firm_id 0 means "no firm" (no foreign key: a plain number, so the row survives a deleted firm).
- `report_cubes`: the same counts summed over firms, once per *grouping* (which of municipality, industry and size
  band are kept; the others hold "*"). A dashboard reads the smallest grouping that answers it, so its cost grows
  with the number of courses, months and places, not with the number of learners.

- `report_firms`: one row per firm with anything counted, and a bit per month with activity (bit 0 is
  MONTH_EPOCH; months outside the 63-month window count in its first or last bit). Distinct firms in a period are
  then counted over firms, not over everything they did.

A month is "YYYY-MM" in UTC: an enrolment counts in the month it was made, a completion and its certificate in the
month of the completion.
"""
from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

# A firm's status in the reports: found in Brønnøysund's register, typed in by hand (unverified), or no firm.
FIRM_STATUSES = ("verified", "unverified", "none")
ALL = "*"  # a dimension summed over in a report_cubes grouping
UNKNOWN = ""  # a firm without a municipality (industry, size band), or no firm
MONTH_EPOCH = "2024-01"  # bit 0 of ReportFirm.months; the window reaches 2029-03


class ReportRollup(db.Model):
    __tablename__ = "report_rollups"
    __table_args__ = (
        UniqueConstraint("course_id", "firm_id", "month", name="uq_report_rollups_key"),
        Index("ix_report_rollups_month", "month"),
        Index("ix_report_rollups_firm", "firm_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(Integer)
    firm_id: Mapped[int] = mapped_column(Integer)  # 0: the learner had no firm
    month: Mapped[str] = mapped_column(String(7))
    municipality_code: Mapped[str] = mapped_column(String(4), default=UNKNOWN)
    industry_section: Mapped[str] = mapped_column(String(1), default=UNKNOWN)
    size_band: Mapped[str] = mapped_column(String(8), default=UNKNOWN)
    firm_status: Mapped[str] = mapped_column(String(10), default="none")
    enrolments: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    certificates: Mapped[int] = mapped_column(Integer, default=0)
    completed_minutes: Mapped[int] = mapped_column(Integer, default=0)


class ReportCube(db.Model):
    __tablename__ = "report_cubes"
    __table_args__ = (
        UniqueConstraint("grouping", "course_id", "month", "municipality_code", "industry_section", "size_band",
                         "firm_status", name="uq_report_cubes_key"),
        Index("ix_report_cubes_municipality", "grouping", "municipality_code", "industry_section"),
        Index("ix_report_cubes_industry", "grouping", "industry_section"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which firm dimensions this row keeps: a subset of "mis" (municipality, industry, size band), "" for none.
    grouping: Mapped[str] = mapped_column(String(3))
    course_id: Mapped[int] = mapped_column(Integer)
    month: Mapped[str] = mapped_column(String(7))
    municipality_code: Mapped[str] = mapped_column(String(4), default=ALL)
    industry_section: Mapped[str] = mapped_column(String(1), default=ALL)
    size_band: Mapped[str] = mapped_column(String(8), default=ALL)
    firm_status: Mapped[str] = mapped_column(String(10), default="none")
    enrolments: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)
    completions: Mapped[int] = mapped_column(Integer, default=0)
    certificates: Mapped[int] = mapped_column(Integer, default=0)
    completed_minutes: Mapped[int] = mapped_column(Integer, default=0)


class ReportFirm(db.Model):
    __tablename__ = "report_firms"

    firm_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_code: Mapped[str] = mapped_column(String(4), default=UNKNOWN)
    industry_section: Mapped[str] = mapped_column(String(1), default=UNKNOWN)
    size_band: Mapped[str] = mapped_column(String(8), default=UNKNOWN)
    firm_status: Mapped[str] = mapped_column(String(10), default="unverified")
    months: Mapped[int] = mapped_column(BigInteger, default=0)  # bit n: activity in MONTH_EPOCH + n months
