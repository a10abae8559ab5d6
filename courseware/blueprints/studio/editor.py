"""Studio pages: the course editor (issue 11). Create a course, edit its settings and module list, edit a module
with a live preview, and the JSON endpoints the editor's script uses (preview, autosave).

The rules live in services/course_editor.py and services/module_editor.py; forms in editor_forms.py.
"""
import re

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ...content.package import MANIFEST
from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...services import course_editor, drafts, module_editor
from ...web.inputs import optional_id
from . import bp
from .editor_forms import (MAX_PARTNER_ROWS, MAX_QUESTION_ROWS, ActionForm, AddModuleForm, CourseForm, ModuleForm,
                           RenameModuleForm, SourceForm)


def _revision(form) -> int:
    revision = optional_id(form.base_revision.data)
    if revision is None:
        raise InvalidInput(_("The form had expired. Reload the page and try again."))
    return revision


def _field_error(form, error: InvalidInput) -> None:
    """Show a service's InvalidInput next to its field (or at the top of the page)."""
    name = error.details.get("field")
    if name and name in form:
        form[name].errors = [*form[name].errors, error.message]
    else:
        flash(error.message, "error")


# --- a new course -----------------------------------------------------------------------------------------------

@bp.route("/new", methods=["GET", "POST"])
def new_course():
    providers = course_editor.list_providers(current_user)
    form = CourseForm()
    form.setup(course_editor.requires_choices(), providers if current_user.is_admin else None, new=True)
    if request.method == "POST" and _add_partner_row(form):
        return render_template("studio/new_course.html", form=form)
    if form.validate_on_submit():
        provider_id = optional_id(form.provider_id.data) if "provider_id" in form else (
            providers[0].id if providers else None)
        try:
            draft = course_editor.create_course(current_user, form.values(), provider_id)
        except InvalidInput as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The course is created as a draft. Learners see it once it is published."), "success")
            return redirect(url_for(".edit_course", slug=draft.slug))
    return render_template("studio/new_course.html", form=form)


def _add_partner_row(form) -> bool:
    """"Add a partner" (works without JavaScript): the same form again with one more empty row."""
    if "add_partner" not in request.form:
        return False
    if len(form.partners) < MAX_PARTNER_ROWS:
        form.partners.append_entry()
    return True


# --- the draft's home: settings and modules ---------------------------------------------------------------------

def _home(slug, form=None, source_form=None, add_form=None, conflict=None, status=200):
    home = course_editor.course_home(current_user, slug)
    unsaved = (form is not None or source_form is not None) and not conflict  # a posted form shown again
    if form is None and source_form is None:
        if home.settings is not None:
            form = CourseForm(formdata=None, data=CourseForm.data_from(home.settings, home.manifest.revision))
        else:
            manifest = home.manifest  # None only for a draft that lost its course.toml: typing one makes it
            source_form = SourceForm(formdata=None, data={"source": manifest.text if manifest else "",
                                                          "base_revision": manifest.revision if manifest else 1})
    if form is not None:
        form.setup(home.requires, new=False)
    if home.started:
        db.session.commit()
    return render_template("studio/edit_course.html", home=home, form=form, source_form=source_form,
                           add_form=add_form or AddModuleForm(formdata=None, prefix="new"),
                           conflict=conflict, unsaved=unsaved), status


def _save(form, save, show):
    """Save through `save(revision)` and commit; None when saved, else the form shown again by `show` (with the
    current revision and a conflict message when someone else saved first, or the service's message at its field)."""
    try:
        save(_revision(form))
    except Conflict as error:
        db.session.rollback()
        form.base_revision.data = error.details.get("revision", form.base_revision.data)
        return show(conflict=error.message, status=409)
    except InvalidInput as error:
        db.session.rollback()
        _field_error(form, error)
        return show()
    db.session.commit()
    return None


@bp.route("/courses/<slug>/edit", methods=["GET", "POST"])
def edit_course(slug):
    if request.method == "GET":
        return _home(slug)
    source = "source" in request.form  # the whole course.toml, when the settings form cannot show it
    form = SourceForm() if source else CourseForm()
    if not source:
        form.setup(course_editor.requires_choices(exclude=slug), new=False)
        if _add_partner_row(form):
            return _home(slug, form=form)

    def show(**more):
        return _home(slug, **{"source_form" if source else "form": form}, **more)

    if not form.validate_on_submit():
        return show()

    def save(revision):
        if source:
            return course_editor.save_manifest_source(current_user, slug, form.source.data or "", revision)
        return course_editor.save_settings(current_user, slug, form.values(), revision)

    refused = _save(form, save, show)
    if refused:
        return refused
    flash(_("course.toml is saved.") if source else _("The course settings are saved."), "success")
    return redirect(url_for(".edit_course", slug=slug))


@bp.route("/courses/<slug>/modules", methods=["POST"])
def add_module(slug):
    form = AddModuleForm(prefix="new")  # the settings form on the same page has a "title" too
    if not form.validate_on_submit():
        return _home(slug, add_form=form)
    try:
        item = course_editor.add_module(current_user, slug, form.title.data)
    except InvalidInput as error:
        db.session.rollback()
        _field_error(form, error)
        return _home(slug, add_form=form)
    db.session.commit()
    flash(_("The module is added."), "success")
    return redirect(url_for(".edit_module", slug=slug, filename=item.path.split("/", 1)[1]))


@bp.route("/courses/<slug>/modules/<filename>/move", methods=["POST"])
def move_module(slug, filename):
    form = ActionForm()
    if form.validate_on_submit():
        course_editor.move_module(current_user, slug, filename, request.form.get("direction", ""))
        db.session.commit()
    return redirect(url_for(".edit_course", slug=slug, _anchor="modules"))


@bp.route("/courses/<slug>/modules/<filename>/rename", methods=["GET", "POST"])
def rename_module(slug, filename):
    page = module_editor.module_page(current_user, slug, filename)
    form = RenameModuleForm(data={"title": page.title, "key": page.key})
    if form.validate_on_submit():
        try:
            item = course_editor.rename_module(current_user, slug, filename, form.title.data, form.key.data or "")
        except InvalidInput as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The module is renamed."), "success")
            return redirect(url_for(".edit_course", slug=slug, _anchor=f"module-{item.path.split('/', 1)[1]}"))
    return render_template("studio/rename_module.html", page=page, form=form)


@bp.route("/courses/<slug>/modules/<filename>/remove", methods=["GET", "POST"])
def remove_module(slug, filename):
    """A confirmation page (GET), then the removal (POST); removing it again is no error (a double click)."""
    form = ActionForm()
    if form.validate_on_submit():
        title = course_editor.remove_module(current_user, slug, filename)
        db.session.commit()
        flash(_("The module “%(title)s” is removed from the draft.", title=title) if title is not None
              else _("The module was removed already."), "success")
        return redirect(url_for(".edit_course", slug=slug, _anchor="modules"))
    page = module_editor.module_page(current_user, slug, filename)
    return render_template("studio/remove_module.html", page=page, form=form)


# --- the module editor ------------------------------------------------------------------------------------------

def _module(slug, filename, form=None, source_form=None, conflict=None, status=200):
    page = module_editor.module_page(current_user, slug, filename)
    advanced = request.args.get("mode") == "source" or page.values is None
    unsaved = (form is not None or source_form is not None) and not conflict  # a posted form shown again
    if source_form is None and form is None:
        if advanced:
            source_form = SourceForm(formdata=None, data={"source": page.file.text or "",
                                                          "base_revision": page.file.revision})
        else:
            form = ModuleForm(formdata=None, data=ModuleForm.data_from(page.values, page.file.revision))
    return render_template("studio/edit_module.html", page=page, form=form, source_form=source_form,
                           conflict=conflict, unsaved=unsaved), status


@bp.route("/courses/<slug>/modules/<filename>/edit", methods=["GET", "POST"])
def edit_module(slug, filename):
    if request.method == "GET":
        return _module(slug, filename)
    source = "source" in request.form  # the whole file (the advanced editor)
    if not source and ("add_question" in request.form or "remove_question" in request.form):
        return _module(slug, filename, form=_question_rows())
    form = SourceForm() if source else ModuleForm()

    def show(**more):
        return _module(slug, filename, **{"source_form" if source else "form": form}, **more)

    if not form.validate_on_submit():
        return show()
    content = {"source": form.source.data or ""} if source else {"values": form.values()}
    refused = _save(form, lambda rev: module_editor.save_module(current_user, slug, filename, rev, **content), show)
    if refused:
        return refused
    flash(_("The module is saved."), "success")
    return redirect(url_for(".edit_module", slug=slug, filename=filename, **({"mode": "source"} if source else {})))


_QUESTION_FIELD = re.compile(r"^questions-(\d{1,4})-(\w+)$")


def _question_rows() -> ModuleForm:
    """"Add a question" and "Remove" (without JavaScript): the same form again, exactly as typed, with one question
    more or less (the questions renumbered)."""
    rows: dict[int, list] = {}
    pairs = []
    for name, value in request.form.items(multi=True):
        match = _QUESTION_FIELD.match(name)
        if match:
            rows.setdefault(int(match.group(1)), []).append((match.group(2), value))
        elif name not in ("add_question", "remove_question"):
            pairs.append((name, value))
    questions = [rows[index] for index in sorted(rows)]
    remove = optional_id(request.form.get("remove_question"))
    if remove is not None and remove <= len(questions):
        del questions[remove - 1]
    if "add_question" in request.form and len(questions) < MAX_QUESTION_ROWS:
        questions.append([("prompt", "")])
    pairs += [(f"questions-{i}-{field}", value) for i, row in enumerate(questions) for field, value in row]
    return ModuleForm(formdata=MultiDict(pairs))


# --- JSON for the editor's script -------------------------------------------------------------------------------

def _json_body():
    """The request's JSON object, or the reply for a request that is not one (415 not JSON, 422 not an object)."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body, None
    return None, (jsonify(error=_("The request was not understood.")), 422 if request.is_json else 415)


@bp.route("/courses/<slug>/live-preview", methods=["POST"])
def render_preview(slug):
    """The live preview: Markdown in, the learners' HTML out. Rendering in a request is otherwise forbidden
    (STYLE.md §7): this is the one exception, for the provider's staff only, and the renderer's limits still apply."""
    drafts.get_draft_for(current_user, slug)  # who may ask comes before what they asked
    body, refused = _json_body()
    if refused:
        return refused
    text, whole = body.get("body"), body.get("source")
    if not isinstance(text, str) and not isinstance(whole, str):
        return jsonify(error=_("The request was not understood.")), 422
    try:
        result = module_editor.preview(current_user, slug, body=text if isinstance(text, str) else None,
                                       source=whole if isinstance(whole, str) else None, root=request.script_root)
    except InvalidInput as error:
        return jsonify(error=error.message), 422
    return jsonify(result)


@bp.route("/courses/<slug>/autosave", methods=["POST"])
def autosave(slug):
    """Save the editor's form (or the whole file) as JSON: {path, base_revision, fields: [[name, value], ...] or
    source}; replies {revision}, 409 on a conflict, 422 with the field errors when a value cannot be saved."""
    drafts.get_draft_for(current_user, slug)  # who may ask comes before what they asked
    body, refused = _json_body()
    if refused:
        return refused
    path, revision, fields, source = (body.get(k) for k in ("path", "base_revision", "fields", "source"))
    revision = optional_id(revision)
    if not isinstance(path, str) or revision is None or not (isinstance(source, str) or isinstance(fields, list)):
        return jsonify(error=_("The request was not understood.")), 422
    if not isinstance(source, str):
        pairs = [(str(p[0]), str(p[1])) for p in fields if isinstance(p, list) and len(p) == 2]
        form = (CourseForm if path == MANIFEST else ModuleForm)(formdata=MultiDict(pairs), meta={"csrf": False})
        if path == MANIFEST:
            form.setup(course_editor.requires_choices(exclude=slug), new=False)
        if not form.validate():
            return jsonify(error=_("Not saved: correct the marked fields."), fields=form.errors), 422
    try:
        item = _autosave(slug, path, revision, source if isinstance(source, str) else None,
                         None if isinstance(source, str) else form.values())
    except Conflict as error:
        db.session.rollback()
        return jsonify(error=error.message, revision=error.details.get("revision")), 409
    except InvalidInput as error:
        db.session.rollback()
        return jsonify(error=error.message), 422
    db.session.commit()
    return jsonify(revision=item.revision, saved_at=item.updated_at.isoformat())


def _autosave(slug, path, revision, source, values):
    if path == MANIFEST:
        if source is not None:
            return course_editor.save_manifest_source(current_user, slug, source, revision)
        return course_editor.save_settings(current_user, slug, values, revision)
    if not path.startswith(course_editor.MODULES):
        raise InvalidInput(_("Only the course settings and modules are edited here."))
    return module_editor.save_module(current_user, slug, path[len(course_editor.MODULES):], revision,
                                     values=values, source=source)
