"""Bulk enrolment from a CSV file: parsing (BOM, comma or semicolon, header or not), the per-row preview,
confirmation that enrols and invites, no duplicates on a second upload, and staff-only access."""
import re

import pytest

from courseware.extensions import db
from courseware.models import BulkUpload, Enrolment, FirmInvitation, User, utcnow
from courseware.services import bulk, enrolment, invitations

from .learning_factory import VALID_ORGNRS, commit_and_deliver, load, make_course, make_firm

FIRM, OTHER_FIRM, UNREGISTERED = VALID_ORGNRS[0], VALID_ORGNRS[1], VALID_ORGNRS[2]


@pytest.fixture
def app_config(smtp_server):
    return smtp_server.config


@pytest.fixture
def world(make_user):
    course = make_course("kurs", title="Kurs A")
    firm, other = make_firm(FIRM, "Gården AS"), make_firm(OTHER_FIRM, "Annen AS")
    people = {
        "member": make_user("learner", email="kari@example.no", name="Kari", firm_id=firm.id),
        "loner": make_user("learner", email="ola@example.no", name="Ola"),
        "enrolled": make_user("learner", email="per@example.no", name="Per", firm_id=firm.id),
        "elsewhere": make_user("learner", email="eva@example.no", name="Eva", firm_id=other.id),
        "author": make_user("author", provider_id=course.provider_id),
    }
    enrolment.enrol(people["enrolled"], load(course))
    commit_and_deliver()  # Per's enrolment confirmation
    return course, firm, people


CSV = (
    "\ufeffNavn;E-post;Orgnr\n"
    "Kari;KARI@example.no;817 920 632\n"      # existing member: enrol
    "Ola;ola@example.no;817920632\n"          # account without firm: joins the firm and is enrolled
    "Nina Ny;nina@example.no;817920632\n"     # no account: invitation
    "Feil;ikke-en-adresse;817920632\n"        # bad e-mail
    "Feil;feil@example.no;123456789\n"        # bad orgnr (check digit)
    "Ukjent;ukjent@example.no;942110464\n"    # firm not registered
    "Per;per@example.no;817920632\n"          # enrolled already: skip
    "Kari igjen;kari@example.no;817920632\n"  # the same person twice
    "Eva;eva@example.no;817920632\n"          # registered with another firm
    "\n"
)


def _upload(client, body: bytes, name="deltakere.csv", slug="kurs"):
    from io import BytesIO

    return client.post(f"/studio/courses/{slug}/bulk", data={"file": (BytesIO(body), name)},
                       content_type="multipart/form-data")


def test_preview_reports_each_row(client, login, world):
    _course, _firm, people = world
    login(people["author"])
    response = _upload(client, CSV.encode())
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    rows = re.findall(r'<tr class="row-(\w+)">\s*<td>(\d+)</td>', html)
    assert rows == [("enrol", "2"), ("enrol", "3"), ("invite", "4"), ("error", "5"), ("error", "6"), ("error", "7"),
                    ("skip", "8"), ("error", "9"), ("error", "10")]
    for reason in ("The e-mail address is not valid.", "The organisation number 123 456 789 is not valid",
                   "No firm with the organisation number 942 110 464 is registered.", "Enrolled already.",
                   "on an earlier row too", "registered with another firm", "will get an invitation"):
        assert reason in html, reason
    assert "Enrol and invite 3 people" in html
    assert db.session.query(Enrolment).count() == 1  # nothing happens before confirmation


def test_confirm_enrols_invites_and_a_second_upload_changes_nothing(client, login, world, smtp_server):
    course, firm, people = world
    login(people["author"])
    preview_url = _upload(client, CSV.encode()).headers["Location"]
    response = client.post(preview_url + "/confirm", follow_redirects=True)
    assert "Enrolled: 2. Invited: 1. Skipped (already done): 1. Rows with errors: 5." in response.get_data(as_text=True)
    ola = db.session.get(User, people["loner"].id)
    assert ola.firm_id == firm.id and not ola.is_firm_contact
    enrolled = set(db.session.execute(db.select(Enrolment.user_id).where(Enrolment.course_id == course.id)).scalars())
    assert enrolled == {people["member"].id, people["loner"].id, people["enrolled"].id}
    invitation = db.session.execute(db.select(FirmInvitation)).scalar_one()
    assert (invitation.email, invitation.course_id, invitation.firm_id) == ("nina@example.no", course.id, firm.id)
    messages = smtp_server.wait_for(4)[1:]
    invite = smtp_server.to("nina@example.no")[0]
    assert "Kurs A" in invite["Subject"] and "Gården AS" in smtp_server.text(invite)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "kari@example.no", "nina@example.no", "ola@example.no"]

    # The same file again (a new upload, and confirming the old one again): nobody is enrolled or invited twice.
    again = _upload(client, CSV.encode()).headers["Location"]
    html = client.get(again).get_data(as_text=True)
    assert "row-enrol" not in html and "row-invite" not in html
    assert "There is nobody to enrol or invite" in html
    client.post(again + "/confirm")
    client.post(preview_url + "/confirm")
    assert db.session.query(Enrolment).count() == 3
    assert db.session.query(FirmInvitation).count() == 1
    assert len(smtp_server.messages) == 4

    # Accepting the invitation joins the firm and enrols in the course (accept_invitation calls
    # enrolment.enrol_from_invitation).
    token = re.search(r"/firm/join/(\S+)", smtp_server.text(invite)).group(1)
    nina = User(email="nina@example.no", name="Nina Ny", password_hash="x", email_verified_at=utcnow())
    db.session.add(nina)
    db.session.flush()
    invitations.accept_invitation(nina, token)
    db.session.commit()
    assert nina.firm_id == firm.id
    row = db.session.execute(db.select(Enrolment).filter_by(user_id=nina.id)).scalar_one()
    assert (row.course_id, row.enrolled_by_id) == (course.id, people["author"].id)


@pytest.mark.parametrize("body", [
    b"Kari,kari@example.no,817920632\r\nOla,ola@example.no,817920632\r\n",               # comma, no header
    "\ufeffE-post,Navn,Orgnr\nkari@example.no,Kari,817920632\nola@example.no,Ola,817920632\n".encode(),
    "Kari;kari@example.no;817920632\nOla;ola@example.no;817920632".encode("cp1252"),    # Excel without UTF-8
])
def test_formats_that_parse(world, body):
    rows = bulk.parse(bulk.decode(body))
    assert [(r[1], r[2], r[3]) for r in rows] == [("Kari", "kari@example.no", "817920632"),
                                                  ("Ola", "ola@example.no", "817920632")]


def test_norwegian_letters_survive_windows_1252(world):
    rows = bulk.parse(bulk.decode("Åse Ødegård;ase@example.no;817920632".encode("cp1252")))
    assert rows[0][1] == "Åse Ødegård"


@pytest.mark.parametrize("body, message", [
    (b"", "The file is empty."),
    (b"Navn;E-post;Orgnr\n", "no rows with people"),
])
def test_unusable_files_are_explained(client, login, world, body, message):
    login(world[2]["author"])
    response = _upload(client, body, name="tom.csv")
    assert response.status_code == 302
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)
    assert db.session.query(BulkUpload).count() == 0


def test_a_too_large_file_is_refused(world):
    # (Not through the test client: its multipart encoder leaks a temporary file for bodies this large.)
    from courseware.errors import InvalidInput

    with pytest.raises(InvalidInput, match="too large"):
        bulk.decode(b"x" * (bulk.MAX_BYTES + 1))


def test_missing_file_is_explained(client, login, world):
    login(world[2]["author"])
    response = client.post("/studio/courses/kurs/bulk", data={}, follow_redirects=True)
    assert "Choose a CSV file." in response.get_data(as_text=True)


def test_only_the_courses_staff_see_or_confirm_an_upload(client, login, world, make_user):
    course, _firm, people = world
    login(people["author"])
    preview_url = _upload(client, CSV.encode()).headers["Location"]
    other = make_course("annet", provider_slug="annen-hage")
    stranger = make_user("author", provider_id=other.provider_id)
    login(stranger)
    assert client.get(preview_url).status_code == 403
    assert client.post(preview_url + "/confirm").status_code == 403
    upload_id = int(preview_url.rsplit("/", 1)[1])
    # An upload cannot be replayed through another course's address.
    assert client.get(f"/studio/courses/annet/bulk/{upload_id}").status_code == 404
    login(make_user("admin"))
    assert client.get(preview_url).status_code == 200
    assert db.session.query(Enrolment).filter_by(course_id=course.id).count() == 1


def test_an_expired_invitation_is_sent_again(world, app, make_user):
    from datetime import timedelta

    from courseware.models import utcnow

    course, firm, people = world
    author = people["author"]
    first = bulk.upload(author, load(course), "a.csv", b"Nina;nina@example.no;817920632")
    bulk.confirm(author, load(course), first.upload.id)
    db.session.commit()
    invitation = db.session.execute(db.select(FirmInvitation)).scalar_one()
    old_hash = invitation.token_hash
    invitation.created_at = utcnow() - timedelta(seconds=app.config["INVITATION_MAX_AGE"] + 60)
    db.session.commit()
    assert bulk.preview(author, load(course), first.upload.id).rows[0].status == bulk.INVITE
    bulk.confirm(author, load(course), first.upload.id)
    db.session.commit()
    refreshed = db.session.execute(db.select(FirmInvitation)).scalar_one()
    assert refreshed.id == invitation.id and refreshed.token_hash != old_hash


def test_old_uploads_are_deleted(world):
    from datetime import timedelta

    from courseware.models import utcnow

    course, _firm, people = world
    old = bulk.upload(people["author"], load(course), "gammel.csv", b"Nina;nina@example.no;817920632").upload
    old.created_at = utcnow() - timedelta(days=bulk.UPLOAD_RETENTION_DAYS + 1)
    db.session.commit()
    fresh = bulk.upload(people["author"], load(course), "ny.csv", b"Nina;nina@example.no;817920632").upload
    db.session.commit()
    assert db.session.execute(db.select(BulkUpload.id)).scalars().all() == [fresh.id]
