"""Messages with ids and parameters (stagefour/messages.py): English for exports, the reader's language on pages."""

from __future__ import annotations

import json
import pickle
from datetime import date

import pytest

from stagefour import report
from stagefour.messages import N_
from stagefour.messages import NP_
from stagefour.messages import catalogue_languages
from stagefour.messages import label
from stagefour.messages import language_name
from stagefour.messages import series
from stagefour.scoring import reason
from stagefour.scoring import score_response

from .conftest import AS_OF


def say(message, lang):
    return message.render(report.translations(lang), lang)


def test_a_message_is_its_english_sentence_for_json_csv_and_logs():
    flag = N_("Stage 4 claimed but not in production: %(deployments)s", deployments=series(["d2", "d3"]))
    assert flag == "Stage 4 claimed but not in production: d2, d3"
    assert json.dumps({"message": flag}) == '{"message": "Stage 4 claimed but not in production: d2, d3"}'
    assert pickle.loads(pickle.dumps(flag)).render(report.translations("de"), "de") == say(flag, "de")


def test_numbers_and_dates_are_written_for_the_readers_locale():
    why = N_("%(points)s: %(why)s", points=3.5, why=N_("went live before %(date)s", date=date(2026, 5, 21)))
    assert why == "3.5: went live before 2026-05-21"
    assert say(why, "de") == "3,5: Go-live vor dem 21.05.2026"
    assert say(why, "fr") == "3,5 : mise en service avant le 21 mai 2026"
    assert say(why, "es").startswith("3,5: puesta en producción antes del 21 may 2026")


@pytest.mark.parametrize(
    ("lang", "one", "many"),
    [
        ("en", "1 qualifying deployment: d1", "2 qualifying deployments: d1"),
        ("de", "1 qualifizierendes Deployment: d1", "2 qualifizierende Deployments: d1"),
        ("es", "1 despliegue válido: d1", "2 despliegues válidos: d1"),
    ],
)
def test_plurals_follow_the_language(lang, one, many):
    def words(n):
        return NP_(
            "%(num)s qualifying deployment: %(deployments)s",
            "%(num)s qualifying deployments: %(deployments)s",
            num=n,
            deployments="d1",
        )

    assert say(words(1), lang) == one
    assert say(words(2), lang) == many


def test_an_option_label_is_shown_in_the_readers_language_never_the_english_under_it(questionnaire):
    h2 = questionnaire.question("H2")
    answered = N_('answered "%(answer)s"', answer=label(h2.options[-1].label))
    assert answered == 'answered "Yes, or we do not know"'
    assert "not know" not in say(answered, "de") and "Sí, o no lo sabemos" in say(answered, "es")


def test_scoring_reasons_and_flags_render_in_german_without_english(questionnaire, stage4_answers):
    stage4_answers["B3"] = 12
    stage4_answers["E7b"] = 30
    result = score_response(questionnaire, stage4_answers, AS_OF, manual_scores={"C4": [2, 4]})
    c4 = result.items["C4"].why
    assert c4.startswith("3: mean of 2 evaluator scores (2, 4)")
    assert say(reason(c4), "de").startswith("Mittelwert aus 2 Bewertungen (2, 4)")
    r16 = next(f for f in result.red_flags if f.code == "R16")
    assert say(r16.message, "fr") == "Journaux des appels d’outils conservés 30 jours, moins de 180"
    assert result.to_dict()["red_flags"][0]["message"] == str(result.red_flags[0].message)


def test_languages_come_from_the_catalogues_found(tmp_path):
    for code in ("fr", "pt"):
        (tmp_path / code / "LC_MESSAGES").mkdir(parents=True)
        (tmp_path / code / "LC_MESSAGES" / "messages.po").write_text("", encoding="utf-8")
    assert catalogue_languages(tmp_path) == ("en", "fr", "pt")
    assert {"en", "de", "fr", "es"} <= set(report.LANGUAGES)
    assert [language_name(c) for c in ("en", "de", "fr", "es")] == ["English", "Deutsch", "Français", "Español"]
