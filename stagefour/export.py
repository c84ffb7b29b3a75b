"""Exports of a whole evaluation: JSON (everything, for machines) and CSV (for a spreadsheet).

The JSON carries each vendor's answers in the Response JSON format of
../shared/QUESTIONNAIRE.md, so an exported response can be fed back to `flask score` or
imported elsewhere. The CSV is what a procurement analyst opens in Excel: one row per vendor
and question, neutralised against formula injection (OWASP "CSV Injection").
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from stagefour import commercials
from stagefour import report
from stagefour import store
from stagefour.evaluations import Comparison
from stagefour.evaluations import VendorReview
from stagefour.evaluations import compare
from stagefour.messages import N_
from stagefour.messages import NP_
from stagefour.questionnaire import DEFAULT_LANGUAGE
from stagefour.questionnaire import MAX_POINTS
from stagefour.questionnaire import Question
from stagefour.questionnaire import Questionnaire
from stagefour.questionnaire import localize
from stagefour.questionnaire import parse_questionnaire
from stagefour.questionnaire import specify_key
from stagefour.response import is_answered
from stagefour.scoring import PENDING
from stagefour.scoring import SCORED
from stagefour.scoring import UNANSWERED

FORMAT = "stagefour-evaluation-export"
FORMAT_VERSION = 1
FORMATS = ("json", "csv")

# Column names are English identifiers on purpose: they are a contract for whoever pivots or
# scripts the file, whatever language the prompts and labels are exported in.
CSV_COLUMNS = (
    "rank",
    "vendor",
    "vendor_status",
    "verdict",
    "overall",
    "provisional",
    "section",
    "section_title",
    "section_score",
    "question_id",
    "row",
    "prompt",
    "answer",
    "points",
    "max",
    "status",
    "why",
    "red_flags",
    "evaluator_scores",
    "clarifications",
    # Questionnaire 1.1: the buyer profile's fields and the vendor's computed commercials lines,
    # repeated on each of the vendor's rows as rank and overall are (empty where unset or not computable).
    "currency",
    "monthly_tasks",
    "monthly_run_cost",
    "go_live_plus_12_months",
    "buyer_data_regions",
    "buyer_ai_act_class",
)

# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# The few words the CSV writes itself, from the interface's catalogues (so a new language needs
# no code); the questionnaire's own texts (prompts, option labels) carry their translations.
_WORDS = {"yes": N_("yes"), "no": N_("no"), "none": N_("none")}


class UnknownEvaluation(LookupError):
    """No evaluation has this id."""


@dataclass(frozen=True)
class EvaluationExport:
    """Everything an export holds, gathered once: settings, questionnaire and the ranked reviews."""

    evaluation: dict
    snapshot: dict
    questionnaire: Questionnaire
    comparison: Comparison
    people: dict  # author or user reference ("user:3", "vendor:7") -> e-mail or vendor name


def gather(
    db: Database, evaluation_id: int, as_of: date, questionnaire: Questionnaire | None = None
) -> EvaluationExport:
    """Load and score an evaluation for export; raise UnknownEvaluation if there is none."""
    evaluation = store.get_evaluation(db, evaluation_id)
    if evaluation is None:
        raise UnknownEvaluation(f"no evaluation {evaluation_id}")
    snapshot = store.get_snapshot(db, evaluation["snapshot_id"])
    if questionnaire is None:
        questionnaire = parse_questionnaire(snapshot["definition"], f"snapshot {snapshot['id']}")
    comparison = compare(db, evaluation, questionnaire, as_of)
    people = {f"vendor:{r.vendor['id']}": r.vendor["name"] for r in comparison.reviews}
    user_ids = {t["created_by"] for r in comparison.reviews for t in r.threads if t["created_by"] is not None}
    user_ids |= {
        int(m["author"].split(":", 1)[1])
        for r in comparison.reviews
        for t in r.threads
        for m in t["messages"]
        if re.fullmatch(r"user:\d+", m["author"])
    }
    for user_id in sorted(user_ids):
        user = store.get_user(db, user_id)
        if user is not None:
            people[f"user:{user_id}"] = user["email"]
    return EvaluationExport(evaluation, snapshot, questionnaire, comparison, people)


def file_name(data: EvaluationExport, extension: str) -> str:
    """A download name such as `stagefour-3-claims-automation-partner-2026-11-21.csv` (ASCII only)."""
    ascii_title = unicodedata.normalize("NFKD", data.evaluation["title"]).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50].strip("-") or "evaluation"
    return f"stagefour-{data.evaluation['id']}-{slug}-{data.comparison.as_of.isoformat()}.{extension}"


# --- JSON ----------------------------------------------------------------------------------


def to_dict(data: EvaluationExport, generated_at: datetime) -> dict:
    """The whole evaluation as plain data, keys in a fixed order (the same input, the same output)."""
    evaluation = data.evaluation
    snapshot = data.snapshot
    comparison = data.comparison
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "as_of": comparison.as_of.isoformat(),
        "evaluation": {
            "id": evaluation["id"],
            "title": evaluation["title"],
            "deadline": evaluation["deadline"],
            "created_at": evaluation["created_at"],
            "updated_at": evaluation["updated_at"],
            "weights": dict(comparison.weights),
            "buyer_profile": dict(sorted(evaluation["buyer_profile"].items())),
        },
        "ranking": [
            {
                "rank": rank,
                "vendor_id": review.vendor["id"],
                "vendor": review.vendor["name"],
                "verdict": review.result.verdict.code if review.result.verdict else None,
                "overall": review.result.overall,
                "provisional": review.result.provisional,
            }
            for rank, review in enumerate(comparison.reviews, 1)
        ],
        "stability": {
            "stable": comparison.stable,
            "sensitivities": [dataclasses.asdict(s) for s in comparison.sensitivities],
        },
        "vendors": [_vendor(data, rank, review) for rank, review in enumerate(comparison.reviews, 1)],
        "questionnaire": {
            "snapshot_id": snapshot["id"],
            "id": snapshot["questionnaire_id"],
            "version": snapshot["version"],
            "hash": snapshot["hash"],
            "definition": snapshot["definition"],
        },
    }


def to_json(data: EvaluationExport, generated_at: datetime) -> bytes:
    """The JSON export as UTF-8 bytes (non-ASCII kept as is, not \\u-escaped)."""
    return (json.dumps(to_dict(data, generated_at), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def response_json(questionnaire: Questionnaire, review: VendorReview) -> dict:
    """One vendor's answers in the Response JSON format (what `flask score` reads)."""
    return {
        "questionnaire": questionnaire.id,
        "questionnaire_version": questionnaire.version,
        "vendor": review.vendor["name"],
        "language": review.vendor["language"] or DEFAULT_LANGUAGE,
        "answers": _ordered_answers(questionnaire, review.answers),
    }


def _vendor(data: EvaluationExport, rank: int, review: VendorReview) -> dict:
    vendor = review.vendor
    result = review.result.to_dict()
    return {
        "rank": rank,
        "id": vendor["id"],
        "name": vendor["name"],
        "contact_email": vendor["contact_email"],
        "status": vendor["status"],
        "language": vendor["language"],
        "submitted_at": vendor["submitted_at"],
        "updated_at": vendor["updated_at"],
        "verdict": result["verdict"],
        "overall": result["overall"],
        "provisional": result["provisional"],
        "red_flags": result["red_flags"],
        "response": response_json(data.questionnaire, review),
        "result": result,
        **(
            {"commercials": commercials.commercials(review.answers, data.evaluation["buyer_profile"])}
            if has_commercials(data.questionnaire)
            else {}
        ),
        "manual_scores": [
            {
                "question_id": m["question_id"],
                "evaluator": m["evaluator"],
                "score": m["score"],
                "comment": m["comment"],
                "updated_at": m["updated_at"],
            }
            for m in review.manual
        ],
        "verifications": {
            deployment: {
                "reference_checked": v["reference_checked"],
                "evidence_reviewed": v["evidence_reviewed"],
                "note": v["note"],
                "fingerprint": v["fingerprint"],
                "changed_since_verified": v["changed"],
            }
            for deployment, v in sorted(review.verifications.items())
        },
        "clarifications": [
            {
                "id": t["id"],
                "question_id": t["question_id"],
                "status": t["status"],
                "created_by": data.people.get(f"user:{t['created_by']}"),
                "created_at": t["created_at"],
                "closed_at": t["closed_at"],
                "messages": [
                    {
                        "author": m["author"],
                        "author_name": data.people.get(m["author"]),
                        "body": m["body"],
                        "created_at": m["created_at"],
                    }
                    for m in t["messages"]
                ],
            }
            for t in review.threads
        ],
    }


def has_commercials(questionnaire: Questionnaire) -> bool:
    """Whether the questionnaire has section K, whose K1–K6 make the commercials (1.1 on)."""
    return any(section.id == "K" for section in questionnaire.sections)


def _ordered_answers(questionnaire: Questionnaire, answers: dict) -> dict:
    """Answers in questionnaire order, group cells in field order, so the file diffs cleanly."""
    out = {}
    for qid, q in questionnaire.questions.items():
        if qid in answers:
            value = answers[qid]
            if q.type == "group" and isinstance(value, list):
                value = [_ordered_row(q, row) for row in value]
            out[qid] = value
        for option in q.specify_options:  # "please specify" texts right after their answer (issue 15)
            key = specify_key(qid, option.value)
            if key in answers:
                out[key] = answers[key]
    for qid in sorted(set(answers) - set(out)):
        out[qid] = answers[qid]
    return out


def _ordered_row(q: Question, row: Any) -> Any:
    if not isinstance(row, dict):
        return row
    known = {f.id: row[f.id] for f in q.fields if f.id in row}
    return known | {k: row[k] for k in sorted(set(row) - set(known))}


# --- CSV -----------------------------------------------------------------------------------


def neutralise(value: str) -> str:
    """A text cell that a spreadsheet will show, never run: a leading `'` before a formula trigger.

    Leading blanks are looked past because some spreadsheets trim them before parsing.
    """
    stripped = value.lstrip(" \n\t\r")
    if value.startswith(FORMULA_TRIGGERS) or stripped.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """One cell: numbers stay numbers (negative ones too), text is neutralised, None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("booleans are written as words by the caller")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return neutralise(str(value))


def csv_rows(data: EvaluationExport, language: str = DEFAULT_LANGUAGE) -> list[list[str]]:
    """The header and one row per vendor and question, plus one per repeating-group row.

    A repeating group (B1 deployments, C1 engineers, D1 failure modes) gets its own row first,
    with the item's points and "3 row(s)" as the answer, then one row per group row with the
    row number and its cells as "Field: value; …", and no points. An analyst can then filter
    the deployments of every vendor, read each one on a single line, and still sum the points
    column without counting an item twice. One row per group *cell* was rejected: 17 fields
    × rows × vendors is a sheet nobody reads, and a deployment no longer reads as one line.
    """
    q = data.questionnaire
    buyer_profile = data.evaluation["buyer_profile"]
    regions = buyer_profile.get("data_regions")
    profile_cells = [
        "; ".join(map(str, regions)) if isinstance(regions, list) and regions else None,
        buyer_profile.get("ai_act_class") or None,
    ]
    rows = [list(CSV_COLUMNS)]
    for rank, review in enumerate(data.comparison.reviews, 1):
        result = review.result
        items = result.items
        if has_commercials(q):
            lines = commercials.commercials(review.answers, buyer_profile)
            money = [lines[k] for k in ("currency", "monthly_tasks", "monthly_run_cost", "go_live_plus_12_months")]
        else:
            money = [None, None, None, None]
        vendor_end = money + profile_cells
        vendor = [
            rank,
            review.vendor["name"],
            review.vendor["status"],
            _verdict(result.verdict),
            result.overall,
            _word("yes" if result.provisional else "no", language),
        ]
        flags = _flags_by_answer(result.red_flags)
        manual = _manual_by_question(review.manual)
        threads = _threads_by_question(review.threads, data.people)
        for section in q.sections:
            section_score = next(s.score for s in result.sections if s.id == section.id)
            where = [section.id, localize(section.title, language), section_score]
            for question in section.questions:
                item = items[question.id]
                value = review.answers.get(question.id)
                counted = item.status in (SCORED, UNANSWERED, PENDING)
                rows.append(
                    vendor
                    + where
                    + [
                        question.id,
                        None,
                        localize(question.prompt, language),
                        describe(question, value, language, review.answers),
                        item.points,
                        MAX_POINTS if counted else None,
                        item.status,
                        item.why,
                        " ".join(flags.get(question.id, [])),
                        manual.get(question.id),
                        threads.get(question.id),
                    ]
                    + vendor_end
                )
                if question.type == "group" and isinstance(value, list):
                    for index, row in enumerate(value):
                        rows.append(
                            vendor
                            + where
                            + [
                                question.id,
                                index + 1,
                                localize(question.prompt, language),
                                describe_row(question, row, language),
                                None,
                                None,
                                None,
                                None,
                                " ".join(flags.get(f"{question.id}[{index}]", [])),
                                None,
                                None,
                            ]
                            + vendor_end
                        )
    return [[csv_cell(cell) for cell in row] for row in rows]


def to_csv(data: EvaluationExport, language: str = DEFAULT_LANGUAGE) -> bytes:
    """The CSV export: UTF-8 with a byte-order mark, so Excel reads accents and scripts right."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(data, language))
    return buffer.getvalue().encode("utf-8-sig")


def describe(question: Question, value: Any, language: str = DEFAULT_LANGUAGE, answers: dict | None = None) -> Any:
    """An answer as a person reads it: option labels, yes/no, ISO dates; numbers stay numbers.

    With the response's `answers`, an option's "please specify" text follows its label.
    """
    if value is None or (question.type != "group" and not is_answered(question, value)):
        return None
    t = question.type
    if t == "yes_no":
        return _word("yes" if value else "no", language)
    if t == "single":
        return _option_words(question, value, language, answers)
    if t == "multi":
        return "; ".join(_option_words(question, v, language, answers) for v in value) or _word("none", language)
    if t == "number":
        # a number stays a number; anything else stored there (old data) is written as text
        return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    if t == "file":
        return "; ".join(f["name"] if isinstance(f, dict) else str(f) for f in value)
    if t == "id_list":
        return ", ".join(map(str, value)) or _word("none", language)
    if t == "group":
        if not value:
            return _word("none", language)
        rows = NP_("%(num)s row", "%(num)s rows", num=len(value))
        return rows.render(report.translations(language), language)
    return value


def _option_words(question: Question, value: str, language: str, answers: dict | None) -> str:
    text = (answers or {}).get(specify_key(question.id, value))
    return question.option_label(value, language) + (f": {text}" if isinstance(text, str) and text else "")


def describe_row(question: Question, row: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """One repeating-group row as `Field: value; Field: value` in field order."""
    parts = []
    for f in question.fields:
        text = describe(f, row.get(f.id), language)
        if text is not None:
            shown = csv_cell(text) if isinstance(text, int | float) else text
            parts.append(f"{localize(f.prompt, language)}: {shown}")
    return "; ".join(parts)


def _word(key: str, language: str) -> str:
    return _WORDS[key].render(report.translations(language), language)


def _verdict(verdict) -> str | None:
    if verdict is None:
        return None
    overlays = ", ".join(label for _, label in verdict.overlays)
    return f"{verdict.label} ({overlays})" if overlays else verdict.label


def _flags_by_answer(flags) -> dict[str, list[str]]:
    """Question id, and `B1[2]` for a group row -> codes of the flags that point there."""
    out: dict[str, list[str]] = {}
    for flag in flags:
        for ref in flag.answers:
            match = re.match(r"([A-Za-z][A-Za-z0-9_]*)(\[\d+\])?", ref)
            if not match:
                continue
            keys = [match.group(1)] + ([match.group(0)] if match.group(2) else [])
            for key in keys:
                codes = out.setdefault(key, [])
                if flag.code not in codes:
                    codes.append(flag.code)
    return out


def _manual_by_question(manual: list[dict]) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    for m in manual:
        text = f"{m['evaluator']}: {m['score']}" + (f" — {m['comment']}" if m["comment"] else "")
        out.setdefault(m["question_id"], []).append(text)
    return {qid: "\n".join(lines) for qid, lines in out.items()}


def _threads_by_question(threads: list[dict], people: dict) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    for t in threads:
        lines = [f"[{t['status']}]"] + [f"{people.get(m['author'], m['author'])}: {m['body']}" for m in t["messages"]]
        out.setdefault(t["question_id"], []).append("\n".join(lines))
    return {qid: "\n\n".join(parts) for qid, parts in out.items()}
