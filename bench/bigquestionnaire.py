"""Generate big questionnaires and vendors' answers for the scale work of issue 15 (item 4).

    .venv/bin/python bench/bigquestionnaire.py --sections 20 --per-section 50 --out /tmp/big.yaml

`big_questionnaire(sections, per_section)` returns the questionnaire as plain data (what the
YAML loader reads); `small_variant()` is one section of 100 scored items and two small ones, for
tests; `responses(data, vendors)` gives each vendor's answers. The wording is our own, generic
and repetitive on purpose: only the shape matters (long section ids and titles, display numbers
like "GOV.01", a mix of question types and scoring rules, a few conditions).
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Long, realistic-looking section names: ids and titles that do not fit a narrow column.
TOPICS = [
    ("INFORMATION_SECURITY_GOVERNANCE", "ISG", "Information security governance and management oversight"),
    ("IDENTITY_AND_ACCESS_MANAGEMENT", "IAM", "Identity, authentication and privileged access management"),
    ("BUSINESS_CONTINUITY_RESILIENCE", "BCR", "Business continuity, disaster recovery and operational resilience"),
    ("SUPPLY_CHAIN_THIRD_PARTY_RISK", "SCR", "Supply-chain and fourth-party risk management"),
    ("DATA_PROTECTION_PRIVACY", "DPP", "Data protection, privacy and records retention"),
    ("VULNERABILITY_MANAGEMENT", "VUL", "Vulnerability management and secure configuration"),
    ("SECURE_SOFTWARE_DEVELOPMENT", "SDL", "Secure software development lifecycle"),
    ("INCIDENT_RESPONSE_FORENSICS", "IRF", "Incident response, forensics and customer notification"),
    ("CRYPTOGRAPHY_KEY_MANAGEMENT", "CKM", "Cryptography and encryption key management"),
    ("PHYSICAL_ENVIRONMENTAL_SECURITY", "PES", "Physical and environmental security of facilities"),
    ("HUMAN_RESOURCES_SECURITY", "HRS", "Human resources security, screening and awareness training"),
    ("NETWORK_INFRASTRUCTURE_SECURITY", "NET", "Network and infrastructure security"),
    ("LOGGING_MONITORING_DETECTION", "LMD", "Logging, monitoring and threat detection"),
    ("ASSET_INVENTORY_CLASSIFICATION", "AIC", "Asset inventory and information classification"),
    ("CLOUD_HOSTING_SHARED_RESPONSIBILITY", "CLD", "Cloud hosting and the shared-responsibility model"),
    ("REGULATORY_COMPLIANCE_AUDIT", "RCA", "Regulatory compliance, certifications and audit rights"),
    ("CHANGE_RELEASE_MANAGEMENT", "CRM", "Change and release management"),
    ("ENDPOINT_MOBILE_DEVICE_SECURITY", "EMD", "Endpoint and mobile device security"),
    ("FINANCIAL_STABILITY_INSURANCE", "FSI", "Financial stability and insurance cover"),
    ("SERVICE_LEVELS_SUPPORT", "SLS", "Service levels, support and exit arrangements"),
]

SUBJECTS = [
    "the written policy for this area",
    "an owner named at management level",
    "a yearly independent review",
    "automated evidence collection",
    "documented exceptions with an expiry date",
    "metrics reported to the board",
    "training for the staff concerned",
    "a tested fallback procedure",
    "contractual commitments flowed down to subcontractors",
    "records kept for at least three years",
]

FREQUENCY = [
    {"value": "continuous", "label": "Continuously or automatically"},
    {"value": "monthly", "label": "At least monthly"},
    {"value": "yearly", "label": "At least once a year"},
    {"value": "ad_hoc", "label": "Only when something happens"},
    {"value": "not_applicable", "label": "Not applicable to our service", "not_applicable": True},
]

CONTROLS = [
    {"value": "documented", "label": "Documented"},
    {"value": "automated", "label": "Automated"},
    {"value": "monitored", "label": "Monitored with alerts"},
    {"value": "tested", "label": "Tested in the last year"},
    {"value": "audited", "label": "Audited by a third party"},
]


def _question(topic: tuple[str, str, str], s: int, i: int) -> dict:
    """One question of a section: the type and rule cycle so every section holds every kind."""
    long_id, short, title = topic
    qid = f"{long_id}_Q{i + 1:03d}"
    subject = SUBJECTS[i % len(SUBJECTS)]
    kind = i % 6
    base = {"id": qid, "number": f"{short}.{i + 1:02d}"}
    if kind == 0:
        return base | {
            "type": "yes_no",
            "required": True,
            "prompt": f"For {title.lower()}: do you have {subject}?",
            "scoring": {"kind": "points", "points": {"yes": 5, "no": 0}},
        }
    if kind == 1:
        return base | {
            "type": "single",
            "required": True,
            "prompt": f"How often do you review {subject} for {title.lower()}?",
            "options": FREQUENCY,
            "scoring": {"kind": "points", "points": {"continuous": 5, "monthly": 4, "yearly": 3, "ad_hoc": 1}},
        }
    if kind == 2:
        return base | {
            "type": "multi",
            "prompt": f"Which of these describe {subject} for {title.lower()}?",
            "options": CONTROLS,
            "scoring": {"kind": "per_option", "points": {c["value"]: 1 for c in CONTROLS}, "max": 5},
        }
    if kind == 3:
        return base | {
            "type": "number",
            "integer": True,
            "min": 0,
            "max": 3650,
            "unit": "days",
            "prompt": f"How many days, at most, between a finding about {subject} and its fix?",
            "scoring": {
                "kind": "bands",
                "bands": [{"max": 7, "points": 5}, {"max": 30, "points": 3}, {"max": 90, "points": 1}],
            },
        }
    if kind == 4:
        # Depends on the yes/no four items earlier: a condition on every sixth question.
        return base | {
            "type": "yes_no",
            "prompt": f"Is {subject} covered by your certification scope?",
            "visible_if": {"question": f"{long_id}_Q{i - 3:03d}", "equals": True},
            "scoring": {"kind": "points", "points": {"yes": 5, "no": 1}},
        }
    return base | {
        "type": "long_text",
        "max_length": 2000,
        "prompt": f"Describe {subject} for {title.lower()}, with an example from the last year.",
        "scoring": "manual",
    }


def big_questionnaire(sections: int = 20, per_section: int = 50, qid: str = "big-questionnaire") -> dict:
    """A questionnaire of `sections` × `per_section` questions, as the plain data the loader reads."""
    out = []
    for s in range(sections):
        topic = TOPICS[s % len(TOPICS)]
        if s >= len(TOPICS):
            topic = (f"{topic[0]}_{s + 1}", f"{topic[1]}{s + 1}", f"{topic[2]} ({s + 1})")
        out.append(
            {
                "id": topic[0],
                "number": topic[1],
                "title": topic[2],
                "weight": 1 + s % 3,
                "questions": [_question(topic, s, i) for i in range(per_section)],
            }
        )
    return {
        "id": qid,
        "version": "1.0.0",
        "title": f"Big questionnaire: {sections * per_section} questions",
        "languages": ["en"],
        "anchors": {n: f"Anchor {n}" for n in range(6)},
        "sections": out,
    }


def small_variant() -> dict:
    """One section of 100 scored items and two sections of 6: for tests."""
    data = big_questionnaire(sections=3, per_section=6, qid="big-section")
    data["title"] = "One big section"
    # Every kind the generator makes is scored (long texts by an evaluator): 100 scored items.
    data["sections"][0]["questions"] = [_question(TOPICS[0], 0, i) for i in range(100)]
    return data


def _answer(question: dict, rng: random.Random):
    kind = question["type"]
    if kind == "yes_no":
        return rng.random() < 0.7
    if kind == "single":
        return rng.choice([o["value"] for o in question["options"]])
    if kind == "multi":
        values = [o["value"] for o in question["options"]]
        return rng.sample(values, rng.randint(0, len(values)))
    if kind == "number":
        return rng.choice([1, 5, 14, 30, 60, 120])
    if kind == "long_text":
        return "We do this every quarter; the last review found two gaps, both closed within a month. " * rng.randint(
            1, 3
        )
    return None


def responses(data: dict, vendors: int = 3, seed: int = 15) -> list[dict]:
    """Response JSON objects (as dicts) for `vendors` vendors; some items left unanswered."""
    out = []
    for n in range(vendors):
        rng = random.Random(seed + n)
        answers = {}
        for section in data["sections"]:
            for q in section["questions"]:
                if rng.random() < 0.05:
                    continue
                value = _answer(q, rng)
                if value is not None:
                    answers[q["id"]] = value
        vendor = f"Vendor {chr(65 + n)} Limited"
        out.append({"questionnaire": data["id"], "vendor": vendor, "language": "en", "answers": answers})
    return out


class _NoAliases(yaml.SafeDumper):
    # The loader refuses anchors and aliases; the shared option lists must be written out each time.
    def ignore_aliases(self, data) -> bool:
        return True


def to_yaml(data: dict) -> str:
    """The questionnaire as YAML text the loader accepts."""
    return yaml.dump(data, Dumper=_NoAliases, sort_keys=False, allow_unicode=True, width=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=20)
    parser.add_argument("--per-section", type=int, default=50)
    parser.add_argument("--small", action="store_true", help="the test variant: one section of 100 items")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    from stagefour.questionnaire import load_yaml_bytes

    data = small_variant() if args.small else big_questionnaire(args.sections, args.per_section)
    text = to_yaml(data)
    questionnaire = load_yaml_bytes(text.encode(), str(args.out))
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(questionnaire.questions)} questions in {len(questionnaire.sections)} sections")


if __name__ == "__main__":
    main()
