"""Template helpers shared by every page: industry names, durations."""
from flask import Flask
from flask_babel import gettext as _
from flask_babel import ngettext

# SN2007 sections (NACE Rev. 2) with their official Norwegian names (SSB).
SN2007_SECTIONS = {
    "A": "Jordbruk, skogbruk og fiske",
    "B": "Bergverksdrift og utvinning",
    "C": "Industri",
    "D": "Elektrisitets-, gass-, damp- og varmtvannsforsyning",
    "E": "Vannforsyning, avløps- og renovasjonsvirksomhet",
    "F": "Bygge- og anleggsvirksomhet",
    "G": "Varehandel, reparasjon av motorvogner",
    "H": "Transport og lagring",
    "I": "Overnattings- og serveringsvirksomhet",
    "J": "Informasjon og kommunikasjon",
    "K": "Finansierings- og forsikringsvirksomhet",
    "L": "Omsetning og drift av fast eiendom",
    "M": "Faglig, vitenskapelig og teknisk tjenesteyting",
    "N": "Forretningsmessig tjenesteyting",
    "O": "Offentlig administrasjon og forsvar, og trygdeordninger underlagt offentlig forvaltning",
    "P": "Undervisning",
    "Q": "Helse- og sosialtjenester",
    "R": "Kulturell virksomhet, underholdning og fritidsaktiviteter",
    "S": "Annen tjenesteyting",
    "T": "Lønnet arbeid i private husholdninger",
    "U": "Internasjonale organisasjoner og organer",
}


def industry_name(letter: str | None) -> str:
    return SN2007_SECTIONS.get((letter or "").upper(), letter or "")


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


def init_app(app: Flask) -> None:
    app.add_template_global(industry_name)
    app.add_template_global(duration)
