"""Enhetsregisteret: the streaming snapshot importer, the CLI command, and lookups (snapshot, then local HTTP).

No test touches the network: the "API" is an http.server on 127.0.0.1 serving fixture JSON.
"""
import gzip
import io
import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from courseware.extensions import db
from courseware.models import RegistryEntry
from courseware.services import registry

from .registry_support import ENTITIES, FIXTURE, FakeRegister, enable_api, fake_register  # noqa: F401 (fixtures)


@pytest.fixture
def bulk_gz(tmp_path) -> Path:
    """The fixture as the register ships it: a gzipped JSON array."""
    path = tmp_path / "enheter_alle.json.gz"
    with FIXTURE.open("rb") as src, gzip.open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def entries() -> dict[str, RegistryEntry]:
    return {e.orgnr: e for e in db.session.execute(select(RegistryEntry)).scalars()}


# --- The streaming parser --------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 7, 64, 1 << 16])
def test_json_array_is_parsed_incrementally_across_chunk_boundaries(chunk_size):
    text = json.dumps([{"a": "x\"]}[,"}, 12345678, -1.5e3, "ø", [1, [2]], None, True, {}], indent=2)
    assert list(registry.iter_json_array(io.StringIO(text), chunk_size=chunk_size)) == json.loads(text)


@pytest.mark.parametrize("text", ["[]", "  [ \n ]  ", "[1]"])
def test_small_arrays(text):
    assert list(registry.iter_json_array(io.StringIO(text), chunk_size=2)) == json.loads(text)


@pytest.mark.parametrize("text", ['{"a": 1}', "[1 2]", "[1,", '[{"a": ', "", "[1,]"])
def test_malformed_input_is_refused(text):
    with pytest.raises(ValueError):
        list(registry.iter_json_array(io.StringIO(text), chunk_size=3))


def test_parser_never_holds_much_more_than_a_chunk(monkeypatch):
    """A long array is read in pieces: the buffer stays near one element plus one chunk."""
    element = {"navn": "X" * 500, "organisasjonsnummer": "942110464"}
    text = "[" + ",".join(json.dumps(element) for _ in range(2000)) + "]"
    stream, sizes = io.StringIO(text), []
    original_read = stream.read

    def read(n):
        sizes.append(stream.tell())
        return original_read(n)

    monkeypatch.setattr(stream, "read", read)
    for count, _ in enumerate(registry.iter_json_array(stream, chunk_size=4096), 1):
        if count == 10:
            assert stream.tell() < 3 * 4096  # after 10 elements we have read only a few chunks
    assert count == 2000 and len(sizes) > 200


# --- The importer ----------------------------------------------------------------------------------------------

def test_import_keeps_trondelag_and_upserts(app, bulk_gz):
    batches = []
    counts = registry.import_registry(bulk_gz, municipality_prefix="50", batch_size=2, after_batch=batches.append)
    db.session.commit()
    assert (counts.read, counts.skipped, counts.inserted, counts.updated) == (6, 3, 3, 0)
    assert len(batches) == 2  # 3 kept rows in batches of 2
    stored = entries()
    assert set(stored) == {"942110464", "817920632", "123456785"}
    sole = stored["123456785"]
    assert (sole.name, sole.org_form, sole.municipality_code, sole.industry_code, sole.employees) == (
        'EKSEMPEL MEKANISKE VERKSTED "DEMO" ENK', "ENK", "5038", "25.620", None)  # postal address as fallback
    assert stored["942110464"].employees == 15000 and stored["942110464"].source == "bulk"

    again = registry.import_registry(bulk_gz, municipality_prefix="50")
    db.session.commit()
    assert (again.inserted, again.updated) == (0, 3)
    assert len(entries()) == 3


def test_import_without_filter_updates_changed_entities(app, tmp_path):
    first = tmp_path / "a.json"
    first.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    counts = registry.import_registry(first)
    db.session.commit()
    assert (counts.inserted, counts.skipped) == (5, 1)  # only the invalid orgnr is skipped
    changed = [dict(ENTITIES["942110464"], navn="TRONDHEIM KOMMUNE (NYTT NAVN)", antallAnsatte=15100)]
    second = tmp_path / "b.json"
    second.write_text(json.dumps(changed), encoding="utf-8")
    counts = registry.import_registry(second)
    db.session.commit()
    db.session.expire_all()
    assert (counts.inserted, counts.updated) == (0, 1)
    entry = db.session.get(RegistryEntry, "942110464")
    assert (entry.name, entry.employees) == ("TRONDHEIM KOMMUNE (NYTT NAVN)", 15100)


def test_duplicate_entities_in_one_batch_do_not_break_the_upsert(app, tmp_path):
    path = tmp_path / "dup.json"
    path.write_text(json.dumps([ENTITIES["942110464"], dict(ENTITIES["942110464"], navn="SIST")]), encoding="utf-8")
    registry.import_registry(path)
    db.session.commit()
    assert entries()["942110464"].name == "SIST"


def test_cli_command_prints_counts(app, bulk_gz):
    result = app.test_cli_runner().invoke(args=["registry-import", str(bulk_gz), "--municipality-prefix", "50"])
    assert result.exit_code == 0, result.output
    assert "6 read, 3 skipped, 3 new, 0 updated" in result.output
    db.session.expire_all()
    assert len(entries()) == 3


def test_cli_refuses_a_file_that_is_not_a_json_array(app, tmp_path):
    path = tmp_path / "bad.json.gz"
    with gzip.open(path, "wt") as fh:
        fh.write('{"not": "an array"}')
    result = app.test_cli_runner().invoke(args=["registry-import", str(path)])
    assert result.exit_code != 0 and "not a JSON array" in result.output


# --- Lookups -----------------------------------------------------------------------------------------------------

@pytest.fixture
def app_config():
    """English, the msgids (the registration form test reads labels)."""
    return {"BABEL_DEFAULT_LOCALE": "en"}


def test_lookup_reads_the_api_and_remembers_the_answer(app, enable_api):
    facts = registry.lookup_firm("123456785")
    db.session.commit()
    assert facts == registry.FirmFacts(orgnr="123456785", name='EKSEMPEL MEKANISKE VERKSTED "DEMO" ENK',
                                       municipality_code="5038", industry_code="25.620", industry_section="C",
                                       employees=None, org_form="ENK")
    assert facts.size_band is None  # headcount withheld: the user chooses
    assert FakeRegister.requests == [("/enhetsregisteret/api/enheter/123456785", "application/json")]
    assert entries()["123456785"].source == "api"
    assert registry.lookup_firm("123456785") == facts
    assert len(FakeRegister.requests) == 1  # the second lookup came from the snapshot


def test_lookup_uses_the_snapshot_before_the_api(app, enable_api):
    db.session.add(RegistryEntry(orgnr="942110464", name="FRA SNAPSHOT", municipality_code="5001",
                                 industry_code="84.110", employees=12))
    db.session.commit()
    facts = registry.lookup_firm("942110464")
    assert (facts.name, facts.industry_section, facts.size_band) == ("FRA SNAPSHOT", "O", "10-49")
    assert FakeRegister.requests == []


@pytest.mark.parametrize(
    "orgnr", ["840029212", "912660680", "991825827", "923609016", "988077917"],
    ids=["404 not found", "410 deleted", "500 server error", "not JSON", "timeout"],
)
def test_lookup_gives_none_when_the_api_cannot_answer(app, enable_api, orgnr, caplog):
    # The "slow" answer is a valid entity, held back until the test ends: None means BRREG_TIMEOUT cut it off.
    assert registry.lookup_firm(orgnr) is None
    assert entries() == {}
    if orgnr == "988077917":
        assert "lookup of 988077917 failed" in caplog.text and "timed out" in caplog.text


def test_lookup_gives_none_when_the_api_is_unreachable(app, caplog):
    app.config.update(BRREG_ENABLED=True, BRREG_URL="http://127.0.0.1:9", BRREG_TIMEOUT=0.5)
    assert registry.lookup_firm("942110464") is None
    assert "lookup of 942110464 failed" in caplog.text


def test_lookup_never_uses_the_network_when_disabled(app, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    assert app.config["BRREG_ENABLED"] is False
    assert registry.lookup_firm("942110464") is None


def test_lookup_of_an_invalid_orgnr_asks_nobody(app, enable_api):
    assert registry.lookup_firm("123456789") is None and registry.lookup_firm("../../x") is None
    assert FakeRegister.requests == []


def test_registration_form_is_prefilled_from_the_api(client, login_as, enable_api):
    login_as("learner")
    html = client.get("/firm/register/942110464").get_data(as_text=True)
    assert 'value="TRONDHEIM KOMMUNE"' in html and '<option selected value="250+">' in html
    assert '<option selected value="O">' in html and '<option selected value="5001">' in html
