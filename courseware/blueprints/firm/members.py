"""The firm's members: requests to join and their answers, removing a member, handing over the contact role."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ...errors import Conflict, InvalidInput
from ...extensions import db
from ...services import firms, membership
from . import bp, firm_url
from .forms import ConfirmForm, HandOverForm, show_error


@bp.route("/requests", defaults={"firm_id": None})
@bp.route("/<int:firm_id>/requests")
@login_required
def requests(firm_id):
    firm = firms.get_firm_for(current_user, firm_id, manage=True)
    return render_template("firm/requests.html", firm=firm, listing=membership.list_requests(current_user, firm),
                           form=ConfirmForm())


@bp.route("/requests/<int:request_id>/approve", methods=["POST"], defaults={"approve": True})
@bp.route("/requests/<int:request_id>/decline", methods=["POST"], defaults={"approve": False})
@login_required
def decide(request_id, approve):
    join_request = membership.get_request(current_user, request_id)
    firm, name = join_request.firm, join_request.user.name
    back = firm_url(".requests", firm)
    if not ConfirmForm().validate_on_submit():
        return redirect(back)
    try:
        membership.decide_request(current_user, request_id, approve)
    except Conflict as conflict:  # answered in another tab, or the person joined another firm meanwhile
        db.session.rollback()
        flash(conflict.message, "error")
        return redirect(back)
    db.session.commit()
    if approve:
        flash(_("%(name)s is now a member of %(firm)s.", name=name, firm=firm.name), "success")
    else:
        flash(_("You declined the request from %(name)s.", name=name), "success")
    return redirect(back)


@bp.route("/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id):
    if ConfirmForm().validate_on_submit():
        withdrawn = membership.withdraw_request(current_user, request_id)
        firm_name = withdrawn.firm.name
        db.session.commit()
        flash(_("Your request to join %(firm)s is withdrawn.", firm=firm_name), "success")
    return redirect(url_for(".index"))


@bp.route("/members/<int:user_id>/remove", methods=["GET", "POST"], defaults={"firm_id": None})
@bp.route("/<int:firm_id>/members/<int:user_id>/remove", methods=["GET", "POST"])
@login_required
def remove(firm_id, user_id):
    firm = firms.get_firm_for(current_user, firm_id, manage=True)
    member = firms.get_visible_member(current_user, firm, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        membership.remove_member(current_user, firm, member.id)
        db.session.commit()
        flash(_("%(name)s is no longer a member of %(firm)s.", name=member.name, firm=firm.name), "success")
        return redirect(firm_url(".index", firm))
    return render_template("firm/remove.html", firm=firm, member=member, form=form)


@bp.route("/contact", methods=["GET", "POST"], defaults={"firm_id": None})
@bp.route("/<int:firm_id>/contact", methods=["GET", "POST"])
@login_required
def hand_over(firm_id):
    firm = firms.get_firm_for(current_user, firm_id, manage=True)
    candidates = membership.list_possible_contacts(current_user, firm)
    form = HandOverForm(candidates=candidates)
    if form.validate_on_submit():
        try:
            new = membership.hand_over_contact(current_user, firm, form.user_id.data)
        except InvalidInput as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is now the contact person of %(firm)s.", name=new.name, firm=firm.name), "success")
            return redirect(firm_url(".index", firm))
    return render_template("firm/hand_over.html", firm=firm, form=form, candidates=candidates)
