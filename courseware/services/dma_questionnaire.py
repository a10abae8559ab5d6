"""The digital maturity questionnaire as data: load and check the versioned YAML files in courseware/data/dma/.

A file (dma-<version>.yaml) names its version, the answer scales, the score bands and six dimensions, each with
questions of two types: `checklist` (tick what applies; each item has a weight, which may be negative) and `scale`
(each item gets one value of a named scale: the 0-5 adoption scale, no/partly/yes, or not/planning/invested). Every
text is given in each language of LANGUAGES. `check_questionnaire` returns every problem found, so a broken file
is refused with clear messages, as a course package is; `courseware init` and `courseware dma check` run it.
"""
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from ..models.dma import DMA_DIMENSIONS

LANGUAGES = ("nb", "nn", "en")
DIMENSIONS = DMA_DIMENSIONS  # one list for the questionnaire file and course.toml
QUESTION_TYPES = ("checklist", "scale")
DATA_PACKAGE = "courseware.data"


class QuestionnaireError(Exception):
    """A questionnaire file that cannot be used; `problems` lists every message."""

    def __init__(self, path: str, problems: list[str]):
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Text:
    """One text in each language; `get(lang)` falls back to bokmål."""

    values: dict

    def get(self, lang: str | None) -> str:
        return self.values.get(lang or "nb") or self.values["nb"]


@dataclass(frozen=True)
class Level:
    value: int
    points: float
    label: Text


@dataclass(frozen=True)
class Item:
    key: str
    text: Text
    weight: float = 1.0


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    text: Text
    items: tuple[Item, ...]
    scale: str | None = None  # for `scale` questions: the name of the scale in Questionnaire.scales
    weight: float = 1.0  # the question's weight within its dimension


@dataclass(frozen=True)
class Dimension:
    key: str
    title: Text
    advice: Text
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Band:
    key: str
    min: float
    label: Text


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title: Text
    scales: dict  # name -> tuple[Level, ...]
    bands: tuple[Band, ...]
    dimensions: tuple[Dimension, ...]

    def dimension(self, key: str) -> Dimension:
        return next(d for d in self.dimensions if d.key == key)

    def question(self, key: str) -> Question | None:
        return next((q for d in self.dimensions for q in d.questions if q.key == key), None)

    def dimension_of(self, question_key: str) -> Dimension | None:
        return next((d for d in self.dimensions for q in d.questions if q.key == question_key), None)

    def band(self, score: float) -> Band:
        """The band a score (0-100) falls in: the last one whose minimum it reaches."""
        found = self.bands[0]
        for band in self.bands:
            if score >= band.min:
                found = band
        return found


# --- Reading and checking -----------------------------------------------------------------------------------------

def _folder():
    return resources.files(DATA_PACKAGE).joinpath("dma")


def available_versions() -> list[int]:
    """The versions shipped with the app (dma-<n>.yaml), oldest first."""
    versions = []
    for entry in _folder().iterdir():
        name = entry.name
        if name.startswith("dma-") and name.endswith(".yaml") and name[4:-5].isdigit():
            versions.append(int(name[4:-5]))
    return sorted(versions)


def current_version() -> int:
    """The version new assessments use: the newest file shipped."""
    return available_versions()[-1]


@cache
def load(version: int) -> Questionnaire:
    """The checked questionnaire of `version` (cached per process); QuestionnaireError when it is broken."""
    entry = _folder().joinpath(f"dma-{version}.yaml")
    questionnaire = parse(entry.read_text(encoding="utf-8"), entry.name)
    if questionnaire.version != version:
        raise QuestionnaireError(entry.name, [f"the file is named for version {version} but says {questionnaire.version}"])
    return questionnaire


def check_all() -> list[str]:
    """Problems of every shipped questionnaire file, as "file: message" lines (empty when all are sound)."""
    lines = []
    for version in available_versions():
        try:
            load(version)
        except QuestionnaireError as error:
            lines.extend(f"{error.path}: {problem}" for problem in error.problems)
    return lines


def check_file(path: Path) -> list[str]:
    """Problems of a questionnaire file anywhere on disk (for authors revising it), as messages."""
    try:
        parse(Path(path).read_text(encoding="utf-8"), Path(path).name)
    except QuestionnaireError as error:
        return error.problems
    except (OSError, UnicodeDecodeError) as error:
        return [f"cannot read the file: {error}"]
    return []


def parse(source: str, name: str = "questionnaire") -> Questionnaire:
    """Parse and check a questionnaire's YAML text; QuestionnaireError with every problem found."""
    problems: list[str] = []
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as error:
        raise QuestionnaireError(name, [f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise QuestionnaireError(name, ["the file must be a mapping with version, scales, bands and dimensions"])
    checker = _Checker(problems)
    result = checker.questionnaire(data)
    if problems:
        raise QuestionnaireError(name, problems)
    return result


class _Checker:
    def __init__(self, problems: list[str]):
        self.problems = problems

    def bad(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, value, where: str) -> Text:
        if not isinstance(value, dict):
            self.bad(where, f"must give a text in each language ({', '.join(LANGUAGES)})")
            return Text({lang: "" for lang in LANGUAGES})
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                self.bad(where, f"the text in {lang} is missing")
        for lang in value:
            if lang not in LANGUAGES:
                self.bad(where, f"unknown language {lang!r}")
        return Text({lang: str(value.get(lang) or "") for lang in LANGUAGES})

    def number(self, value, where: str, default: float = 1.0) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.bad(where, "must be a number")
            return default
        return float(value)

    def key(self, value, where: str, seen: set) -> str:
        if not isinstance(value, str) or not value.replace("_", "").isalnum() or not value.isascii():
            self.bad(where, "needs a key of letters, digits and _")
            return str(value)
        if value in seen:
            self.bad(where, f"the key {value!r} is used twice")
        seen.add(value)
        return value

    def questionnaire(self, data: dict) -> Questionnaire:
        version = data.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.bad("version", "must be a whole number from 1")
            version = 0
        title = self.text(data.get("title"), "title")
        scales = self.scales(data.get("scales"))
        bands = self.bands(data.get("bands"))
        dimensions = self.dimensions(data.get("dimensions"), scales)
        return Questionnaire(version, title, scales, bands, dimensions)

    def scales(self, value) -> dict:
        if not isinstance(value, dict) or not value:
            self.bad("scales", "must name at least one scale")
            return {}
        scales = {}
        for name, levels in value.items():
            where = f"scales.{name}"
            if not isinstance(levels, list) or len(levels) < 2:
                self.bad(where, "needs at least two levels")
                continue
            parsed, seen = [], set()
            for i, level in enumerate(levels):
                at = f"{where}[{i}]"
                if not isinstance(level, dict):
                    self.bad(at, "must be a mapping with value, points and label")
                    continue
                number = level.get("value")
                if isinstance(number, bool) or not isinstance(number, int) or number in seen:
                    self.bad(at, "needs a whole-number value, different from the other levels")
                seen.add(number)
                points = self.number(level.get("points"), f"{at}.points", 0.0)
                if not 0 <= points <= 1:
                    self.bad(f"{at}.points", "must be between 0 and 1")
                parsed.append(Level(number, points, self.text(level.get("label"), f"{at}.label")))
            scales[name] = tuple(parsed)
        return scales

    def bands(self, value) -> tuple[Band, ...]:
        if not isinstance(value, list) or not value:
            self.bad("bands", "must list at least one band")
            return (Band("none", 0, Text({lang: "" for lang in LANGUAGES})),)
        bands, seen, last = [], set(), -1.0
        for i, band in enumerate(value):
            where = f"bands[{i}]"
            if not isinstance(band, dict):
                self.bad(where, "must be a mapping with key, min and label")
                continue
            minimum = self.number(band.get("min"), f"{where}.min", 0.0)
            if minimum <= last or not 0 <= minimum <= 100:
                self.bad(f"{where}.min", "the bands' minimums must rise from 0 to at most 100")
            if i == 0 and minimum != 0:
                self.bad(f"{where}.min", "the first band must start at 0")
            last = minimum
            bands.append(Band(self.key(band.get("key"), where, seen), minimum,
                              self.text(band.get("label"), f"{where}.label")))
        return tuple(bands) or (Band("none", 0, Text({lang: "" for lang in LANGUAGES})),)

    def dimensions(self, value, scales: dict) -> tuple[Dimension, ...]:
        if not isinstance(value, list):
            self.bad("dimensions", f"must list the six dimensions ({', '.join(DIMENSIONS)})")
            return ()
        dimensions, seen, question_keys = [], set(), set()
        for i, dim in enumerate(value):
            where = f"dimensions[{i}]"
            if not isinstance(dim, dict):
                self.bad(where, "must be a mapping with key, title, advice and questions")
                continue
            key = self.key(dim.get("key"), where, seen)
            if key not in DIMENSIONS:
                self.bad(where, f"unknown dimension {key!r} (one of {', '.join(DIMENSIONS)})")
            where = f"dimension {key}"
            questions = dim.get("questions")
            if not isinstance(questions, list) or not questions:
                self.bad(where, "needs at least one question")
                questions = []
            parsed = tuple(self.question(q, f"{where}, question {j + 1}", scales, question_keys)
                           for j, q in enumerate(questions))
            dimensions.append(Dimension(key, self.text(dim.get("title"), f"{where}.title"),
                                        self.text(dim.get("advice"), f"{where}.advice"), parsed))
        missing = [d for d in DIMENSIONS if d not in seen]
        if missing:
            self.bad("dimensions", f"missing: {', '.join(missing)}")
        order = {key: i for i, key in enumerate(DIMENSIONS)}
        return tuple(sorted(dimensions, key=lambda d: order.get(d.key, 99)))

    def question(self, value, where: str, scales: dict, seen: set) -> Question:
        if not isinstance(value, dict):
            self.bad(where, "must be a mapping with key, type, text and items")
            return Question("", "checklist", Text({}), ())
        key = self.key(value.get("key"), where, seen)
        kind = value.get("type")
        if kind not in QUESTION_TYPES:
            self.bad(where, f"type must be one of {', '.join(QUESTION_TYPES)}")
        scale = value.get("scale")
        if kind == "scale" and scale not in scales:
            self.bad(where, f"scale must name one of the scales ({', '.join(scales) or 'none defined'})")
        if kind == "checklist" and scale is not None:
            self.bad(where, "a checklist has no scale")
        weight = self.number(value.get("weight"), f"{where}.weight")
        if weight <= 0:
            self.bad(f"{where}.weight", "must be more than 0")
        items, item_keys = [], set()
        for j, item in enumerate(value.get("items") if isinstance(value.get("items"), list) else []):
            at = f"{where}, item {j + 1}"
            if not isinstance(item, dict):
                self.bad(at, "must be a mapping with key and text")
                continue
            item_weight = self.number(item.get("weight"), f"{at}.weight")
            if kind == "scale" and "weight" in item:
                self.bad(at, "items of a scale question have no weight (the scale's points count)")
            items.append(Item(self.key(item.get("key"), at, item_keys), self.text(item.get("text"), at), item_weight))
        if not items:
            self.bad(where, "needs at least one item")
        if kind == "checklist" and items and sum(i.weight for i in items if i.weight > 0) <= 0:
            self.bad(where, "a checklist needs at least one item with a positive weight")
        return Question(key, kind if kind in QUESTION_TYPES else "checklist", self.text(value.get("text"), where),
                        tuple(items), scale if kind == "scale" else None, weight)
