"""The digital maturity questionnaire file and the scoring rule, on hand-computed answers (no database)."""
from pathlib import Path

import pytest

from courseware.services import dma_questionnaire as dq
from courseware.services.dma_scoring import is_complete, question_share, score, validate_answer

SHIPPED = Path(dq.__file__).resolve().parent.parent / "data" / "dma" / "dma-1.yaml"


@pytest.fixture(scope="module")
def q1():
    return dq.load(1)


def test_the_shipped_questionnaire_is_sound(q1):
    assert dq.check_all() == []
    assert dq.current_version() == 1
    assert [d.key for d in q1.dimensions] == list(dq.DIMENSIONS)
    types = {q.type for d in q1.dimensions for q in d.questions}
    scales = {q.scale for d in q1.dimensions for q in d.questions if q.type == "scale"}
    assert types == {"checklist", "scale"} and scales == {"adoption", "ternary", "investment"}
    assert [lvl.value for lvl in q1.scales["adoption"]] == [0, 1, 2, 3, 4, 5]
    # Every text in every language.
    for dimension in q1.dimensions:
        for lang in dq.LANGUAGES:
            assert dimension.title.get(lang) and dimension.advice.get(lang)


def test_bands(q1):
    assert [q1.band(s).key for s in (0, 25, 25.9, 26, 50, 51, 75.5, 76, 100)] == [
        "basic", "basic", "basic", "average", "average", "moderate", "moderate", "advanced", "advanced"]


def test_checklist_share_with_a_negative_item(q1):
    question = q1.question("q7_data")  # seven items of weight 1 and "not collected digitally" at -1
    assert question_share(q1, question, []) == 0
    assert question_share(q1, question, ["policy", "stored"]) == pytest.approx(2 / 7)
    assert question_share(q1, question, ["policy", "stored", "not_digital"]) == pytest.approx(1 / 7)
    assert question_share(q1, question, ["not_digital"]) == 0  # never below 0


def test_scale_share(q1):
    question = q1.question("q9_ai")  # five items on the 0-5 scale, points = value / 5
    assert question_share(q1, question, {"nlp": 5, "vision": 0, "speech": 3, "robotics": 1, "bi": 1}) == \
        pytest.approx((1 + 0 + 0.6 + 0.2 + 0.2) / 5)
    assert question_share(q1, question, {"nlp": 5}) == pytest.approx(0.2)  # unanswered items count 0


def hand_answers():
    """Answers whose scores were computed by hand below."""
    return {
        # strategy: q1 investment 4 invested (1) + 2 planning (0.5) of 10 -> 5/10 = 0.5; q2 3 of 10 -> 0.3
        "q1_investment": {"design": 2, "planning": 2, "operations": 2, "collaboration": 2, "logistics": 1,
                          "marketing": 1, "delivery": 0, "admin": 0, "security": 0, "finance": 0},
        "q2_readiness": ["needs", "financing", "management"],
        # readiness: q3 all 10 -> 1.0; q4 all "3 testing" -> 0.6
        "q3_basic": ["connectivity", "website", "forms", "chat", "ecommerce", "emarketing", "egov", "remote",
                     "intranet", "erp"],
        "q4_advanced": {"twins": 3, "vr": 3, "cad": 3, "mes": 3, "iot": 3, "blockchain": 3, "additive": 3},
        # human: q5 nothing -> 0; q6 4 of 8 -> 0.5
        "q5_skills": [],
        "q6_engagement": ["awareness", "communication", "acceptance", "codesign"],
        # data: q7 (policy, stored, not_digital) -> (1 + 1 - 1) / 7; q8 6 of 6 -> 1
        "q7_data": ["policy", "stored", "not_digital"],
        "q8_security": ["policy", "customers", "training", "monitoring", "backup", "continuity"],
        # automation: (5 + 0 + 3 + 1 + 1) / 5 / 5 = 0.4
        "q9_ai": {"nlp": 5, "vision": 0, "speech": 3, "robotics": 1, "bi": 1},
        # green: q10 5 of 10 -> 0.5; q11 yes, partly, partly, no, yes -> (1 + .5 + .5 + 0 + 1) / 5 = 0.6
        "q10_uses": ["model", "services", "products", "production", "emissions"],
        "q11_practices": {"strategy": 2, "ems": 1, "procurement": 1, "energy_it": 0, "recycling": 2},
    }


def test_scores_of_hand_computed_answers(q1):
    result = score(q1, hand_answers())
    expected = {
        "strategy": 40.0,  # (0.5 + 0.3) / 2
        "readiness": 80.0,  # (1.0 + 0.6) / 2
        "human": 25.0,  # (0 + 0.5) / 2
        "data": 57.1,  # (1/7 + 1) / 2 = 0.5714
        "automation": 40.0,
        "green": 55.0,  # (0.5 + 0.6) / 2
    }
    assert result.dimensions == expected
    # (40 + 80 + 25 + 57.142857 + 40 + 55) / 6 = 49.5238
    assert result.overall == 49.5
    assert q1.band(result.dimensions["human"]).key == "basic"
    assert q1.band(result.dimensions["readiness"]).key == "advanced"


def test_no_answers_score_zero(q1):
    result = score(q1, {})
    assert set(result.dimensions.values()) == {0.0} and result.overall == 0.0


def test_validate_answer(q1):
    checklist = q1.question("q2_readiness")
    assert validate_answer(checklist, ["risk", "needs"], ()) == ["needs", "risk"]  # questionnaire order
    assert validate_answer(checklist, ["nope"], ()) is None
    assert validate_answer(checklist, "needs", ()) is None
    scale = q1.question("q9_ai")
    levels = q1.scales["adoption"]
    assert validate_answer(scale, {"bi": 5, "nlp": 0}, levels) == {"nlp": 0, "bi": 5}
    for bad in ({"bi": 6}, {"bi": True}, {"x": 1}, {"bi": "5"}, [1]):
        assert validate_answer(scale, bad, levels) is None
    assert not is_complete(scale, {"bi": 5})
    assert is_complete(scale, {i.key: 0 for i in scale.items})
    assert is_complete(checklist, []) and not is_complete(checklist, None)


def test_a_broken_copy_is_refused_with_clear_messages(tmp_path):
    text = SHIPPED.read_text(encoding="utf-8")
    broken = (text.replace("version: 1", "version: one", 1)
                  .replace("  - key: green\n", "  - key: greenish\n", 1)
                  .replace("scale: ternary", "scale: fivepoint", 1)
                  .replace('nn: "Ikkje i bruk", ', "", 1)
                  .replace("weight: -1", "weight: minus", 1))
    path = tmp_path / "dma-1.yaml"
    path.write_text(broken, encoding="utf-8")
    problems = dq.check_file(path)
    joined = "\n".join(problems)
    assert "version: must be a whole number from 1" in joined
    assert "unknown dimension 'greenish'" in joined
    assert "dimensions: missing: green" in joined
    assert "scale must name one of the scales" in joined
    assert "scales.adoption[0].label: the text in nn is missing" in joined
    assert "must be a number" in joined
    assert dq.check_file(tmp_path / "absent.yaml")[0].startswith("cannot read the file")
    path.write_text("version: [1\n", encoding="utf-8")
    assert dq.check_file(path)[0].startswith("not valid YAML")
