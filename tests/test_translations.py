"""The interface in German and French: the catalogues are complete, and pages come out translated."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from stagefour import report

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
# Every language with a catalogue: adding one adds it here too (issue 13).
LANGUAGES = tuple(code for code in report.LANGUAGES if code != "en")
# %(name)s with any conversion flags, width, precision and type, e.g. %(max)d
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")


def catalogue(language: str):
    """One language's catalogue, parsed."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """The .mo files the app reads: scripts/setup.sh makes them; this covers a bare `pytest`."""
    compiled = False
    for language in LANGUAGES:
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with mo.open("wb") as f:
                write_mo(f, catalogue(language))
            compiled = True
    if compiled:
        # Tests that ran earlier in this session may have cached the missing catalogue as empty.
        from views import i18n
        from views import vendor

        # (Flask-Babel's per-language catalogues, the vendor form's interface strings, its HTML fragments)
        i18n.babel.domain_instance.cache.clear()
        if hasattr(vendor, "_ui"):
            vendor._ui.cache_clear()
        if hasattr(vendor, "_fragments"):
            vendor._fragments.clear()
        if hasattr(vendor, "_navs"):
            vendor._navs.clear()


def texts(page: str, pattern: str) -> list[str]:
    """The text inside each match of `pattern` (one group), tags removed and entities decoded."""
    return [html.unescape(re.sub(r"<[^>]+>", "", m)).strip() for m in re.findall(pattern, page, re.S)]


# --- the catalogues ----------------------------------------------------------------------------


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalogue_entry_is_translated_and_keeps_its_placeholders(language):
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        source = _ids(message)[0]
        if message.fuzzy:
            problems.append(f"fuzzy: {source!r}")
        for translation in _strings(message):
            if not translation.strip():
                problems.append(f"untranslated: {source!r}")
                continue
            wanted = {p for msgid in _ids(message) for p in PLACEHOLDER.findall(msgid)}
            if set(PLACEHOLDER.findall(translation)) != wanted:
                problems.append(f"placeholders differ: {source!r} -> {translation!r}")
            # Jinja's gettext always %-formats, so a lone % would break the page.
            if translation.count("%%") != source.count("%%") or "%" in PLACEHOLDER.sub("", translation).replace(
                "%%", ""
            ):
                problems.append(f"stray or lost %: {source!r} -> {translation!r}")
    assert not problems, "\n".join(problems)


def test_catalogues_cover_every_string_in_the_source():
    """A string added to a template or view without `flask --app app translate update` shows in English."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "NP_": (1, 2)}
    in_source = {
        msgid if isinstance(msgid, str) else msgid[0]
        for _file, _line, msgid, *_rest in extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    }
    for language in LANGUAGES:
        translated = {_ids(m)[0] for m in catalogue(language) if m.id}
        missing = sorted(in_source - translated)
        assert not missing, f"{language}: not in the catalogue (run `flask --app app translate update`): {missing}"


def test_translate_compile_command_makes_the_mo_files(app):
    import translate

    translate.register(app)
    result = app.test_cli_runner().invoke(args=["translate", "compile"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "compiled " + ", ".join(sorted(LANGUAGES))
    for language in LANGUAGES:
        mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
        assert mo.stat().st_mtime >= (mo.with_suffix(".po")).stat().st_mtime


# --- the vendor's pages ------------------------------------------------------------------------

VENDOR_PAGES = {
    "de": {
        "save": "Entwurf speichern",
        "next": "Speichern und weiter",
        "required": "erforderlich",
        "count": "Pflichtangaben",
    },
    "fr": {
        "save": "Enregistrer le brouillon",
        "next": "Enregistrer et continuer",
        "required": "obligatoire",
        "count": "obligatoires",
    },
    "es": {
        "save": "Guardar borrador",
        "next": "Guardar y continuar",
        "required": "obligatoria",
        "count": "obligatorias",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_vendor_section_page_follows_the_chosen_language(client, make_vendor, language):
    vendor = make_vendor()
    client.post(f"/v/{vendor['token']}/language", data={"language": language})
    page = client.get(f"/v/{vendor['token']}/s/A").get_data(as_text=True)
    words = VENDOR_PAGES[language]
    assert f'<html lang="{language}">' in page
    assert texts(page, r'<button type="submit" name="action" value="save">(.*?)</button>') == [words["save"]]
    assert texts(page, r'<button type="submit" name="action" value="next"[^>]*>(.*?)</button>') == [words["next"]]
    assert set(texts(page, r'<span class="required">(.*?)</span>')) == {words["required"]}
    counts = texts(page, r'<span class="progress-count[^"]*">(.*?)</span>\s*</li>')
    assert counts and all(re.fullmatch(rf"\d+/\d+ {words['count']}", c) for c in counts), counts
    assert "Save draft" not in page and "required</span>" not in page


@pytest.mark.parametrize(
    "language,expected",
    [
        ("de", ["Pflichtangaben", "Status", "Prüfen und einreichen", "Mit Abschnitt A beginnen"]),
        ("fr", ["Réponses obligatoires", "Statut", "Vérifier et soumettre", "Commencer par la section A"]),
    ],
)
def test_vendor_overview_follows_the_chosen_language(client, make_vendor, language, expected):
    vendor = make_vendor()
    client.post(f"/v/{vendor['token']}/language", data={"language": language})
    page = html.unescape(client.get(f"/v/{vendor['token']}").get_data(as_text=True))
    for text in expected:
        assert text in page
    assert "Review and submit" not in page and "Required answers" not in page


def test_vendor_review_page_in_french_keeps_the_percent_sign(client, make_vendor):
    vendor = make_vendor()
    client.post(f"/v/{vendor['token']}/language", data={"language": "fr"})
    page = client.get(f"/v/{vendor['token']}/review").get_data(as_text=True)
    (lead,) = texts(page, r'<p class="lead">(.*?)</p>')
    assert lead == "0\u202f% des réponses obligatoires sont fournies."
    assert texts(page, r"<h2>(.*?)</h2>") == ["Réponses obligatoires manquantes", "Vos réponses"]


def test_wtforms_messages_follow_the_interface_language(client, make_vendor):
    vendor = make_vendor()
    client.post(f"/v/{vendor['token']}/language", data={"language": "de"})
    page = client.post(f"/v/{vendor['token']}/s/A", data={"A2": "many", "action": "save"}).get_data(as_text=True)
    (error,) = texts(page, r'<ul class="errors" id="A2-error">(.*?)</ul>')
    assert "Zahl" in error and "integer" not in error


def test_wtforms_messages_in_group_rows_follow_the_interface_language(client, make_vendor):
    vendor = make_vendor()
    client.post(f"/v/{vendor['token']}/language", data={"language": "de"})
    page = client.post(f"/v/{vendor['token']}/s/B", data={"B1-0-stage": "x", "action": "save"}).get_data(as_text=True)
    (error,) = texts(page, r'<ul class="errors" id="B1-0-stage-error">(.*?)</ul>')
    assert "integer" not in error


# --- the buyer's pages -------------------------------------------------------------------------


def test_login_page_follows_the_browser_language(client):
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert texts(page, r"<h1>(.*?)</h1>") == ["Anmelden"]
    assert texts(page, r'<label for="email">(.*?)</label>') == ["E-Mail"]
    assert texts(page, r'<label for="password">(.*?)</label>') == ["Passwort"]
    assert texts(page, r'<button type="submit" class="primary">(.*?)</button>') == ["Anmelden"]


def test_failed_login_says_so_in_french(client, make_user):
    make_user(email="buyer@example.com")
    page = client.post(
        "/login", data={"email": "buyer@example.com", "password": "wrong password"}, headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert texts(page, r'<p class="flash error">(.*?)</p>') == ["Adresse e-mail ou mot de passe incorrect."]


@pytest.mark.parametrize(
    "language,heading,columns,status",
    [
        (
            "de",
            "Bewertungen",
            ["Anbieter", "Stand", "Einstufung", "Punktzahl", "Pflichtangaben", "Ungelesene Antworten",
             "Offene Bewertungen"],
            "Nicht begonnen",
        ),
        (
            "fr",
            "Évaluations",
            ["Fournisseur", "État", "Verdict", "Note", "Réponses obligatoires", "Réponses à lire", "Notes en attente"],
            "Pas commencé",
        ),
    ],
)  # fmt: skip
def test_buyer_dashboard_follows_the_chosen_language(
    client, make_user, login, make_vendor, language, heading, columns, status
):
    make_vendor()
    login(make_user())
    client.post("/language", data={"language": language, "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert texts(page, r"<h1>(.*?)</h1>") == [heading]
    assert texts(page, r'<th scope="col">(.*?)</th>') == columns
    assert texts(page, r'<span class="status not_started">(.*?)</span>') == [status]
    assert "Log out" not in page and "Evaluations" not in page
