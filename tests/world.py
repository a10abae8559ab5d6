"""A small world in which every route of the app has something to work on, for the tests that visit every route
(tests/test_security.py's CSRF check and tests/test_fuzz_routes.py): a course with tasks and a quiz, a firm with
its contact person, an author, a funder, an admin, a kept bulk upload, a quiz attempt, a learner's and a firm's
certificate, and valid links (reset, setup, invitation).

`world.url(rule)` fills a rule's path arguments with things that exist, and `world.persona_for(endpoint)` names
who may use the route. A new route whose argument this file does not know fails those tests with a message saying
what to add to ARGUMENTS, so every new route is covered from the day it exists.
"""
from dataclasses import dataclass, field

from sqlalchemy import select

from courseware.extensions import db
from courseware.models import BulkUpload, FirmInvitation, Module, StaffInvitation, utcnow
from courseware.services import (accounts, api_tokens, certificates, dma, enrolment, invitations, learning,
                                 membership, outbox, quiz, verification, workshop)

from .health_support import head, stamp
from .learning_factory import VALID_ORGNRS, answers_for, get_module, load, make_course, make_firm

FIRM_ORGNR, FREE_ORGNR = VALID_ORGNRS[0], VALID_ORGNRS[2]  # a registered firm, and a valid number nobody has used
MODULE_KEY = "sensorer"  # the module with two tasks and a quiz

# Who may use which route: the endpoint's own entry, else its blueprint's.
PERSONA_BY_ENDPOINT = {
    "auth.logout": "learner",
    "firm.register": "newcomer",
    "firm.register_details": "newcomer",
    "firm.join": "invitee",
    "firm.leave": "learner",
    "firm.withdraw": "asker",
    "learner.firm_enrol": "contact",
    "learner.security_start": "admin",  # two-step login is for staff (admin, funder, author)
    "learner.security_confirm": "admin",
    "learner.security_disable": "admin",
    "learner.security_recovery_codes": "admin",
    # a library's maker space: its staff (an author of a provider of kind "library")
    **{f"studio.workshop_{name}": "librarian" for name in (
        "index", "add_machine", "remove_machine", "course", "desk", "resident", "sign_off", "withdraw", "report",
        "report_export")},
    "public.asset": "anonymous",
    "public.index": "anonymous",
    "public.privacy": "anonymous",
    "static": "anonymous",
}
PERSONA_BY_BLUEPRINT = {
    "auth": "anonymous", "admin": "admin", "studio": "author", "firm": "contact", "learner": "learner",
    "public": "learner", "badges": "anonymous", "verify": "anonymous", "api": "anonymous", "reports": "funder",
    "health": "anonymous",
}
PERSONAS = ("anonymous", "learner", "newcomer", "contact", "author", "funder", "admin", "librarian")
WORKSHOP_COURSE = "verksted"  # the library's machine course
# Not fresh accounts each time: the one person whose request to join `World.withdraw_request_id` is, and the one
# the invitation was sent to (an invitation works only for its own address).
ASKER, INVITEE = "asker", "invitee"

# Path arguments by name (a function of the world), and by endpoint for the names that mean different things.
ARGUMENTS = {
    "slug": lambda w: w.course_slug,
    "key": lambda w: MODULE_KEY,
    "index": lambda w: 0,
    "attempt_id": lambda w: w.attempt_id,
    "upload_id": lambda w: w.upload_id,
    "firm_id": lambda w: w.firm_id,
    "user_id": lambda w: w.users["learner"].id,
    "provider_id": lambda w: w.provider_id,
    "request_id": lambda w: w.request_id,
    "orgnr": lambda w: FREE_ORGNR,
    "path": lambda w: "bilde.png",
    "filename": lambda w: "css/app.css",
    "provider_slug": lambda w: w.provider_slug,
    "number": lambda w: 0,
    "certificate_id": lambda w: w.certificate_id,
    "firm_certificate_id": lambda w: w.firm_certificate_id,
    "code": lambda w: w.certificate_code,  # the graduate's certificate (its provider is the author's)
    "table": lambda w: "municipality",  # a report table (/reports/export/<table>.<kind>)
    "kind": lambda w: "xlsx",
    "token_id": lambda w: w.api_token_id,
    "invitation_id": lambda w: w.staff_invitation_id,
    "message_id": lambda w: w.mail_message_id,
    "assessment_id": lambda w: w.dma_assessment_id,  # the firm's open digital maturity assessment
    "dimension": lambda w: "strategy",
    "machine_id": lambda w: w.machine_id,  # the library's machine, its course and a resident's sign-off for it
    "permission_id": lambda w: w.permission_id,
}
ARGUMENTS_BY_ENDPOINT = {
    ("auth.reset_password", "token"): lambda w: w.tokens["reset"],
    ("auth.setup", "token"): lambda w: w.tokens["setup"],
    ("auth.confirm_email", "token"): lambda w: w.tokens["confirm"],
    ("firm.join", "token"): lambda w: w.tokens["invitation"],
    ("firm.withdraw", "request_id"): lambda w: w.withdraw_request_id,
    ("firm.remove", "user_id"): lambda w: w.new_user("learner").id,  # a member still there to remove, every time
    ("firm.certificate_pdf", "code"): lambda w: w.firm_certificate_code,
    ("auth.staff_invitation", "token"): lambda w: w.tokens["staff_invitation"],
    ("admin.provider", "slug"): lambda w: w.provider_slug,
    ("admin.invite_staff", "slug"): lambda w: w.provider_slug,
    ("admin.revoke_staff_invitation", "slug"): lambda w: w.provider_slug,
    ("admin.remove_author", "slug"): lambda w: w.provider_slug,
    ("admin.remove_author", "user_id"): lambda w: w.new_user("author").id,
    ("public.provider_logo", "slug"): lambda w: w.provider_slug,
    ("studio.restore", "number"): lambda w: 1,  # the course's first (and only) version
    ("studio.version_module", "number"): lambda w: 1,
    ("studio.version_zip", "number"): lambda w: 1,
    ("studio.version_asset", "number"): lambda w: 1,
    # the studio editor: a module of the course's draft (removing one removes one of its own, so the others stay)
    ("studio.edit_module", "filename"): lambda w: "01-intro.md",
    ("studio.rename_module", "filename"): lambda w: "01-intro.md",
    ("studio.move_module", "filename"): lambda w: "01-intro.md",
    ("studio.remove_module", "filename"): lambda w: "09-fjern.md",
    ("studio.preview", "key"): lambda w: "intro",  # a module of the draft (01-intro.md)
    ("studio.workshop_course", "slug"): lambda w: WORKSHOP_COURSE,
    ("studio.workshop_report_export", "table"): lambda w: "machines",
    ("studio.workshop_resident", "user_id"): lambda w: w.resident_id,
    ("studio.workshop_sign_off", "user_id"): lambda w: w.resident_id,
}
# Form fields without which a route answers before doing anything (a 404 for no course, a 400 for no quiz token).
FORM_DATA_BY_ENDPOINT = {
    "learner.firm_enrol": lambda w: {"course": w.course_slug},
    "learner.submit_quiz": lambda w: {"token": quiz.new_token()},
    "admin.create_api_token": lambda w: {"name": "Ruteprøven", "scopes": "reports:read"},
    "firm.maturity_autosave": lambda w: {"question": "q2_readiness", "value": '["needs"]'},
}


@dataclass
class World:
    course_slug: str
    firm_id: int
    provider_id: int
    upload_id: int = 0
    attempt_id: int = 0
    request_id: int = 0  # a pending request to join the firm, for its contact person to decide
    withdraw_request_id: int = 0  # another one, which its asker (persona "asker") may withdraw
    certificate_id: int = 0  # a graduate's certificate for the course, and the firm's
    firm_certificate_id: int = 0
    certificate_code: str = ""  # their codes as stored (without dashes)
    firm_certificate_code: str = ""
    provider_slug: str = ""  # the course's provider (its issuer profile and status lists)
    api_token_id: int = 0  # an API token (the admin's token pages)
    staff_invitation_id: int = 0  # an invitation to be an author for the course's provider
    mail_message_id: int = 0  # a failed e-mail in the outbox (the admin's mail page can retry it)
    dma_assessment_id: int = 0  # the firm's open digital maturity assessment (its contact persons fill it in)
    library_id: int = 0  # a library (its staff: persona "librarian") with a machine its course grants
    machine_id: int = 0
    resident_id: int = 0  # a resident who completed the library's course and was signed off
    permission_id: int = 0
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    make_user: object = None

    def args(self, rule) -> dict:
        """Values for the rule's path arguments that name things that exist."""
        values = {}
        for name in sorted(rule.arguments - set(rule.defaults or ())):  # defaults: /approve and /decline
            make = ARGUMENTS_BY_ENDPOINT.get((rule.endpoint, name)) or ARGUMENTS.get(name)
            assert make is not None, (
                f"{rule.endpoint} {rule.rule}: tests/world.py does not know the path argument {name!r}; add what it "
                f"should be to ARGUMENTS (or ARGUMENTS_BY_ENDPOINT) so the route-wide tests cover this route")
            values[name] = make(self)
        return values

    def url(self, rule) -> str:
        """The rule itself (one endpoint may have several rules) with its arguments filled in."""
        return rule.build(self.args(rule))[1]

    def form_data(self, endpoint: str) -> dict:
        """Fields a route needs before it does anything at all (which course; the quiz form's one-time token)."""
        make = FORM_DATA_BY_ENDPOINT.get(endpoint)
        return make(self) if make else {}

    def new_user(self, persona: str):
        """A fresh account of this persona (None for anonymous), for a test that may change it."""
        if persona == "anonymous":
            return None
        if persona in (ASKER, INVITEE):
            return self.users[persona]
        make = self.make_user
        if persona in ("learner", "contact"):
            user = make("learner", firm_id=self.firm_id, is_firm_contact=persona == "contact")
            enrolment.enrol(user, load_course(self.course_slug))
            db.session.commit()
            return user
        if persona == "newcomer":
            return make("learner")
        if persona == "author":
            return make("author", provider_id=self.provider_id)
        if persona == "librarian":
            return make("author", provider_id=self.library_id)
        return make(persona)


def persona_for(endpoint: str) -> str:
    return PERSONA_BY_ENDPOINT.get(endpoint) or PERSONA_BY_BLUEPRINT.get(endpoint.partition(".")[0], "learner")


def load_course(slug: str):
    from courseware.services.catalogue import get_course

    return get_course(slug)


def build_world(make_user) -> World:
    """Everything the routes need, committed; one user per persona in `world.users`."""
    course = make_course("kurs", title="Kurs for alle ruter",
                         certificate={"enabled": True, "signer_name": "Kari", "signer_title": "", "valid_years": 0})
    firm = make_firm(FIRM_ORGNR, "Ruteprøven AS")
    firm.verified_via, firm.verified_at = "admin", utcnow()  # so its contact person may answer requests to join
    _keep_sources(course)
    world = World(course_slug=course.slug, firm_id=firm.id, provider_id=course.provider_id, make_user=make_user)
    _library(world, make_user)
    for persona in PERSONAS:
        world.users[persona] = world.new_user(persona)
    learner = world.users["learner"]
    module = get_module(course, MODULE_KEY)
    attempt = learning.submit_quiz(learner, module, answers_for(module), quiz.new_token()).attempt
    world.attempt_id = attempt.id
    upload = BulkUpload(course_id=course.id, uploaded_by_id=world.users["author"].id, filename="liste.csv",
                        content=f"Navn;E-post;Orgnr\nNy Person;ny.person@example.no;{FIRM_ORGNR}\n")
    db.session.add(upload)
    token = "invitation-token-for-the-route-tests"
    db.session.add(FirmInvitation(firm_id=firm.id, email=world.users["newcomer"].email,
                                  token_hash=invitations.token_hash(token)))
    world.users[INVITEE] = world.users["newcomer"]
    asker = world.users[ASKER] = make_user("learner", name="Spør Om Å Bli Med")
    world.request_id = membership.request_to_join(make_user("learner"), firm).id
    world.withdraw_request_id = membership.request_to_join(asker, firm).id
    graduate = make_user("learner", name="Fullført Kursdeltaker", firm_id=firm.id)
    completion = learning.complete_course(graduate, course, load(course).current_version)
    certificate = certificates.find_certificate_for_completion(completion.id)
    firm_certificate = certificates.find_firm_certificate(firm.id, course.id)
    world.certificate_id, world.firm_certificate_id = certificate.id, firm_certificate.id
    world.certificate_code, world.firm_certificate_code = certificate.code, firm_certificate.code
    world.provider_slug = certificate.provider_slug
    _studio_draft(course)
    api_token, _secret = api_tokens.create_token(world.users["admin"], name="Ruteprøven", scopes=["reports:read"])
    staff_token = "staff-invitation-token-for-the-route-tests"
    staff_invitation = StaffInvitation(provider_id=course.provider_id, email="ny.forfatter@example.no",
                                       token_hash=invitations.token_hash(staff_token))
    db.session.add(staff_invitation)
    failed_mail = outbox.queue(accounts.send_password_changed, world.users["learner"].id)
    failed_mail.status = "failed"
    dma_assessment = dma.start(world.users["contact"])
    world.tokens = {"invitation": token, "staff_invitation": staff_token,
                    "reset": accounts.make_reset_token(world.users["newcomer"]),
                    "setup": accounts.create_setup_token(),
                    "confirm": verification.make_confirm_token(world.users["newcomer"])}
    db.session.commit()
    world.upload_id = upload.id
    world.api_token_id = api_token.id
    world.staff_invitation_id = staff_invitation.id
    world.mail_message_id = failed_mail.id
    world.dma_assessment_id = dma_assessment.id
    assert load(course).current_version is not None
    stamp(head())  # a migrated database, as in production, so /readyz answers 200
    return world


def _library(world: World, make_user) -> None:
    """A library with a machine, a public course granting it, and a resident signed off for it."""
    from courseware.models import Provider

    library = Provider(slug="bibliotek-ruter", name="Ruteprøven bibliotek", kind="library")
    db.session.add(library)
    db.session.commit()
    world.library_id = library.id
    librarian = make_user("author", provider_id=library.id)
    course = make_course(WORKSHOP_COURSE, modules=[{"key": "sikkerhet", "title": "Sikkerhet"}], audience="public",
                         provider_slug=library.slug, certificate={"enabled": True, "valid_years": 0})
    machine = workshop.add_machine(librarian, name="Laserkutter", kind="laser_cutter")
    workshop.set_course_grants(librarian, WORKSHOP_COURSE, machine_ids=[machine.id])
    resident = make_user("learner", name="Verksted Beboer")
    course = load(course)
    enrolment.enrol(resident, course)
    learning.complete_course(resident, course, course.current_version)
    (permission,) = workshop.sign_off(librarian, resident, WORKSHOP_COURSE, machine_ids=[machine.id])
    db.session.commit()
    world.machine_id, world.resident_id, world.permission_id = machine.id, resident.id, permission.id


def _keep_sources(course) -> None:
    """Sources for the course's version, as an import keeps them, so the studio can open a draft of it."""
    version = load(course).current_version
    version.manifest_source = f'format = 1\ntitle = "{version.title}"\nprovider = "test-naeringshage"\n'
    for module in db.session.execute(select(Module).where(Module.version_id == version.id)).scalars():
        module.source = f"---\ntitle: {module.title}\nkey: {module.key}\n---\n\n# {module.title}\n\nTekst.\n"
    db.session.commit()
def _studio_draft(course) -> None:
    """The course's draft in the studio (the editor's routes work on it): a manifest and two modules (one to remove)."""
    from courseware.models import CourseDraft, DraftFile

    draft = CourseDraft(slug=course.slug, provider_id=course.provider_id, course_id=course.id)
    db.session.add(draft)
    db.session.flush()
    manifest = 'format = 1\ntitle = "Kurs for alle ruter"\nprovider = "test-naeringshage"\n'
    db.session.add_all([DraftFile(draft_id=draft.id, path="course.toml", kind="manifest", text=manifest),
                        DraftFile(draft_id=draft.id, path="modules/01-intro.md", kind="module",
                                  text="---\ntitle: Intro\n---\n\n# Intro\n"),
                        DraftFile(draft_id=draft.id, path="modules/09-fjern.md", kind="module", text="# Fjern\n")])


def log_in(client, user) -> None:
    """Log `user` in on `client` (None: log out): a new login record, and the session stamp the account has now."""
    from flask import g

    from courseware.services.logins import start_login

    if user is not None:
        start_login(user)
        db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    # Test-client requests share the test's app context, so `g` would carry the last user and CSRF token over.
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def post_csv(client, content: bytes, filename: str = "liste.csv", slug: str = "kurs"):
    """POST a CSV file to the studio's bulk enrolment as a browser does (one multipart body, built in memory)."""
    boundary = "grense-1234567890"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/studio/courses/{slug}/bulk", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")
