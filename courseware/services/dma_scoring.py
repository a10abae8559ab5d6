"""Scoring a digital maturity assessment: plain functions of a questionnaire and the answers (no database).

The rule (README, "Digital maturity"): each question gives a share from 0 to 1.
- checklist: the weights of the ticked items added up, divided by the sum of the positive weights, kept within
  0..1 (a negative item, such as "data is not collected digitally", takes points away);
- scale: the mean of the items' points (the level's `points` in the scale; an item not answered counts 0).
A dimension's score is 100 x the questions' shares averaged with the questions' weights; the overall score is the
mean of the six dimension scores. Scores are rounded to one decimal at the end.
"""
from dataclasses import dataclass

from .dma_questionnaire import Question, Questionnaire


def validate_answer(question: Question, value, levels: tuple) -> list | dict | None:
    """The answer in its stored form, or None when it does not fit the question.

    checklist: a list of ticked item keys (order of the questionnaire, no repeats); scale: {item key: level value}
    for the items answered (a partly answered question is kept, and counts as unfinished).
    """
    item_keys = [item.key for item in question.items]
    if question.type == "checklist":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        if any(v not in item_keys for v in value):
            return None
        return [key for key in item_keys if key in value]
    if not isinstance(value, dict):
        return None
    allowed = {level.value for level in levels}
    answer = {}
    for key, level in value.items():
        if key not in item_keys or isinstance(level, bool) or not isinstance(level, int) or level not in allowed:
            return None
        answer[key] = level
    return {key: answer[key] for key in item_keys if key in answer}


def is_complete(question: Question, value) -> bool:
    """Whether a stored answer answers the whole question (a checklist with nothing ticked is an answer)."""
    if value is None:
        return False
    if question.type == "checklist":
        return isinstance(value, list)
    return isinstance(value, dict) and all(item.key in value for item in question.items)


def question_share(questionnaire: Questionnaire, question: Question, value) -> float:
    """The share (0..1) a question's answer earns; an unanswered question earns 0."""
    if question.type == "checklist":
        ticked = set(value or [])
        possible = sum(item.weight for item in question.items if item.weight > 0)
        earned = sum(item.weight for item in question.items if item.key in ticked)
        return min(1.0, max(0.0, earned / possible))
    points = {level.value: level.points for level in questionnaire.scales[question.scale]}
    answers = value if isinstance(value, dict) else {}
    return sum(points.get(answers.get(item.key), 0.0) for item in question.items) / len(question.items)


@dataclass(frozen=True)
class Scores:
    dimensions: dict  # dimension key -> score 0..100 (one decimal), in questionnaire order
    overall: float


def score(questionnaire: Questionnaire, answers: dict) -> Scores:
    """The scores of an assessment's answers ({question key: stored value})."""
    raw = {}
    for dimension in questionnaire.dimensions:
        total_weight = sum(q.weight for q in dimension.questions)
        earned = sum(q.weight * question_share(questionnaire, q, answers.get(q.key)) for q in dimension.questions)
        raw[dimension.key] = 100 * earned / total_weight
    overall = sum(raw.values()) / len(raw) if raw else 0.0
    return Scores({key: round(value, 1) for key, value in raw.items()}, round(overall, 1))
