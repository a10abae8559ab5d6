"""Template helpers shared by every page: industry names, durations."""
from flask import Flask
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
