"""With CSRF protection on (as in production), every learning form carries a token and a forged POST fails."""
import re

import pytest

from courseware.extensions import db
from courseware.models import Enrolment, ModuleProgress

from .learning_factory import make_course, make_firm


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_forms_carry_a_token_and_a_forged_post_fails(client, login, make_user):
    make_course("kurs")
    login(make_user("learner", firm_id=make_firm().id))
    assert client.post("/me/courses/kurs/enrol").status_code == 400
    assert db.session.query(Enrolment).count() == 0

    page = client.get("/courses/kurs").get_data(as_text=True)
    assert client.post("/me/courses/kurs/enrol", data={"csrf_token": _token(page)}).status_code == 302
    module_page = client.get("/courses/kurs/sensorer").get_data(as_text=True)
    # Read, two tasks and the quiz: each form has its token.
    assert module_page.count('name="csrf_token"') >= 4 + 1  # (+1: the language form in the footer)
    assert client.post("/me/courses/kurs/sensorer/read").status_code == 400
    assert client.post("/me/courses/kurs/sensorer/read", data={"csrf_token": _token(module_page)}).status_code == 302
    assert db.session.query(ModuleProgress).count() == 1
