""""Mitt verkstedpass": the resident's machine permissions at the libraries' maker spaces, with the pass's QR code
that the desk scans."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import InvalidInput
from ...extensions import db
from ...services import workshop, workshop_desk
from ...services.certificate_pdf import qr_svg
from ..studio.workshop_forms import BirthYearForm
from . import bp


@bp.route("/workshop-pass", methods=["GET", "POST"])
@login_required
def workshop_pass():
    form = BirthYearForm()
    if form.validate_on_submit():
        try:
            workshop.set_birth_year(current_user, form.birth_year.data)
        except InvalidInput as problem:
            db.session.rollback()
            form.birth_year.errors = [problem.message]
        else:
            db.session.commit()
            flash(_("Your year of birth is saved."), "success")
            return redirect(url_for(".workshop_pass"))
    page = workshop_desk.my_pass(current_user)
    if not form.is_submitted() and page.birth_year:
        form.birth_year.data = str(page.birth_year)
    db.session.commit()  # the pass is made on the first visit
    return render_template("learner/workshop_pass.html", page=page, qr=qr_svg(page.url), form=form)
