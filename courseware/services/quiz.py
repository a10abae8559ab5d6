"""Quizzes: showing questions without their answers, and grading what a learner submitted.

Kinds of question register in QUESTION_KINDS (STYLE.md convention 9): a kind knows how to present a question
for the form and how to grade the choices submitted for it, so a new kind is one new class, not edits across
the codebase. Course packages have one kind today, "choice": one right answer gives radio buttons, several
give checkboxes, and a question is right only when exactly the right set is chosen.

Choices are identified by an opaque id (a hash of module key, question number and text), never by a position
or a flag, so the page before submission holds nothing that tells right from wrong.

A module's quiz policy (COURSE_FORMAT.md "Quiz policy") says when a result shows the right answers, how many
attempts a learner has per day (services/attempts.py counts them) and whether each attempt asks a few questions
drawn from a larger pool. A drawn set is fixed for the form that shows it: the form carries the drawn question
numbers signed together with its one-time token, the module and the learner, and a changed set is refused.
"""
import hashlib
import hmac
import random
import re
from dataclasses import dataclass

from flask import current_app

from ..content.fields import SHOW_ANSWERS
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


def show_quiz(module, rng: random.Random | None = None, *, pool: bool = False) -> list[ShownQuestion]:
    """The questions for the form, with choices shuffled anew on every call and no answers: a fresh draw when
    the module draws from a pool (pool=True: every question of the pool, in order)."""
    rng = rng or _SHUFFLE
    questions = questions_of(module)
    count = draw_count(module)
    if count and not pool:
        questions = rng.sample(questions, count)
    return [question.show(rng) for question in questions]


# Shuffling only varies where the right answer stands (choice ids tell nothing), and a draw only which questions
# come (the form's signature fixes them), so neither needs cryptographic randomness; the generator is seeded from
# the operating system's randomness when the process starts.
_SHUFFLE = random.Random()


def pass_mark(module) -> float:
    """The share of questions that must be right: the module's own pass mark, else the course's."""
    own = (module.quiz or {}).get("pass_mark")
    return float(own) if own is not None else float(module.version.pass_mark)


def draw_count(module) -> int:
    """How many questions each attempt asks when the module draws them from a pool; 0: every question."""
    return int((module.quiz or {}).get("draw") or 0)


@dataclass(frozen=True)
class Policy:
    """A module's quiz rules: each its own under `quiz:` in the front matter, else the course's [completion]."""

    show_answers: str  # one of SHOW_ANSWERS
    attempts_per_day: int  # 0: no limit

    def reveals(self, passed: bool) -> bool:
        """Whether results show the right choices and explanations to a learner who has (or has not) passed."""
        return self.show_answers == "always" or (self.show_answers == "after-pass" and passed)


def policy(module) -> Policy:
    """The module's quiz policy (versions imported before the policy existed have the defaults)."""
    own, version = module.quiz or {}, module.version
    show = own.get("show_answers") or getattr(version, "show_answers", None) or SHOW_ANSWERS[0]
    limit = own.get("attempts_per_day")
    if limit is None:
        limit = getattr(version, "attempts_per_day", None) or 0
    return Policy(show, int(limit))


def sign_draw(module, user_id: int, token: str, questions: list[ShownQuestion]) -> str:
    """The form's hidden "drawn" value: the numbers of the questions it shows, signed with its one-time token,
    the module and the learner, so that check_draw refuses a form whose set was changed."""
    numbers = ".".join(str(q.index) for q in questions)
    return f"{numbers}.{_draw_mac(module.id, user_id, token, numbers)}"


_DRAWN = re.compile(r"([0-9]{1,4}(?:\.[0-9]{1,4})*)\.([0-9a-f]{32})")


def check_draw(module, user_id: int, token: str, value: str | None) -> list[int] | None:
    """The question numbers a form's "drawn" value names (see sign_draw); None when the value was changed, was
    made for another form, module or learner, or does not fit the module's pool."""
    match = _DRAWN.fullmatch(value or "")
    if match is None or not hmac.compare_digest(match.group(2), _draw_mac(module.id, user_id, token, match.group(1))):
        return None
    numbers = [int(n) for n in match.group(1).split(".")]
    pool = {q.index for q in questions_of(module)}
    if len(numbers) != draw_count(module) or len(set(numbers)) != len(numbers) or not set(numbers) <= pool:
        return None
    return numbers


def _draw_mac(module_id: int, user_id: int, token: str, numbers: str) -> str:
    secret = current_app.secret_key
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    message = f"courseware-quiz-draw\x1f{module_id}\x1f{user_id}\x1f{token}\x1f{numbers}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Grade:
    correct_count: int
    question_count: int
    score: float
    pass_mark: float
    passed: bool
    snapshot: dict


def grade_quiz(module, answers: dict[int, list[str]], drawn: list[int] | None = None) -> Grade:
    """Grade submitted choice ids per question number; score = right questions / questions asked (only the
    `drawn` ones, in their order, when the quiz draws from a pool; answers to others do not count)."""
    questions = questions_of(module)
    if drawn is not None:
        by_index = {q.index: q for q in questions}
        questions = [by_index[index] for index in drawn]
    graded = [dict(q.grade(list(answers.get(q.index) or [])), index=q.index) for q in questions]
    right = sum(1 for g in graded if g["right"])
    total = len(graded)
    score = right / total if total else 0.0
    mark = pass_mark(module)
    return Grade(right, total, score, mark, total > 0 and score + 1e-9 >= mark, {"questions": graded})


def without_right_answers(snapshot: dict) -> dict:
    """An attempt's snapshot with its questions as shown_result shows them unrevealed (the rest as it is)."""
    if not isinstance(snapshot, dict) or "questions" not in snapshot:
        return snapshot
    return {**snapshot, "questions": shown_result(snapshot, reveal=False)}


def shown_result(snapshot: dict, reveal: bool) -> list[dict]:
    """An attempt's graded questions as a learner may see them: whether each was right and what they chose, and
    only when `reveal` (Policy.reveals) which choices are right and the explanations."""
    shown = []
    for q in (snapshot or {}).get("questions", []):
        choices = [{"text": c.get("text", ""), "chosen": bool(c.get("chosen")),
                    **({"correct": bool(c.get("correct"))} if reveal else {})} for c in q.get("choices", [])]
        shown.append({"prompt": q.get("prompt", ""), "right": bool(q.get("right")), "choices": choices,
                      **({"explain": q.get("explain") or ""} if reveal else {})})
    return shown
