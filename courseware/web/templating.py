"""Template helpers shared by every page: industry names, durations, dates."""
from flask import Flask
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import ngettext

def industry_name(letter: str | None) -> str:
    """The Norwegian name of an SN2007 section letter (the letter itself when unknown)."""
    from ..services.orgs import industry_section_name

    return industry_section_name(letter) or (letter or "")


def duration(minutes: int | None) -> str:
    """'45 min', '2 t' or '2 t 30 min' in the user's language."""
    if not minutes:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return _("%(m)d min", m=rest)
    if not rest:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return _("%(h)d h %(m)d min", h=hours, m=rest)


def date_text(value) -> str:
    """A date as every page and e-mail shows it: "3. des. 2026" (in the user's time zone and language)."""
    return format_date(value, "medium") if value else ""


def datetime_text(value) -> str:
    """A date and a time as every page shows them: "3. des. 2026 kl. 16:00"."""
    if not value:
        return ""
    return _("%(date)s at %(time)s", date=format_date(value, "medium"), time=format_time(value, "HH:mm"))


def split_heading(html: str) -> tuple[str, str]:
    """Split sanitised module HTML into its leading <h1> (or "") and the rest, so the page can put the title first."""
    stripped = html.lstrip()
    end = stripped.find("</h1>")
    if not stripped.startswith("<h1") or end < 0:
        return "", html
    return stripped[: end + 5], stripped[end + 5:]


def init_app(app: Flask) -> None:
    from .fragment_cache import FragmentCache

    app.jinja_env.add_extension(FragmentCache)
    app.add_template_global(industry_name)
    app.add_template_global(duration)
    app.add_template_filter(split_heading)
    # One way of writing dates everywhere: these replace Flask-Babel's filters of the same names, and take no
    # format argument, so a page cannot drift into a second format.
    app.add_template_filter(date_text, "dateformat")
    app.add_template_filter(datetime_text, "datetimeformat")
