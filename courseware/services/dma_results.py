"""What a firm sees of its digital maturity: its assessments, the latest compared with the one before, advice, the
courses that address its weakest dimension, its assessments as CSV rows (also for the privacy export), and one
assessment as a PDF for the firm's own files."""
import json
from dataclasses import dataclass, field

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..errors import NotFound
from ..extensions import db
from ..models import Course, CourseVersion, DmaAssessment, Firm, Provider, utcnow
from . import dma, dma_questionnaire
from .certificate_pdf import html_to_pdf


@dataclass
class DimensionRow:
    key: str
    title: str
    before: float | None
    after: float
    band: str
    advice: str

    @property
    def change(self) -> float | None:
        return None if self.before is None else round(self.after - self.before, 1)


@dataclass
class Comparison:
    """The latest completed assessment beside the one before it (if any)."""

    latest: DmaAssessment
    previous: DmaAssessment | None
    rows: list[DimensionRow]
    overall_before: float | None
    overall_after: float
    overall_band: str
    comparable: bool  # False when the two used different questionnaire versions
    weakest: DimensionRow | None = None


@dataclass
class Overview:
    firm: object
    open: DmaAssessment | None
    progress: object | None
    completed: list[DmaAssessment]
    comparison: Comparison | None
    courses: list = field(default_factory=list)  # CourseLink for the weakest dimension
    delegate: object | None = None
    colleagues: list = field(default_factory=list)
    is_contact: bool = False


@dataclass
class CourseLink:
    slug: str
    title: str
    provider: str
    stage: int


def label(assessment: DmaAssessment) -> str:
    """A short name for an assessment in tables and charts: its kind and the day it was finished."""
    kinds = {"T0": _("Baseline (T0)"), "T1": _("Follow-up (T1)"), "later": _("Assessment")}
    day = assessment.completed_at or assessment.created_at
    return f"{kinds.get(assessment.kind, assessment.kind)}, {day:%Y-%m-%d}"


def compare(latest: DmaAssessment, previous: DmaAssessment | None, lang: str) -> Comparison:
    """The latest assessment's scores per dimension, with the previous one's beside them."""
    questionnaire = dma_questionnaire.load(latest.version)
    ids = [latest.id] + ([previous.id] if previous else [])
    scores = dma.scores_of(ids)
    after = scores.get(latest.id, {})
    before = scores.get(previous.id, {}) if previous else {}
    rows = [DimensionRow(d.key, d.title.get(lang), before.get(d.key), after.get(d.key, 0.0),
                         questionnaire.band(after.get(d.key, 0.0)).label.get(lang), d.advice.get(lang))
            for d in questionnaire.dimensions]
    weakest = min(rows, key=lambda row: row.after) if rows else None
    return Comparison(latest, previous, rows, previous.overall if previous else None, latest.overall or 0.0,
                      questionnaire.band(latest.overall or 0.0).label.get(lang),
                      previous is None or previous.version == latest.version, weakest)


def firm_overview(actor, lang: str) -> Overview:
    """The firm's maturity page for its contact person or delegate."""
    firm = dma.require_assessor(actor)
    completed = dma.list_completed(firm.id)
    open_one = dma.find_open(firm.id)
    comparison = compare(completed[-1], completed[-2] if len(completed) > 1 else None, lang) if completed else None
    courses = courses_for_dimension(comparison.weakest.key) if comparison and comparison.weakest else []
    is_contact = bool(actor.is_firm_contact)
    return Overview(firm, open_one, dma.progress(open_one) if open_one else None, completed, comparison, courses,
                    dma.find_delegate(firm.id), dma.list_colleagues(actor) if is_contact else [], is_contact)


def assessment_result(actor, assessment_id: int, lang: str) -> Comparison:
    """One completed assessment beside the firm's completed assessment before it."""
    assessment = dma.get_assessment(actor, assessment_id)
    if assessment.completed_at is None:
        raise NotFound(_("This assessment is not finished yet."))
    completed = dma.list_completed(assessment.firm_id)
    index = [a.id for a in completed].index(assessment.id)
    return compare(assessment, completed[index - 1] if index else None, lang)


def assessment_pdf(actor, assessment_id: int, lang: str) -> tuple[str, bytes]:
    """A completed assessment beside the one before it, as an A4 PDF (scores with bars, bands, advice), for the
    firm to keep or show its board or bank; rendered like the certificates (WeasyPrint, static files only).
    Returns the file name and the PDF."""
    comparison = assessment_result(actor, assessment_id, lang)
    latest = comparison.latest
    firm = db.session.get(Firm, latest.firm_id)
    html = render_template("firm/maturity_pdf.html", c=comparison, firm=firm, label=label, generated=utcnow())
    day = (latest.completed_at or latest.created_at).strftime("%Y-%m-%d")
    return f"digital-maturity-{latest.kind}-{day}.pdf", html_to_pdf(html)


def courses_for_dimension(dimension: str) -> list[CourseLink]:
    """Published, not retired courses whose course.toml names the dimension in `dma_dimensions`, by stage and title."""
    rows = db.session.execute(
        select(Course).join(CourseVersion, CourseVersion.id == Course.current_version_id)
        .join(Provider, Provider.id == Course.provider_id)
        .options(contains_eager(Course.current_version), contains_eager(Course.provider))
        .where(Course.retired_at.is_(None))
    ).unique().scalars()
    links = [CourseLink(c.slug, c.current_version.title, c.provider.name, c.current_version.stage)
             for c in rows if dimension in (c.current_version.dma_dimensions or [])]
    return sorted(links, key=lambda link: (link.stage, link.title.casefold()))


def csv_header() -> list[str]:
    return ["assessment", "kind", "stage", "questionnaire_version", "started", "completed", "dimension", "score",
            "question", "answer"]


def csv_rows(firm_id: int) -> list[list]:
    """Every assessment of the firm: one row per dimension score and one per answer (for download and export)."""
    assessments = list(db.session.execute(
        select(DmaAssessment).where(DmaAssessment.firm_id == firm_id).order_by(DmaAssessment.created_at,
                                                                               DmaAssessment.id)
    ).scalars())
    scores = dma.scores_of([a.id for a in assessments])
    rows = []
    for a in assessments:
        base = [a.id, a.kind, a.stage or "", a.version, a.created_at.isoformat(timespec="seconds"),
                a.completed_at.isoformat(timespec="seconds") if a.completed_at else ""]
        for dimension, value in scores.get(a.id, {}).items():
            rows.append(base + [dimension, value, "", ""])
        if a.overall is not None:
            rows.append(base + ["overall", a.overall, "", ""])
        for key, value in sorted(dma.answers_of(a.id).items()):
            rows.append(base + ["", "", key, json.dumps(value, ensure_ascii=False)])
    return rows


def firm_csv(actor) -> tuple[list[str], list[list]]:
    """The actor's firm's assessments as (header, rows), for its contact person or delegate."""
    firm = dma.require_assessor(actor)
    return csv_header(), csv_rows(firm.id)
