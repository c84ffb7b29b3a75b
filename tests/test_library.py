"""The questionnaire library (issue 15, item 5): uploads into a team's library, the shipped
folder found by id, one lookup for the web and the CLI, and loader messages a person can act on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stagefour import library
from stagefour import store
from stagefour.questionnaire import MAX_YAML_BYTES
from stagefour.questionnaire import QuestionnaireError
from stagefour.questionnaire import load_yaml_bytes

from .conftest import FIXTURES
from .conftest import app_config

SHIPPED = Path(__file__).parent.parent / "questionnaires"

SECURITY = """\
id: supplier-security
version: "{version}"
title:
  en: Supplier security basics
  de: Grundlagen der Lieferantensicherheit
languages: [en, de]
sections:
  - id: ACCESS
    title: Access control
    weight: 2
    questions:
      - id: mfa
        type: yes_no
        prompt: Do all staff with access to customer data log in with a second factor?
        required: true
        scoring: {{kind: points, points: {{"yes": 5, "no": 0}}}}
      - id: review
        type: single
        prompt: How often are access rights reviewed?
        options:
          - {{value: quarterly, label: Every quarter}}
          - {{value: yearly, label: Once a year}}
          - {{value: never, label: Not on a schedule}}
        scoring: {{kind: points, points: {{quarterly: 5, yearly: 3, never: 0}}}}
      - id: review_note
        type: long_text
        prompt: {prompt}
        visible_if: {{question: review, equals: never}}
"""


def security(version: str = "1.0", prompt: str = "Why not?") -> bytes:
    """A small generic questionnaire written for these tests."""
    return SECURITY.format(version=version, prompt=prompt).encode()


def errors_of(raw: bytes) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_yaml_bytes(raw, "q.yaml")
    return info.value.errors


# --- loader messages -------------------------------------------------------------------------


def test_a_yaml_boolean_word_is_named_with_how_to_quote_it():
    raw = security().replace(b"{value: never,", b"{value: no,")
    errors = errors_of(raw)
    assert 'sections[0].questions[1].options[2].value: `no` was read as false: quote it ("no")' in errors


def test_a_boolean_word_inside_a_list_is_hinted_at_the_list():
    errors = errors_of(security().replace(b"languages: [en, de]", b"languages: [en, no]"))
    hint = '`no` was read as false at languages[1]: quote it ("no")'
    assert any(e.startswith("languages:") and hint in e for e in errors)


def test_quoted_words_and_yes_no_point_keys_are_read_as_written():
    assert load_yaml_bytes(security(), "q.yaml").question("mfa").scoring.points == {"yes": 5.0, "no": 0.0}
    unquoted = security().replace(b'{"yes": 5, "no": 0}', b"{yes: 5, no: 0}")
    assert load_yaml_bytes(unquoted, "q.yaml").question("mfa").scoring.points == {"yes": 5.0, "no": 0.0}


def test_a_latin_1_file_is_asked_to_be_saved_as_utf_8():
    raw = security(prompt="Pourquoi pas ? Précisez").decode().encode("latin-1")
    [error] = errors_of(raw)
    assert error.startswith("line 27, column 34: byte 0xE9 is not UTF-8")
    assert error.endswith("save the file as UTF-8")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the file is empty"),
        (b"# only a comment\n", "the file is empty"),
        (b"\xff\xfei\x00d\x00", "the file is UTF-16 text: save the file as UTF-8"),
        (b"%PDF-1.4\x00\x01\x02", "not a text file"),
        (b"id: x\ntitle: [unclosed\n", "line 3, column 1: expected ',' or ']'"),
        (b"a: &x [1, 2]\nb: *x\n", "line 1, column 4: anchors and aliases"),
        (b"[" * 5000 + b"]" * 5000, "nested more than 50 levels deep"),
        (b"- just\n- a list\n", "(top): expected a mapping, got a list"),
    ],
    ids=["empty", "comment only", "utf-16", "binary", "syntax", "alias", "deep", "list"],
)
def test_an_unreadable_file_gets_one_clear_error(raw, expected):
    [error] = errors_of(raw)
    assert expected in error


def test_a_byte_order_mark_is_harmless():
    assert load_yaml_bytes(b"\xef\xbb\xbf" + security(), "q.yaml").id == "supplier-security"


def test_an_unknown_type_brings_no_follow_on_errors():
    raw = security().replace(b"type: single", b"type: singel")
    assert errors_of(raw) == [
        'sections[0].questions[1].type: unknown type "singel" (known: text, long_text, yes_no, single, multi, '
        "number, date, url, email, file, group, computed)"
    ]


# --- the folder ------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path):
    out = tmp_path / "questionnaires"
    out.mkdir()
    return out


def test_the_folder_finds_questionnaires_by_id_in_yml_and_yaml_files(folder):
    (folder / "security checklist.yml").write_bytes(security())
    shutil.copy(FIXTURES / "every-type.yaml", folder / "anything.yaml")
    (folder / "notes.txt").write_text("not a questionnaire")
    found = library.shelf(folder)
    assert sorted(found.questionnaires) == ["every-type", "supplier-security"]
    assert library.load_by_id("supplier-security", folder).version == "1.0"
    with pytest.raises(library.UnknownQuestionnaire):
        library.load_by_id("security checklist", folder)


def test_an_invalid_or_duplicate_file_is_kept_with_its_errors(folder):
    (folder / "a.yaml").write_bytes(security())
    (folder / "b.yaml").write_bytes(security(version="2"))
    (folder / "broken.yaml").write_text("id: broken\nsections: 3\n")
    found = library.shelf(folder)
    assert list(found.questionnaires) == ["supplier-security"]
    problems = {p.path.name: p.errors for p in found.problems}
    assert problems["b.yaml"] == ('id: "supplier-security" is already the id of a.yaml',)
    assert "sections: expected a non-empty list of sections" in problems["broken.yaml"]
    with pytest.raises(QuestionnaireError):
        library.load_by_id("broken", folder)


def test_a_file_is_loaded_once_until_it_changes(folder, monkeypatch):
    path = folder / "q.yaml"
    path.write_bytes(security())
    calls = []
    real = library.load_questionnaire
    monkeypatch.setattr(library, "load_questionnaire", lambda p: calls.append(p) or real(p))
    for _ in range(3):
        assert library.load_by_id("supplier-security", folder).version == "1.0"
    assert len(calls) == 1
    path.write_bytes(security(version="1.1.0"))  # a different size, whatever the clock's resolution
    assert library.load_by_id("supplier-security", folder).version == "1.1.0"
    assert len(calls) == 2


def test_the_cli_and_the_web_find_the_same_questionnaire_by_id(tmp_path, folder, make_user, login):
    from app import create_app

    (folder / "named-otherwise.yml").write_bytes(security())
    app = create_app(app_config(tmp_path, QUESTIONNAIRE_FOLDER=str(folder), DATABASE=str(tmp_path / "cli.sqlite3")))
    response = tmp_path / "response.json"
    response.write_text(json.dumps({"questionnaire": "supplier-security", "vendor": "Acme", "answers": {"mfa": True}}))
    result = app.test_cli_runner().invoke(args=["score", str(response)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["vendor"] == "Acme"
    db = store.open_db(app.config["DATABASE"])
    user_id = store.create_user(db, "owner@example.com", _hash())
    store.set_membership(db, store.create_team(db, "Procurement", "test"), user_id, "owner", "test")
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": PASSWORD})
    page = client.get("/evaluations/new").get_data(as_text=True)
    assert '<option selected value="supplier-security">Supplier security basics (version 1.0)</option>' in page
    db.close()


def _hash():
    from views.auth import hash_password

    return hash_password(PASSWORD)


from .conftest import PASSWORD  # noqa: E402


def test_administrators_see_an_invalid_shipped_file_with_its_errors(tmp_path, folder):
    from app import create_app

    shutil.copy(SHIPPED / "ai-deployment-partner.yaml", folder)
    (folder / "draft.yml").write_bytes(security().replace(b"{value: never,", b"{value: off,"))
    app = create_app(app_config(tmp_path, QUESTIONNAIRE_FOLDER=str(folder)))
    db = store.open_db(app.config["DATABASE"])
    store.create_user(db, "admin@example.com", _hash(), is_admin=True)
    client = app.test_client()
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD})
    page = client.get("/admin/questionnaires").get_data(as_text=True)
    assert "draft.yml" in page
    assert "`off` was read as false: quote it (&#34;off&#34;)" in page
    assert "ai-deployment-partner" in page
    db.close()


# --- uploads ---------------------------------------------------------------------------------


def upload(client, team_id: int, raw: bytes, name: str = "security.yaml"):
    # The body is built here: the test client spools a large file to a temporary file it never closes.
    boundary = "----library-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/yaml\r\n\r\n"
        ).encode()
        + raw
        + f"\r\n--{boundary}--\r\n".encode()
    )
    kind = f"multipart/form-data; boundary={boundary}"
    return client.post(f"/teams/{team_id}/library/upload", data=body, content_type=kind)


def counts(db) -> dict:
    """What an upload may write: library rows, snapshots and audit entries."""
    return {
        table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
        for table in ("team_questionnaires", "questionnaire_snapshots", "audit_log")
    }


@pytest.fixture
def owner(make_user, login):
    user_id = make_user("owner")
    login(user_id)
    return user_id


def test_an_owner_uploads_a_questionnaire_into_the_team_library(client, db, team, owner):
    response = upload(client, team, security())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/teams/{team}/library"
    [entry] = store.team_library(db, team)
    assert (entry["questionnaire_id"], entry["version"], entry["uploaded_by"]) == ("supplier-security", "1.0", owner)
    page = client.get(f"/teams/{team}/library").get_data(as_text=True)
    assert "supplier-security version 1.0 was added to the library." in page
    assert "Supplier security basics" in page and "en, de" in page
    [audit] = [e for e in store.audit_entries(db) if e["action"] == "questionnaire_uploaded"]
    assert audit["actor"] == f"user:{owner}"
    assert audit["detail"] | {"hash": "-"} == {"team": team, "questionnaire": "supplier-security", "version": "1.0",
                                               "hash": "-", "file": "security.yaml"}  # fmt: skip


def test_versions_are_kept_and_the_same_file_again_changes_nothing(client, db, team, owner):
    assert upload(client, team, security()).status_code == 302
    before = counts(db)
    again = upload(client, team, b"# the same, with a comment\n" + security())
    assert again.status_code == 302
    assert "is already in the library with this content: nothing changed" in client.get(
        again.headers["Location"]
    ).get_data(as_text=True)
    assert counts(db) == before
    assert upload(client, team, security(version="1.1")).status_code == 302
    assert [e["version"] for e in store.team_library(db, team)] == ["1.1", "1.0"]


def test_the_same_version_with_other_content_is_refused(client, db, team, owner):
    upload(client, team, security())
    before = counts(db)
    response = upload(client, team, security(prompt="Explain why not."))
    assert response.status_code == 422
    assert "Version 1.0 of supplier-security is already in the library with different content: change `version`" in (
        response.get_data(as_text=True)
    )
    assert counts(db) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (security().replace(b"{value: never,", b"{value: no,"), "`no` was read as false: quote it"),
        (security(prompt="Précisez").decode().encode("latin-1"), "save the file as UTF-8"),
        (b"a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "anchors and aliases"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
        (b"", "the file is empty"),
        (b"id: x\n" + b"#" * MAX_YAML_BYTES, f"too large: more than {MAX_YAML_BYTES} bytes"),
        (b"<script>alert(1)</script>: 1\n", "&lt;script&gt;alert(1)&lt;/script&gt;: unknown key"),
    ],
    ids=["yaml boolean", "latin-1", "alias bomb", "binary", "empty", "huge", "hostile key"],
)
def test_a_bad_file_is_refused_with_its_errors_and_nothing_imported(client, db, team, owner, raw, expected):
    before = counts(db)
    response = upload(client, team, raw)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert expected in page
    assert "Nothing was imported" in page
    assert "<script>alert" not in page
    assert counts(db) == before


def test_every_error_is_shown_with_its_path(client, db, team, owner):
    raw = security().replace(b"weight: 2", b"weight: -1").replace(b"type: long_text", b"type: essay")
    page = upload(client, team, raw).get_data(as_text=True)
    assert "security.yaml was not added: 2 problems" in page
    assert "sections[0].weight: must be positive, got -1" in page
    assert "sections[0].questions[2].type: unknown type &#34;essay&#34;" in page


def test_an_upload_without_a_file_is_refused(client, db, team, owner):
    before = counts(db)
    response = client.post(f"/teams/{team}/library/upload", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a questionnaire file (.yaml, .yml or .xlsx) to upload." in response.get_data(as_text=True)
    assert counts(db) == before


@pytest.mark.parametrize("role", ["viewer", "evaluator"])
def test_viewers_and_evaluators_see_the_library_but_cannot_upload(client, db, team, make_user, login, role):
    owner = make_user("owner")
    login(owner)
    upload(client, team, security())
    client.post("/logout")
    login(make_user(role))
    page = client.get(f"/teams/{team}/library")
    assert page.status_code == 200 and "Supplier security basics" in page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' not in page.get_data(as_text=True)
    before = counts(db)
    assert upload(client, team, security(version="9")).status_code == 403
    assert counts(db) == before


def test_another_team_never_sees_or_uses_the_library(client, db, team, make_team, make_user, login):
    login(make_user("owner"))
    upload(client, team, security())
    client.post("/logout")
    other_team = make_team("Another team")
    login(make_user("owner", team_id=other_team))
    assert client.get(f"/teams/{team}/library").status_code == 404
    assert upload(client, team, security(version="2")).status_code == 404
    assert client.get("/teams/99999/library").status_code == 404
    new = client.get("/evaluations/new").get_data(as_text=True)
    assert "supplier-security" not in new and "Supplier security" not in new
    before = counts(db)
    response = client.post(
        "/evaluations/new",
        data={"title": "Borrowed", "questionnaire": "supplier-security", "team": str(other_team), "weight_ACCESS": "2"},
    )
    assert response.status_code == 422
    assert counts(db)["questionnaire_snapshots"] == before["questionnaire_snapshots"]
    assert store.list_evaluations(db) == []


def test_an_evaluation_keeps_its_version_when_a_new_one_is_uploaded(client, db, team, owner):
    upload(client, team, security())
    page = client.get("/evaluations/new?questionnaire=supplier-security").get_data(as_text=True)
    assert 'id="weight_ACCESS"' in page
    created = client.post(
        "/evaluations/new",
        data={"title": "Review", "questionnaire": "supplier-security", "team": str(team), "weight_ACCESS": "2"},
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    [evaluation] = store.list_evaluations(db)
    first = store.get_snapshot(db, store.get_evaluation(db, evaluation["id"])["snapshot_id"])
    assert (first["questionnaire_id"], first["version"]) == ("supplier-security", "1.0")
    upload(client, team, security(version="2.0", prompt="Tell us why."))
    again = store.get_snapshot(db, store.get_evaluation(db, evaluation["id"])["snapshot_id"])
    assert again == first
    assert "Supplier security basics (version 2.0)" in client.get("/evaluations/new").get_data(as_text=True)


def test_a_section_that_cannot_be_read_brings_no_unknown_question_errors():
    raw = security().replace(b"  - id: ACCESS\n", b"  - id: ACCESS\n    questions: oops\n  - id: MORE\n", 1)
    raw += b"""      - id: later
        type: text
        prompt: Anything else?
        visible_if: {question: gone, equals: 1}
"""
    errors = errors_of(raw)
    assert "sections[0].questions: expected a non-empty list of questions" in errors
    assert not [e for e in errors if "unknown question" in e]
