"""Two app servers on one database (here two apps in one process, on SQLite or PostgreSQL): what one publishes the
other serves at its next request, although each keeps its own caches of module views, page shells and fragments
(README "Several app servers"). tests/test_deploy_nginx.py does the same with real processes behind nginx."""
from flask import g

from courseware import create_app
from courseware.content.importer import import_packages
from courseware.extensions import db

from .conftest import BufferedClient, _test_config

INTRO = "modules/01-intro.md"


def test_a_version_published_through_one_app_is_served_by_the_other_at_once(app, client, database_url, tmp_path,
                                                                             import_course, courses_dir, login_as):
    import_course("minimal")
    login_as("admin", locale="en")
    other = create_app(_test_config(database_url, tmp_path, MEDIA_DIR=app.config["MEDIA_DIR"],
                                    SIGNING_KEYS_DIR=app.config["SIGNING_KEYS_DIR"]))
    other.test_client_class = BufferedClient
    other_client = other.test_client()
    other_client.set_cookie("session", client.get_cookie("session").value)  # the same secret key signs it

    def served() -> str:
        g.pop("_login_user", None)  # both clients share this test's app context, and with it Flask-Login's `g`
        response = other_client.get("/courses/minimal/intro")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    try:
        assert "Digitale verktøy sparer tid." in served()
        assert "Digitale verktøy sparer tid." in served()  # now from the other app's caches
        package = courses_dir / "minimal"
        original = (package / INTRO).read_text(encoding="utf-8")
        for round_ in (1, 2):
            (package / INTRO).write_text(original.replace("sparer tid", f"sparer tid, runde {round_}", 1),
                                         encoding="utf-8")
            report = import_packages([package])  # published through this app
            db.session.commit()
            assert report.updated
            assert f"Digitale verktøy sparer tid, runde {round_}." in served()
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
