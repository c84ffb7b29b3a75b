"""The vendor's page without traps (issue 12, item 7): resume, file limit, remove with undo, a closed link while typing."""

import re

from stagefour import store

from .conftest import load_response_json
from .test_vendor import answers
from .test_vendor import save


def resume_button(client, v) -> tuple[str, str]:
    html = client.get(f"/v/{v['token']}").get_data(as_text=True)
    href, text = re.search(r'<a class="button primary" href="([^"]+)" id="resume">([^<]+)</a>', html).groups()
    return href, text


def section_answers(questionnaire, full: dict, section_ids: str) -> dict:
    keep = {q.id for s in questionnaire.sections if s.id in section_ids for q in s.questions}
    return {k: v for k, v in full.items() if k in keep}


def test_a_new_vendor_starts_with_the_first_section(client, make_vendor):
    v = make_vendor()
    assert resume_button(client, v) == (f"/v/{v['token']}/s/A", "Start with section A")


def test_coming_back_resumes_at_the_first_section_with_a_required_answer_missing(client, make_vendor, questionnaire):
    full = load_response_json("stage4-deployer")["answers"]
    v = make_vendor(answers=section_answers(questionnaire, full, "AB"))
    href, text = resume_button(client, v)
    assert text == "Continue with section C" and href == f"/v/{v['token']}/s/C"
    # a gap left behind is where the vendor goes back to, before the later sections
    gap = make_vendor("Gap Co", answers=section_answers(questionnaire, full, "ACD"))
    assert resume_button(client, gap)[1] == "Continue with section B"


def test_with_every_required_answer_given_the_button_leads_to_review_and_submit(client, make_vendor):
    v = make_vendor(answers=load_response_json("stage4-deployer")["answers"])
    assert resume_button(client, v) == (f"/v/{v['token']}/review", "Review and submit")
