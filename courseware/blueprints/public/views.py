"""Public pages: the catalogue, course pages, module pages, course assets, language and privacy."""
from datetime import date

from flask import abort, current_app, get_template_attribute, redirect, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user

from ...errors import NotFound
from ...extensions import db
from ...web.page_shell import shells
from ...services import catalogue, module_page, progress, quiz
from ..auth import parse_session_id
from ...web.inputs import page_number
from ...web.media import media_response
from ...web.next_url import safe_next
from . import bp


@bp.route("/")
def index():
    filters = catalogue.CatalogueFilters.from_args(request.args)
    page = catalogue.list_courses(filters, page=page_number(),
                                  per_page=current_app.config["PAGE_SIZE"])
    return render_template("public/index.html", page=page, filters=filters,
                           options=catalogue.list_filter_options())


@bp.route("/courses/<slug>")
def course(slug):
    course = catalogue.get_course(slug)
    version = course.current_version
    return render_template(
        "public/course.html", course=course, version=version,
        modules=catalogue.list_modules(version),
        required=catalogue.list_required_courses(version),
        state=progress.course_page_state(current_user, course) if current_user.is_authenticated else None,
    )


@bp.route("/courses/<slug>/<key>")
def module(slug, key):
    # The most viewed page: one query reads the module, the learner's state and (for Flask-Login) the user's row.
    # Flask-Login still decides who is logged in (session protection, remember cookie) before anything is shown.
    session_id = parse_session_id(session.get("_user_id"))  # Flask-Login's id (User.get_id)
    session_user_id = session_id.user_id
    found = not_found = None
    if session_user_id is not None and session_id.login_id is not None:
        try:
            found = module_page.module_page(session_user_id, slug, key, login_id=session_id.login_id)
        except NotFound as error:
            not_found = error
    user = current_user._get_current_object()  # one lookup through the proxy, not five
    if not user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not_found is not None:
        raise not_found
    if found is None or user.id != session_user_id:
        found = module_page.module_page(user.id, slug, key)
    module, state = found
    version = module.version
    # The learner's part is the same for everyone in the same state, but for the quiz's token, shuffled choices
    # and (from a pool) drawn questions.
    module_key = (module.id, module.render_hash, version.id, version.source_hash, version.course.slug)
    quiz_holes = {"quiz_token": "", "quiz_questions": "", "quiz_drawn": ""}
    if state is not None and state.questions:
        quiz_holes = {"quiz_token": state.quiz_token, "quiz_questions": _quiz_html(module, state.questions),
                      "quiz_drawn": state.quiz_drawn}
    activity = shells().fragment(
        "learner/_module_activity.html",
        module_key + (bool(user.firm_id), user.email_verified, state.fragment_key() if state is not None else None),
        holes=quiz_holes, module=module, version=version, course=version.course, state=state,
    )
    # The rest of the page depends only on the module, the language and the menu (role, in a firm or not).
    shell_key = module_key + (user.role, user.firm_id is not None)
    return shells().render(
        "public/module.html", shell_key, holes={"activity": activity}, module=module, version=version,
        course=version.course, previous=module.previous, following=module.following,
    )


def _quiz_html(module, questions) -> str:
    """The quiz's questions with their choices in this view's shuffled order, from parts rendered once per module
    and language (learner/_quiz_questions.html)."""
    parts = shells().cached(("quiz", module.id, module.render_hash, str(get_locale())),
                            lambda: _quiz_parts(module))
    html = []
    for number, q in enumerate(questions, start=1):
        start, choices = parts[q.index]
        html.append(start.replace("\x00", str(number), 1))
        html.extend(choices[c.id] for c in q.choices)
        html.append("\n        </fieldset>")
    return "".join(html)


def _quiz_parts(module) -> dict:
    """{question index: (opening with a NUL where the number goes, {choice id: label})} for the module's quiz."""
    start = get_template_attribute("learner/_quiz_questions.html", "question_start")
    choice = get_template_attribute("learner/_quiz_questions.html", "choice")
    parts = {}
    for q in quiz.show_quiz(module, pool=True):
        parts[q.index] = ("\n" + str(start(q, "\x00")), {c.id: "\n" + str(choice(q, c)) for c in q.choices})
    return parts


@bp.route("/courses/<slug>/assets/<path:path>")
def asset(slug, path):
    found = catalogue.find_asset(slug, path)
    if found is None:
        abort(404)
    max_age = current_app.config["ASSET_MAX_AGE"]
    return media_response(found.sha256, found.content_type, cache_control=f"public, max-age={max_age}, immutable",
                          filename=path.rsplit("/", 1)[-1], max_age=max_age, may_redirect=True)


@bp.route("/privacy")
def privacy():
    return render_template("public/privacy.html")


# When the accessibility statement was last reviewed against the platform (update it with the statement).
ACCESSIBILITY_REVIEWED = date(2026, 12, 3)


@bp.route("/accessibility")
def accessibility():
    contact = current_app.config.get("ACCESSIBILITY_CONTACT") or current_app.config.get("PRIVACY_CONTACT")
    return render_template("public/accessibility.html", contact=contact, reviewed=ACCESSIBILITY_REVIEWED)


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")))
