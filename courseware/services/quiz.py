"""Quizzes: showing questions without their answers, and grading what a learner submitted.

Kinds of question register in QUESTION_KINDS (STYLE.md convention 9): a kind knows how to present a question
for the form and how to grade the choices submitted for it, so a new kind is one new class, not edits across
the codebase. Course packages have one kind today, "choice": one right answer gives radio buttons, several
give checkboxes, and a question is right only when exactly the right set is chosen.

Choices are identified by an opaque id (a hash of module key, question number and text), never by a position
or a flag, so the page before submission holds nothing that tells right from wrong.
"""
import hashlib
import random
from dataclasses import dataclass

from .randompool import token_hex

TOKEN_BYTES = 16
QUESTION_KINDS: dict[str, type] = {}


def question_kind(name: str):
    """Register a question kind under `name` (the question's "kind" field; "choice" by default)."""

    def register(cls):
        QUESTION_KINDS[name] = cls
        return cls

    return register


@dataclass(frozen=True)
class Choice:
    id: str
    text: str


@dataclass(frozen=True)
class ShownQuestion:
    """A question as the form shows it: no answers, choices in a fresh random order."""

    index: int
    prompt: str
    choices: list[Choice]
    multiple: bool

    @property
    def field(self) -> str:
        return f"q{self.index}"


def choice_id(module_key: str, index: int, text: str) -> str:
    """The opaque id of a choice; the same for right and wrong answers alike, so it tells nothing."""
    return hashlib.sha256(f"{module_key}\x1f{index}\x1f{text}".encode()).hexdigest()[:12]


@question_kind("choice")
class ChoiceQuestion:
    """Pick the right answer (radio buttons) or every right answer (checkboxes)."""

    def __init__(self, module_key: str, index: int, data: dict):
        self.index = index
        self.prompt = str(data.get("prompt", ""))
        self.explain = str(data.get("explain") or "")
        self.correct = _unique(str(c) for c in data.get("correct") or [])
        self.wrong = [w for w in _unique(str(w) for w in data.get("wrong") or []) if w not in self.correct]
        self.ids = {text: choice_id(module_key, index, text) for text in self.correct + self.wrong}

    def show(self, rng: random.Random) -> ShownQuestion:
        choices = [Choice(self.ids[text], text) for text in self.correct + self.wrong]
        rng.shuffle(choices)
        return ShownQuestion(self.index, self.prompt, choices, multiple=len(self.correct) > 1)

    def grade(self, chosen_ids: list[str]) -> dict:
        chosen = set(chosen_ids)
        right_ids = {self.ids[text] for text in self.correct}
        choices = [
            {"id": self.ids[text], "text": text, "correct": text in self.correct, "chosen": self.ids[text] in chosen}
            for text in sorted(self.correct + self.wrong, key=str.casefold)
        ]
        return {"prompt": self.prompt, "explain": self.explain, "right": chosen == right_ids, "choices": choices}


def _unique(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def _questions(module_key: str, quiz: dict | None) -> list:
    questions = []
    for index, data in enumerate((quiz or {}).get("questions") or []):
        kind = QUESTION_KINDS.get(data.get("kind", "choice"))
        if kind is not None:
            questions.append(kind(module_key, index, data))
    return questions


def new_token() -> str:
    """A one-time token for one display of the quiz form; submitting it twice counts once."""
    return token_hex(TOKEN_BYTES)


def is_token(value: str | None) -> bool:
    """Whether `value` looks like a token from new_token (anything else is refused before touching the database)."""
    return bool(value) and len(value) == TOKEN_BYTES * 2 and all(c in "0123456789abcdef" for c in value)


def questions_of(module) -> tuple:
    """The module's questions, parsed (a catalogue.ModuleView keeps them parsed: it never changes)."""
    parsed = getattr(module, "parsed_questions", None)
    return parsed if parsed is not None else tuple(_questions(module.key, module.quiz))


def show_quiz(module, rng: random.Random | None = None) -> list[ShownQuestion]:
    """The module's questions for the form, with choices shuffled anew on every call and no answers."""
    rng = rng or _SHUFFLE
    return [question.show(rng) for question in questions_of(module)]


# Shuffling only varies where the right answer stands (choice ids tell nothing), so it needs no cryptographic
# randomness; the generator is seeded from the operating system's randomness when the process starts.
_SHUFFLE = random.Random()


def pass_mark(module) -> float:
    """The share of questions that must be right: the module's own pass mark, else the course's."""
    own = (module.quiz or {}).get("pass_mark")
    return float(own) if own is not None else float(module.version.pass_mark)


@dataclass(frozen=True)
class Grade:
    correct_count: int
    question_count: int
    score: float
    pass_mark: float
    passed: bool
    snapshot: dict


def grade_quiz(module, answers: dict[int, list[str]]) -> Grade:
    """Grade submitted choice ids per question number; score = right questions / questions."""
    graded = [q.grade(list(answers.get(q.index) or [])) for q in _questions(module.key, module.quiz)]
    right = sum(1 for g in graded if g["right"])
    total = len(graded)
    score = right / total if total else 0.0
    mark = pass_mark(module)
    return Grade(right, total, score, mark, total > 0 and score + 1e-9 >= mark, {"questions": graded})
