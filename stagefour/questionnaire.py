"""Questionnaires as data: the model, the YAML loader and its validation.

The format is documented in questionnaires/README.md. Loading reports every problem at
once, each with its path, because an author fixing a file one error per run gives up.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from stagefour import profiles

DEFAULT_LANGUAGE = "en"

QUESTION_TYPES = (
    "text",
    "long_text",
    "yes_no",
    "single",
    "multi",
    "number",
    "date",
    "url",
    "email",
    "file",
    "group",
    "computed",
)
FIELD_TYPES = tuple(t for t in QUESTION_TYPES if t not in ("group", "computed")) + ("id_list",)
RULE_KINDS = ("none", "manual", "points", "per_option", "share", "bands", "age", "metric")
RULE_KINDS_BY_TYPE = {
    "points": ("yes_no", "single"),
    "per_option": ("multi",),
    "share": ("multi",),
    "bands": ("number",),
    "age": ("date",),
}
DEFAULT_MAX_LENGTH = {"text": 500, "long_text": 10_000, "url": 2_000, "email": 320, "id_list": 40}
DEFAULT_MAX_ROWS = 200
DEFAULT_MAX_FILES = 10
MAX_POINTS = 5.0
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ITEM_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

Text = dict  # language code -> string; "en" always present


class QuestionnaireError(ValueError):
    """A questionnaire file is invalid; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str], source: str = "questionnaire"):
        self.errors = errors
        super().__init__(f"{source}: {len(errors)} error(s)\n" + "\n".join(errors))


def localize(text: Text | None, language: str = DEFAULT_LANGUAGE) -> str:
    """The text in `language`, falling back to English."""
    if not text:
        return ""
    return text.get(language) or text.get(DEFAULT_LANGUAGE, "")


@dataclass(frozen=True, eq=False)
class Option:
    value: str
    label: Text
    # "N/A — we do not process card data": answered, but the item leaves its section's denominator.
    not_applicable: bool = False
    # "Other — please specify": choosing it asks for a short text, stored under specify_key().
    specify: bool = False


SEVERITIES = ("high", "medium", "low")
SPECIFY_MAX_LENGTH = 500


def specify_key(question_id: str, value: str) -> str:
    """The answer key of an option's "please specify" text (`S3.other`): a dot never occurs in a question id."""
    return f"{question_id}.{value}"


@dataclass(frozen=True, eq=False)
class Block:
    """A heading or a note between the questions of a section: text only, never answered or scored."""

    type: str  # "heading" | "note"
    text: Text


@dataclass(frozen=True, eq=False)
class AnswerWarning:
    """`warnings:` on a question: raised when its answer meets `when`."""

    when: Any  # a Condition on the question's own answer
    severity: str
    message: Text


@dataclass(frozen=True, eq=False)
class VerdictLevel:
    """One level of a generic verdict: every threshold given must hold."""

    overall: float | None = None
    sections: dict = field(default_factory=dict)  # section id -> minimum score (0–100)
    warnings: dict = field(default_factory=dict)  # severity -> most warnings allowed


@dataclass(frozen=True, eq=False)
class Band:
    """A range of values (or a date window) that earns `points`; first match wins."""

    points: float
    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None
    within_months: int | None = None

    def matches(self, value: float) -> bool:
        """Whether a number falls inside this band."""
        return not (
            (self.min is not None and value < self.min)
            or (self.max is not None and value > self.max)
            or (self.above is not None and value <= self.above)
            or (self.below is not None and value >= self.below)
        )

    def describe(self) -> str:
        """The band as a short human-readable range, e.g. '2–4' or '> 8'."""
        if self.within_months is not None:
            return f"within {self.within_months} months"
        parts = []
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)}–{_num(self.max)}"
        if self.min is not None:
            parts.append(f"≥ {_num(self.min)}")
        if self.above is not None:
            parts.append(f"> {_num(self.above)}")
        if self.max is not None:
            parts.append(f"≤ {_num(self.max)}")
        if self.below is not None:
            parts.append(f"< {_num(self.below)}")
        return " and ".join(parts) or "any"


APPLICABLE, NOT_APPLICABLE, UNKNOWN = "applicable", "not_applicable", "unknown"
BAND_KEYS = ("min", "max", "above", "below")


@dataclass(frozen=True, eq=False)
class Condition:
    """`visible_if` or a bonus test on another question's answer.

    static/conditions.js evaluates `to_data()` the same way in the vendor's browser (issue 15):
    change one, change the other (tests/browser/test_conditions.py checks they agree).
    """

    question: str = ""
    equals: Any = None
    one_of: tuple | None = None
    band: Band | None = None
    # "all", "any" or "not": a compound of `parts` (visible_if only); None for a test on `question`
    op: str | None = None
    parts: tuple[Condition, ...] = ()

    @property
    def questions(self) -> tuple[str, ...]:
        """The questions the condition tests, each once, in order."""
        if self.op is None:
            return (self.question,)
        return tuple(dict.fromkeys(qid for part in self.parts for qid in part.questions))

    def leaves(self) -> tuple[Condition, ...]:
        """The tests on one question each, in order."""
        return (self,) if self.op is None else tuple(leaf for part in self.parts for leaf in part.leaves())

    def holds(self, value: Any) -> bool:
        """Whether an answer (not None) satisfies a test on one question; a list (multi) when any item does."""
        if isinstance(value, list):
            return any(self._holds_one(v) for v in value)
        return self._holds_one(value)

    def _holds_one(self, value: Any) -> bool:
        if self.one_of is not None:
            return any(_same(value, v) for v in self.one_of)
        if self.band is not None:
            return _is_number(value) and self.band.matches(value)
        return _same(value, self.equals)

    def applicability(self, value: Any, above: str = APPLICABLE) -> str:
        """The dependant's state from the controlling answer and the controlling question's own state.

        Not applicable above wins (a chain hides everything below it); an unanswered controlling
        question leaves it unknown; otherwise the test decides, and unknown above stays unknown.
        """
        if above == NOT_APPLICABLE:
            return NOT_APPLICABLE
        if value is None or value == "":
            return UNKNOWN
        if not self.holds(value):
            return NOT_APPLICABLE
        return above

    def decide(self, lookup: Callable[[str], tuple[Any, str]]) -> str:
        """The dependant's state; `lookup(question)` gives that question's answer and its own state.

        `all`, `any` and `not` follow three-valued logic (unknown where the known answers cannot
        decide): `all` fails when one part fails, `any` holds when one part holds, `not` swaps
        applicable and not applicable. A test on a question that does not apply fails.
        """
        if self.op is None:
            return self.applicability(*lookup(self.question))
        states = [part.decide(lookup) for part in self.parts]
        if self.op == "not":
            return {APPLICABLE: NOT_APPLICABLE, NOT_APPLICABLE: APPLICABLE}.get(states[0], UNKNOWN)
        decisive, otherwise = (NOT_APPLICABLE, APPLICABLE) if self.op == "all" else (APPLICABLE, NOT_APPLICABLE)
        if decisive in states:
            return decisive
        return UNKNOWN if UNKNOWN in states else otherwise

    def to_data(self) -> dict:
        """The condition as JSON-able data for the vendor page (`data-condition`, static/conditions.js)."""
        if self.op == "not":
            return {"not": self.parts[0].to_data()}
        if self.op is not None:
            return {self.op: [part.to_data() for part in self.parts]}
        if self.one_of is not None:
            return {"q": self.question, "in": list(self.one_of)}
        if self.band is not None:
            return {
                "q": self.question,
                "band": {k: getattr(self.band, k) for k in BAND_KEYS if getattr(self.band, k) is not None},
            }
        return {"q": self.question, "equals": self.equals}


def _same(a: Any, b: Any) -> bool:
    """Equality as JavaScript's `===` sees answers: true is not 1 (Python says it is)."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b


@dataclass(frozen=True, eq=False)
class Bonus:
    condition: Condition
    points: float


@dataclass(frozen=True, eq=False)
class Rule:
    """How an item earns 0–5 points."""

    kind: str = "none"
    points: dict = field(default_factory=dict)
    bands: tuple[Band, ...] = ()
    otherwise: float = 0.0
    max: float = MAX_POINTS
    scale: float | None = None
    metric: str | None = None
    evidence: str | None = None
    bonus: tuple[Bonus, ...] = ()

    @property
    def scored(self) -> bool:
        """Whether the item counts in a section score."""
        return self.kind != "none"


@dataclass(frozen=True, eq=False)
class Question:
    id: str
    type: str
    prompt: Text
    help: Text = field(default_factory=dict)
    required: bool = False
    options: tuple[Option, ...] = ()
    fields: tuple[Question, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    # An amount in the evaluation's currency (issue 14): ≥ 0, at most 2 decimals, shown with the currency.
    money: bool = False
    unit: Text = field(default_factory=dict)
    max_length: int | None = None
    min_rows: int = 0
    max_rows: int = DEFAULT_MAX_ROWS
    max_files: int = DEFAULT_MAX_FILES
    refers_to: str | None = None
    choices_from: str | None = None  # "C1.id": the field picks from the saved rows of another group
    choice_label: str | None = None  # a field of those rows shown beside each id ("e2 — Jane Doe")
    visible_if: Condition | None = None
    # "Skip the rest if…" (issue 15): a test on this question's own answer; when it holds, the
    # questions after it in its section do not apply.
    skip_rest_if: Condition | None = None
    # What decides whether the question applies: its section's `visible_if`, the `skip_rest_if`
    # tests above it in the section and its own `visible_if`, all together (None: always). Derived
    # by the loader, so the core and the page's script evaluate one condition (static/conditions.js).
    applies_if: Condition | None = None
    scoring: Rule = field(default_factory=Rule)
    weight: float = 1.0
    # A group's name for one of its rows ("deployment"), for references a reader understands.
    row_label: Text = field(default_factory=dict)
    number: str | None = None  # the display number ("2.1.1", "GOV.01"); the id stays the key
    warnings: tuple[AnswerWarning, ...] = ()

    def __post_init__(self) -> None:
        # a question made outside a section (a test, a one-off) applies on its own condition alone
        if self.applies_if is None and self.visible_if is not None:
            object.__setattr__(self, "applies_if", self.visible_if)

    @property
    def shown_number(self) -> str:
        """What a reader sees for this question: its display number, else its id."""
        return self.number or self.id

    @property
    def specify_options(self) -> tuple[Option, ...]:
        """The options that ask for a "please specify" text."""
        return tuple(o for o in self.options if o.specify)

    def is_not_applicable(self, value: Any) -> bool:
        """Whether an answer is an option marked `not_applicable`."""
        return isinstance(value, str) and any(o.value == value and o.not_applicable for o in self.options)

    @property
    def option_values(self) -> tuple[str, ...]:
        """The allowed option values, in order."""
        return tuple(o.value for o in self.options)

    def option_label(self, value: str, language: str = DEFAULT_LANGUAGE) -> str:
        """The label of one option value, or the value itself if unknown."""
        for option in self.options:
            if option.value == value:
                return localize(option.label, language)
        return str(value)

    def field_by_id(self, field_id: str) -> Question | None:
        """One sub-field of a repeating group."""
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True, eq=False)
class Section:
    id: str
    title: Text
    weight: float
    questions: tuple[Question, ...]
    help: Text = field(default_factory=dict)
    # Instructions for the vendor filling in the form ("If you answer No to F1…"): never in the buyer's PDF.
    vendor_help: Text = field(default_factory=dict)
    number: str | None = None
    # The questions with the headings and notes between them, in file order (pages and the PDF appendix).
    items: tuple = ()
    # Shown on a condition (issue 15): when it does not apply, none of its questions does.
    visible_if: Condition | None = None

    @property
    def shown_number(self) -> str:
        """What a reader sees for this section: its display number, else its id."""
        return self.number or self.id


@dataclass(frozen=True, eq=False)
class Questionnaire:
    id: str
    version: str
    title: Text
    languages: tuple[str, ...]
    sections: tuple[Section, ...]
    hash: str
    description: Text = field(default_factory=dict)
    checks: str | None = None
    anchors: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict, repr=False)
    # A generic verdict: (code, VerdictLevel) pairs, best first ("meets", "meets_with_conditions").
    verdict: tuple = ()

    @cached_property
    def questions(self) -> dict[str, Question]:
        """Every top-level question by id, in questionnaire order."""
        # Cached (the questionnaire is immutable): asked once per question, the dict made a
        # 1,000-question page quadratic (issue 15, scale).
        return {q.id: q for s in self.sections for q in s.questions}

    def question(self, question_id: str) -> Question:
        """One question by id (KeyError if unknown)."""
        return self.questions[question_id]

    def section_of(self, question_id: str) -> Section:
        """The section holding a question."""
        return self._section_by_question[question_id]

    @cached_property
    def _section_by_question(self) -> dict[str, Section]:
        return {q.id: s for s in self.sections for q in s.questions}


@dataclass(frozen=True)
class PickList:
    """The choices of one `choices_from` field: (value, label) pairs from another group's saved rows."""

    source: str  # the id of the group the choices come from
    choices: tuple[tuple[str, str], ...]

    @property
    def values(self) -> tuple[str, ...]:
        """The values a vendor can pick."""
        return tuple(v for v, _ in self.choices)


def pick_lists(
    questionnaire: Questionnaire, answers: dict, questions: tuple[Question, ...] | None = None
) -> dict[str, dict[str, PickList]]:
    """The choices of each `choices_from` field (of `questions`, default all) from the saved answers.

    Returns {group id: {field id: PickList}}.
    """
    out: dict[str, dict[str, PickList]] = {}
    for q in questionnaire.questions.values() if questions is None else questions:
        for f in q.fields:
            if f.choices_from is None:
                continue
            source, _, key = f.choices_from.partition(".")
            rows = answers.get(source)
            seen: dict[str, str] = {}
            for row in rows if isinstance(rows, list) else []:
                value = row.get(key) if isinstance(row, dict) else None
                if not isinstance(value, str) or not value.strip() or value in seen:
                    continue
                extra = row.get(f.choice_label) if f.choice_label else None
                seen[value] = f"{value} — {extra}" if isinstance(extra, str) and extra.strip() else value
            out.setdefault(q.id, {})[f.id] = PickList(source, tuple(seen.items()))
    return out


ANSWER_PATH = re.compile(r"^(?P<question>\w+)(?:\[(?P<row>\d+)\](?:\.(?P<field>\w+)(?:\[(?P<item>\d+)\])?)?)?$")


def answer_reference(questionnaire: Questionnaire, path: str, answers: dict, language: str = DEFAULT_LANGUAGE) -> str:
    """An answer path (`B1[2].go_live`) in the words a reader uses ("deployment d3, Go-live date").

    Paths are 0-based and internal; a row is named by the id the vendor gave it, else by its
    1-based number, after the group's `row_label` (or the question id when it has none).
    Anything that is not a path into this questionnaire comes back unchanged.
    """
    match = ANSWER_PATH.match(path)
    q = questionnaire.questions.get(match["question"]) if match else None
    if q is None or (match["row"] is None and path != q.id):
        return path
    if match["row"] is None:
        return q.shown_number  # a display number ("2.1") where the questionnaire gives one
    index = int(match["row"])
    rows = answers.get(q.id)
    row = rows[index] if isinstance(rows, list) and index < len(rows) and isinstance(rows[index], dict) else {}
    name = row.get("id")
    label = localize(q.row_label, language) or q.id
    words = f"{label} {name if isinstance(name, str) and name.strip() else index + 1}"
    field = q.field_by_id(match["field"]) if match["field"] else None
    if match["field"] and match["field"] != "id":
        words += ", " + (localize(field.prompt, language) if field else match["field"])
    if match["item"] is not None:  # one entry of a list field: the entry itself when it is still there
        items = row.get(match["field"])
        item = int(match["item"])
        words += f": {items[item]}" if isinstance(items, list) and item < len(items) else f" {item + 1}"
    return words


def content_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON form of parsed questionnaire data."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# A number question without `min`/`max` gets these (questionnaires/README.md): a trillion is
# more than any count or amount a vendor is asked for. Bounds an author gives stay within
# ±10^15, where every integer is still exact as a float.
DEFAULT_NUMBER_BOUND = 10**12
MAX_NUMBER_BOUND = 10**15

# The default questionnaire is ~100 kB; ten times that is room to grow, and a bound on the
# work a file handed to `check-questionnaire` or dropped into questionnaires/ can cause.
MAX_YAML_BYTES = 1_000_000
MAX_YAML_DEPTH = 50


class _StrictLoader(yaml.SafeLoader):
    """Safe loading that also refuses a key repeated in one mapping, and anchors and aliases."""

    def compose_node(self, parent, index):
        """Refuse `&anchor` and `*alias` before anything is composed or expanded."""
        # A few nested aliases ("billion laughs", 500 bytes) expand to gigabytes in whatever
        # walks the result (hashing, validation); no questionnaire needs them.
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not allowed", event.start_mark
            )
        # A questionnaire nests a dozen levels; thousands of `[` would exhaust Python's stack.
        self.depth = getattr(self, "depth", 0) + 1
        if self.depth > MAX_YAML_DEPTH:
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", event.start_mark
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = True
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay strings: the canonical form (and so the hash) must not depend on YAML's typing.
_StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in _StrictLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, source: str = "questionnaire") -> Any:
    """Parse YAML text safely; errors name the line and column."""
    return _read_yaml(text, source)[0]


# YAML 1.1 (PyYAML) reads these unquoted words as booleans; `true` and `false` mean what they say.
_BOOLEAN_WORDS = frozenset("yes Yes YES no No NO on On ON off Off OFF".split())


def _read_yaml(text: str, source: str) -> tuple[Any, dict[str, str]]:
    """The parsed data, and the path of every value YAML read as a boolean from a word such as `yes`."""
    if len(text) > MAX_YAML_BYTES:
        raise QuestionnaireError([f"too large: {len(text)} characters, at most {MAX_YAML_BYTES}"], source)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        words: dict[str, str] = {}
        _boolean_words(node, "", words)
        return loader.construct_document(node) if node is not None else None, words
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = exc.problem or exc.context or "invalid YAML"
        raise QuestionnaireError([f"{where}: {problem}"], source) from None
    except yaml.YAMLError as exc:
        raise QuestionnaireError([f"invalid YAML: {exc}"], source) from None
    finally:
        loader.dispose()


def _boolean_words(node: Any, path: str, out: dict[str, str]) -> None:
    """Collect, in the loader's path notation, the scalars YAML 1.1 turned from a word into a boolean."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:bool" and node.style is None and node.value in _BOOLEAN_WORDS:
            out[path] = node.value
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _boolean_words(item, f"{path}[{i}]", out)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):  # a boolean key ({yes: 5}) is read as meant
                _boolean_words(value, f"{path}.{key.value}" if path else key.value, out)


def decode_yaml(raw: bytes, source: str = "questionnaire") -> str:
    """The text of a questionnaire file, or an error a person can act on (size, binary, not UTF-8)."""
    if len(raw) > MAX_YAML_BYTES:
        raise QuestionnaireError([f"too large: more than {MAX_YAML_BYTES} bytes"], source)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise QuestionnaireError(["the file is UTF-16 text: save the file as UTF-8"], source)
    if b"\x00" in raw:
        raise QuestionnaireError(["not a text file: a questionnaire is YAML text saved as UTF-8"], source)
    try:
        return raw.decode("utf-8-sig")  # a byte-order mark (some Windows editors add one) is harmless
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = raw[exc.start]
        raise QuestionnaireError(
            [
                f"line {line}, column {column}: byte 0x{byte:02X} is not UTF-8 (the file looks like Latin-1 or "
                "Windows-1252): save the file as UTF-8"
            ],
            source,
        ) from None


def load_yaml_bytes(raw: bytes, source: str = "questionnaire") -> Questionnaire:
    """Decode, parse and validate the bytes of a questionnaire file (an upload, or a file read)."""
    data, words = _read_yaml(decode_yaml(raw, source), source)
    if data is None:
        raise QuestionnaireError(
            ["the file is empty: a questionnaire starts with id, version, title and languages"], source
        )
    return parse_questionnaire(data, source, words)


def load_questionnaire(path: str | Path) -> Questionnaire:
    """Load and validate a questionnaire YAML file."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_YAML_BYTES + 1)  # never more than the cap into memory
    except OSError as exc:
        raise QuestionnaireError([f"cannot read file: {exc.strerror or exc}"], str(path)) from None
    return load_yaml_bytes(raw, str(path))


def parse_questionnaire(data: Any, source: str = "questionnaire", words: dict[str, str] | None = None) -> Questionnaire:
    """Validate parsed questionnaire data and build the model, or raise with every error.

    `words` (from the YAML reader) turns an error at a value YAML read as a boolean into a hint.
    """
    builder = _Builder(words)
    questionnaire = builder.questionnaire(data, content_hash(data))
    if builder.errors:
        raise QuestionnaireError(builder.errors, source)
    return questionnaire


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or math.isfinite(value)  # isfinite(10**400) would raise


class _Builder:
    """Walks the parsed YAML, building the model and collecting errors with paths."""

    def __init__(self, words: dict[str, str] | None = None) -> None:
        self.errors: list[str] = []
        self.languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
        self.words = words or {}
        # Questions with an id that failed to build: a reference to one is not a second error;
        # nor is any reference once a section or question could not be read at all (ids unknown).
        self.unbuilt: set[str] = set()
        self.unreadable = False
        self.section_paths: dict[str, str] = {}
        self.metrics: dict = {}  # the metrics the `checks:` profile offers

    def error(self, path: str, message: str) -> None:
        if path in self.words:  # "expected a slug" says nothing to someone who wrote `yes`
            message = _boolean_hint(self.words[path])
        elif path:
            hints = [_boolean_hint(w, p) for p, w in self.words.items() if p.startswith((f"{path}.", f"{path}["))]
            message = "; ".join([message, *hints])
        self.errors.append(f"{path or '(top)'}: {message}")

    def mapping(self, value: Any, path: str, allowed: set, required: set = frozenset()) -> dict:
        if not isinstance(value, dict):
            self.error(path, f"expected a mapping, got {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key), "unknown key")
        for key in sorted(required - set(value)):
            self.error(f"{path}.{key}" if path else key, "required")
        return value

    def text(self, value: Any, path: str, required: bool = True) -> Text:
        if value is None:
            if required:
                self.error(path, "required")
            return {}
        if isinstance(value, str):
            if required and not value.strip():
                self.error(path, "must not be empty")
            return {DEFAULT_LANGUAGE: value}
        if isinstance(value, dict):
            out = {}
            for code, string in value.items():
                if code not in self.languages:
                    self.error(f"{path}.{code}", f'unknown language "{code}"')
                elif not isinstance(string, str):
                    self.error(f"{path}.{code}", f"expected a string, got {_kind(string)}")
                else:
                    out[code] = string
            if DEFAULT_LANGUAGE not in value:
                self.error(f"{path}.{DEFAULT_LANGUAGE}", "required (the English text)")
            return out
        self.error(path, f"expected a string or a mapping of language to string, got {_kind(value)}")
        return {}

    def number(self, value: Any, path: str, positive: bool = False) -> float | None:
        if not _is_number(value):
            self.error(path, f"expected a number, got {_kind(value)}")
            return None
        if positive and value <= 0:
            self.error(path, f"must be positive, got {_num(value)}")
        return value

    def integer(self, value: Any, path: str, minimum: int = 0) -> int | None:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.error(path, f"expected an integer ≥ {minimum}, got {value!r}")
            return None
        return value

    def questionnaire(self, data: Any, digest: str) -> Questionnaire | None:
        top = self.mapping(
            data,
            "",
            {"id", "version", "title", "description", "languages", "checks", "anchors", "sections", "verdict"},
            {"id", "version", "title", "languages", "sections"},
        )
        languages = top.get("languages")
        if "languages" in top:
            if (
                not isinstance(languages, list)
                or not languages
                or not all(isinstance(c, str) and re.fullmatch(r"[a-z]{2}(_[A-Z]{2})?", c) for c in languages)
            ):
                self.error("languages", "expected a list of language codes such as [en, de, fr]")
            else:
                self.languages = tuple(languages)
                if DEFAULT_LANGUAGE not in languages:
                    self.error("languages", 'must include "en"')
                if len(set(languages)) != len(languages):
                    self.error("languages", "duplicate language code")
        qid = top.get("id")
        if "id" in top and not (isinstance(qid, str) and SLUG.match(qid)):
            self.error("id", "expected a slug of lower-case letters, digits, - and _")
        version = top.get("version")
        if "version" in top and not (isinstance(version, str | int | float) and str(version).strip()):
            self.error("version", 'expected a version string such as "1.0.0"')
        checks = top.get("checks")
        if checks is not None and checks not in profiles.PROFILES:
            self.error("checks", f'unknown option "{checks}" (known: {", ".join(profiles.PROFILES)})')
        self.metrics = profiles.metrics_of(checks if isinstance(checks, str) else None)
        anchors = {}
        if "anchors" in top:
            raw = top["anchors"]
            if not isinstance(raw, dict):
                self.error("anchors", "expected a mapping of 0..5 to text")
            else:
                for key, text in raw.items():
                    # JSON (a stored snapshot) turns the integer keys into strings.
                    score = int(key) if isinstance(key, str) and key.isdigit() else key
                    if score not in range(6) or isinstance(score, bool):
                        self.error(f"anchors.{key}", "expected a score from 0 to 5")
                    else:
                        anchors[score] = self.text(text, f"anchors.{key}")
        title = self.text(top.get("title"), "title") if "title" in top else {}
        description = self.text(top.get("description"), "description", required=False)

        raw_sections = top.get("sections")
        sections: list[Section] = []
        if "sections" in top and (not isinstance(raw_sections, list) or not raw_sections):
            self.error("sections", "expected a non-empty list of sections")
            raw_sections = []
        section_ids: set = set()
        question_ids: dict[str, str] = {}
        for i, raw in enumerate(raw_sections or []):
            section = self.section(raw, f"sections[{i}]", section_ids, question_ids)
            if section:
                sections.append(section)
        self.cross_check(sections, question_ids)
        self.check_numbers(sections, question_ids)
        verdict = self.verdict(top["verdict"], sections, checks) if "verdict" in top else ()
        if self.errors:
            return None
        return Questionnaire(
            id=qid,
            version=str(version),
            title=title,
            description=description,
            languages=self.languages,
            sections=tuple(sections),
            hash=digest,
            checks=checks,
            anchors=anchors,
            source=data,
            verdict=verdict,
        )

    def section(self, raw: Any, path: str, section_ids: set, question_ids: dict) -> Section | None:
        keys = {"id", "number", "title", "help", "vendor_help", "weight", "questions", "visible_if"}
        s = self.mapping(raw, path, keys, {"id", "title", "weight", "questions"})
        if not isinstance(s.get("questions"), list):
            self.unreadable = True
        sid = s.get("id")
        if "id" in s:
            if not (isinstance(sid, str) and ITEM_ID.match(sid)):
                self.error(f"{path}.id", "expected an id of letters, digits and _")
            elif sid in section_ids:
                self.error(f"{path}.id", f'duplicate section id "{sid}"')
            section_ids.add(sid)
        weight = self.number(s["weight"], f"{path}.weight", positive=True) if "weight" in s else None
        questions = []
        items: list = []
        raw_questions = s.get("questions")
        if "questions" in s and (not isinstance(raw_questions, list) or not raw_questions):
            self.error(f"{path}.questions", "expected a non-empty list of questions")
            raw_questions = []
        for j, raw_q in enumerate(raw_questions or []):
            if isinstance(raw_q, dict) and raw_q.get("type") in BLOCK_TYPES:
                block = self.block(raw_q, f"{path}.questions[{j}]")
                if block:
                    items.append(block)
                continue
            q = self.question(raw_q, f"{path}.questions[{j}]", question_ids)
            if q:
                questions.append(q)
                items.append(q)
        if raw_questions and not questions and "questions" in s:
            self.error(f"{path}.questions", "needs at least one question besides headings and notes")
        visible_if = self.condition(s["visible_if"], f"{path}.visible_if", bands=False) if "visible_if" in s else None
        if isinstance(sid, str):
            self.section_paths[sid] = path
        if questions and questions[-1].skip_rest_if is not None:
            self.error(f"{question_ids[questions[-1].id]}.skip_rest_if", "no question follows it in its section")
        effective = dict(zip(map(id, questions), _with_applies_if(questions, visible_if), strict=True))
        return Section(
            visible_if=visible_if,
            number=self.display_number(s, path),
            items=tuple(effective.get(id(item), item) for item in items),
            id=sid if isinstance(sid, str) else "",
            title=self.text(s.get("title"), f"{path}.title") if "title" in s else {},
            help=self.text(s.get("help"), f"{path}.help", required=False),
            vendor_help=self.text(s.get("vendor_help"), f"{path}.vendor_help", required=False),
            weight=weight or 1.0,
            questions=tuple(effective.values()),
        )

    QUESTION_KEYS = {
        "id", "type", "prompt", "help", "required", "options", "fields", "min", "max",
        "integer", "money", "unit", "max_length", "min_rows", "max_rows", "max_files", "visible_if",
        "scoring", "weight", "row_label", "number", "warnings", "skip_rest_if",
    }  # fmt: skip
    TOP_LEVEL_ONLY = {
        "visible_if", "scoring", "weight", "fields", "min_rows", "max_rows", "row_label", "number", "warnings",
        "skip_rest_if",
    }  # fmt: skip
    FIELD_KEYS = (QUESTION_KEYS - TOP_LEVEL_ONLY) | {"refers_to", "choices_from", "choice_label"}

    def question(self, raw: Any, path: str, ids: dict, in_group: bool = False) -> Question | None:
        allowed = self.FIELD_KEYS if in_group else self.QUESTION_KEYS
        q = self.mapping(raw, path, allowed, {"id", "type", "prompt"})
        qid = q.get("id")
        if not isinstance(qid, str):
            self.unreadable = True
        if "id" in q:
            if not (isinstance(qid, str) and ITEM_ID.match(qid)):
                self.error(f"{path}.id", "expected an id of letters, digits and _")
                qid = None
            elif qid in ids:
                self.error(f"{path}.id", f'duplicate question id "{qid}" (first at {ids[qid]})')
            else:
                ids[qid] = path
        qtype = q.get("type")
        types = FIELD_TYPES if in_group else QUESTION_TYPES
        if "type" in q and qtype not in types:
            self.error(f"{path}.type", f'unknown type "{qtype}" (known: {", ".join(types)})')
            qtype = None
        kwargs: dict[str, Any] = {}
        required = q.get("required", False)
        if not isinstance(required, bool):
            self.error(f"{path}.required", "expected true or false")
            required = False
        if qtype == "computed" and required:
            self.error(f"{path}.required", "a computed item is never answered, so it cannot be required")
        kwargs["required"] = required
        kwargs["prompt"] = self.text(q.get("prompt"), f"{path}.prompt") if "prompt" in q else {}
        kwargs["help"] = self.text(q.get("help"), f"{path}.help", required=False)
        kwargs["unit"] = self.text(q.get("unit"), f"{path}.unit", required=False)
        if qtype is None:  # every check below depends on the type: without one they are only noise
            if isinstance(qid, str):
                self.unbuilt.add(qid)
            return None
        self.limits(q, qtype, path, kwargs)
        if qtype in ("single", "multi"):
            kwargs["options"] = self.options(q.get("options"), f"{path}.options")
        elif "options" in q:
            self.error(f"{path}.options", f"only single and multi questions have options, not {qtype}")
        if qtype == "group":
            kwargs["fields"] = self.fields(q.get("fields"), f"{path}.fields")
            kwargs["row_label"] = self.text(q.get("row_label"), f"{path}.row_label", required=False)
        elif "fields" in q and not in_group:
            self.error(f"{path}.fields", "only group questions have fields")
        if "row_label" in q and qtype != "group" and not in_group:
            self.error(f"{path}.row_label", "only group questions have a row label")
        if in_group:
            if qtype == "id_list":
                if not isinstance(q.get("refers_to"), str):
                    self.error(f"{path}.refers_to", "required for id_list: the id of a group question")
                kwargs["refers_to"] = q.get("refers_to")
            elif "refers_to" in q:
                self.error(f"{path}.refers_to", "only id_list fields refer to another group")
            self.pick_list(q, qtype, path, kwargs)
        else:
            if "visible_if" in q:
                kwargs["visible_if"] = self.condition(q["visible_if"], f"{path}.visible_if", bands=False)
            if "skip_rest_if" in q:
                kwargs["skip_rest_if"] = self.skip_rest(q["skip_rest_if"], qid, f"{path}.skip_rest_if")
            if "weight" in q:
                kwargs["weight"] = self.number(q["weight"], f"{path}.weight", positive=True) or 1.0
            kwargs["scoring"] = self.rule(q.get("scoring", "none"), qtype, f"{path}.scoring")
            if qtype == "computed" and kwargs["scoring"].kind != "metric":
                self.error(f"{path}.scoring", "a computed item needs a metric rule")
            kwargs["number"] = self.display_number(q, path)
            if "warnings" in q:
                kwargs["warnings"] = self.warnings(q["warnings"], qid, qtype, f"{path}.warnings")
        if qtype == "multi" and any(o.not_applicable for o in kwargs.get("options", ())):
            self.error(f"{path}.options", "only a single-choice question has a not_applicable option")
        if qid is None or qtype is None or not isinstance(raw, dict):
            return None
        return Question(id=qid, type=qtype, **kwargs)

    def limits(self, q: dict, qtype: str | None, path: str, kwargs: dict) -> None:
        numeric = {"min", "max", "integer", "money"}
        for key in numeric & set(q):
            if qtype != "number":
                self.error(f"{path}.{key}", f"only number questions have {key}, not {qtype}")
        if qtype == "number":
            for key in ("min", "max"):
                if key in q:
                    kwargs[key] = self.number(q[key], f"{path}.{key}")
                    if kwargs[key] is not None and abs(kwargs[key]) > MAX_NUMBER_BOUND:
                        shown = (
                            f"{kwargs[key]:.3g}"
                            if isinstance(kwargs[key], float)
                            else f"{len(str(kwargs[key]))} digits"
                        )
                        self.error(f"{path}.{key}", f"must be within ±{MAX_NUMBER_BOUND:,}, got {shown}")
                        kwargs[key] = None
                # Every number has finite bounds (issue 10): an answer of 1e27 or 10**400 is
                # refused where it comes in, and never reaches scoring, formatting or a PDF.
                if kwargs.get(key) is None:  # also after an error, so the checks below compare numbers
                    kwargs[key] = DEFAULT_NUMBER_BOUND if key == "max" else -DEFAULT_NUMBER_BOUND
            if kwargs.get("min") is not None and kwargs.get("max") is not None and kwargs["min"] > kwargs["max"]:
                self.error(f"{path}.max", f"max {_num(kwargs['max'])} is below min {_num(kwargs['min'])}")
            if "integer" in q:
                if not isinstance(q["integer"], bool):
                    self.error(f"{path}.integer", "expected true or false")
                else:
                    kwargs["integer"] = q["integer"]
            if "money" in q:
                if not isinstance(q["money"], bool):
                    self.error(f"{path}.money", "expected true or false")
                elif q["money"]:
                    kwargs["money"] = True
                    # An amount is never negative; without a min of its own it starts at 0.
                    if "min" not in q:
                        kwargs["min"] = 0
                    elif kwargs.get("min") is not None and kwargs["min"] < 0:
                        self.error(f"{path}.min", "a money amount cannot be negative: use min 0 or more")
        if "unit" in q and qtype != "number":
            self.error(f"{path}.unit", "only number questions have a unit")
        if "max_length" in q:
            if qtype not in DEFAULT_MAX_LENGTH:
                self.error(f"{path}.max_length", f"only text questions have max_length, not {qtype}")
            else:
                kwargs["max_length"] = self.integer(q["max_length"], f"{path}.max_length", 1)
        if kwargs.get("max_length") is None and qtype in DEFAULT_MAX_LENGTH:
            kwargs["max_length"] = DEFAULT_MAX_LENGTH[qtype]
        for key in ("min_rows", "max_rows"):
            if key in q:
                if qtype != "group":
                    self.error(f"{path}.{key}", f"only group questions have {key}")
                else:
                    value = self.integer(q[key], f"{path}.{key}", 0 if key == "min_rows" else 1)
                    if value is not None:
                        kwargs[key] = value
        if kwargs.get("min_rows", 0) > kwargs.get("max_rows", DEFAULT_MAX_ROWS):
            self.error(f"{path}.max_rows", "max_rows is below min_rows")
        if "max_files" in q:
            if qtype != "file":
                self.error(f"{path}.max_files", "only file questions have max_files")
            else:
                value = self.integer(q["max_files"], f"{path}.max_files", 1)
                if value is not None:
                    kwargs["max_files"] = value

    def pick_list(self, q: dict, qtype: str | None, path: str, kwargs: dict) -> None:
        """`choices_from: GROUP.FIELD` and `choice_label: FIELD` (targets are checked in cross_check)."""
        if "choices_from" in q:
            value = q["choices_from"]
            if qtype not in PICK_TYPES:
                self.error(
                    f"{path}.choices_from", f"only {' and '.join(PICK_TYPES)} fields pick from rows, not {qtype}"
                )
            elif not (isinstance(value, str) and CHOICES_FROM.match(value)):
                self.error(f"{path}.choices_from", f"expected GROUP.FIELD such as C1.id, got {value!r}")
            else:
                kwargs["choices_from"] = value
        if "choice_label" in q:
            if "choices_from" not in q:
                self.error(f"{path}.choice_label", "only a field with choices_from has a choice_label")
            elif not (isinstance(q["choice_label"], str) and ITEM_ID.match(q["choice_label"])):
                self.error(f"{path}.choice_label", "expected the id of a field of the same rows")
            else:
                kwargs["choice_label"] = q["choice_label"]

    def options(self, raw: Any, path: str) -> tuple[Option, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(path, "expected a non-empty list of options")
            return ()
        out, seen = [], set()
        for i, item in enumerate(raw):
            o = self.mapping(item, f"{path}[{i}]", {"value", "label", "not_applicable", "specify"}, {"value", "label"})
            value = o.get("value")
            if "value" in o:
                if not (isinstance(value, str) and SLUG.match(value)):
                    self.error(f"{path}[{i}].value", "expected a slug of lower-case letters, digits, - and _")
                    continue
                if value in seen:
                    self.error(f"{path}[{i}].value", f'duplicate option "{value}"')
                seen.add(value)
                label = self.text(o.get("label"), f"{path}[{i}].label") if "label" in o else {}
                flags = {}
                for key in ("not_applicable", "specify"):
                    if key in o and not isinstance(o[key], bool):
                        self.error(f"{path}[{i}].{key}", "expected true or false")
                    flags[key] = o.get(key) is True
                if flags["not_applicable"] and flags["specify"]:
                    self.error(f"{path}[{i}]", "an option is either not_applicable or specify, not both")
                out.append(Option(value, label, **flags))
        return tuple(out)

    def fields(self, raw: Any, path: str) -> tuple[Question, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(path, "expected a non-empty list of fields")
            return ()
        ids: dict[str, str] = {}
        out = [self.question(item, f"{path}[{i}]", ids, in_group=True) for i, item in enumerate(raw)]
        return tuple(f for f in out if f)

    def band(self, raw: Any, path: str, date_window: bool = False) -> Band | None:
        keys = {"within_months", "points"} if date_window else {"min", "max", "above", "below", "points"}
        b = self.mapping(raw, path, keys, {"points"})
        if not b:
            return None
        points = self.points(b.get("points"), f"{path}.points")
        if date_window:
            months = self.integer(b.get("within_months"), f"{path}.within_months", 0)
            return Band(points=points, within_months=months)
        bounds = {k: self.number(b[k], f"{path}.{k}") for k in ("min", "max", "above", "below") if k in b}
        if not bounds:
            self.error(path, "a band needs at least one of min, max, above, below")
        return Band(points=points, **bounds)

    def points(self, value: Any, path: str) -> float:
        if not _is_number(value) or not 0 <= value <= MAX_POINTS:
            self.error(path, f"expected points from 0 to {_num(MAX_POINTS)}, got {value!r}")
            return 0.0
        return float(value)

    def bands(self, raw: Any, path: str, date_window: bool = False) -> tuple[Band, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(path, "expected a non-empty list of bands")
            return ()
        return tuple(b for i, r in enumerate(raw) if (b := self.band(r, f"{path}[{i}]", date_window)))

    def condition(self, raw: Any, path: str, bands: bool, depth: int = 0) -> Condition | None:
        if not bands and isinstance(raw, dict) and set(raw) & set(COMPOUNDS):
            return self.compound(raw, path, depth)
        keys = {"question", "equals", "in"} | ({"min", "max", "above", "below", "points"} if bands else set())
        c = self.mapping(raw, path, keys, {"question"})
        tests = [k for k in ("equals", "in") if k in c] + (
            ["range"] if {"min", "max", "above", "below"} & set(c) else []
        )
        if c and len(tests) != 1:
            self.error(
                path, "expected exactly one test: equals, in" + (", or a range (min/max/above/below)" if bands else "")
            )
        if not c or not isinstance(c.get("question"), str):
            return None
        one_of = None
        if "in" in c:
            if not isinstance(c["in"], list) or not c["in"]:
                self.error(f"{path}.in", "expected a non-empty list")
            else:
                one_of = tuple(c["in"])
                for i, value in enumerate(one_of):
                    self.condition_value(value, f"{path}.in[{i}]")
        if "equals" in c:
            self.condition_value(c["equals"], f"{path}.equals")
        band = None
        if tests == ["range"]:
            bounds = {k: self.number(c[k], f"{path}.{k}") for k in ("min", "max", "above", "below") if k in c}
            band = Band(points=0.0, **bounds)
        return Condition(question=c["question"], equals=c.get("equals"), one_of=one_of, band=band)

    def compound(self, raw: dict, path: str, depth: int) -> Condition | None:
        if len(raw) != 1:
            self.error(path, "expected either a test on one question or one of all, any, not alone")
            return None
        if depth >= MAX_CONDITION_DEPTH:
            self.error(path, f"conditions nest at most {MAX_CONDITION_DEPTH} deep")
            return None
        op, inner = next(iter(raw.items()))
        if op == "not":
            part = self.condition(inner, f"{path}.not", False, depth + 1)
            return Condition(op=op, parts=(part,)) if part else None
        if not isinstance(inner, list) or not inner:
            self.error(f"{path}.{op}", "expected a non-empty list of conditions")
            return None
        parts = [self.condition(item, f"{path}.{op}[{i}]", False, depth + 1) for i, item in enumerate(inner)]
        return Condition(op=op, parts=tuple(parts)) if all(parts) else None

    def skip_rest(self, raw: Any, qid: Any, path: str) -> Condition | None:
        # a test on the question's own answer, so it names no question: `{equals: false}`, `{in: [...]}`
        test = {k: v for k, v in self.mapping(raw, path, {"equals", "in"}).items() if k in ("equals", "in")}
        if not test:
            if isinstance(raw, dict):
                self.error(path, "expected exactly one test: equals or in")
            return None
        if not isinstance(qid, str):
            return None
        return self.condition({"question": qid, **test}, path, bands=False)

    def condition_value(self, value: Any, path: str) -> None:
        # The page's script compares with ===: only values JSON carries unchanged can mean the same there.
        if not (isinstance(value, str | bool) or _is_number(value)):
            self.error(path, f"expected text, a number or true/false, got {_kind(value)}")

    RULE_KEYS = {"kind", "points", "bands", "otherwise", "max", "scale", "metric", "evidence", "bonus"}

    def rule(self, raw: Any, qtype: str | None, path: str) -> Rule:
        if isinstance(raw, str):
            if raw in ("none", "manual"):
                return Rule(kind=raw)
            self.error(path, f'unknown option "{raw}" (expected none, manual or a mapping with kind)')
            return Rule()
        r = self.mapping(raw, path, self.RULE_KEYS, {"kind"})
        kind = r.get("kind")
        if not r or "kind" not in r:
            return Rule()
        if kind not in RULE_KINDS:
            self.error(f"{path}.kind", f'unknown option "{kind}" (known: {", ".join(RULE_KINDS)})')
            return Rule()
        if qtype and kind in RULE_KINDS_BY_TYPE and qtype not in RULE_KINDS_BY_TYPE[kind]:
            self.error(f"{path}.kind", f'"{kind}" does not apply to a {qtype} question')
        kwargs: dict[str, Any] = {"kind": kind}
        allowed = {
            "none": set(),
            "manual": set(),
            "points": {"points"},
            "per_option": {"points", "max", "evidence"},
            "share": {"points"},
            "bands": {"bands", "otherwise"},
            "age": {"bands", "otherwise"},
            "metric": {"metric", "bands", "otherwise", "scale"},
        }[kind] | {"kind", "bonus"}
        for key in set(r) - allowed:
            self.error(f"{path}.{key}", f'not used by a "{kind}" rule')
        if kind in ("points", "per_option"):
            raw_points = r.get("points")
            if not isinstance(raw_points, dict) or not raw_points:
                self.error(f"{path}.points", "expected a mapping of option value to points")
            else:
                kwargs["points"] = {_yes_no_key(k): self.points(v, f"{path}.points.{k}") for k, v in raw_points.items()}
        if kind == "share":
            kwargs["points"] = {"*": self.points(r.get("points"), f"{path}.points")}
        if kind in ("bands", "age") or (kind == "metric" and "bands" in r):
            kwargs["bands"] = self.bands(r.get("bands"), f"{path}.bands", date_window=kind == "age")
        if "otherwise" in r:
            kwargs["otherwise"] = self.points(r["otherwise"], f"{path}.otherwise")
        if "max" in r:
            kwargs["max"] = self.points(r["max"], f"{path}.max")
        if kind == "metric":
            name = r.get("metric")
            if name not in self.metrics:
                known = ", ".join(self.metrics) or "none: metrics come with a profile, `checks:`"
                self.error(f"{path}.metric", f'unknown metric "{name}" (known: {known})')
            kwargs["metric"] = name
            if ("bands" in r) == ("scale" in r):
                self.error(path, "a metric rule needs exactly one of bands or scale")
            if "scale" in r:
                kwargs["scale"] = self.number(r["scale"], f"{path}.scale", positive=True)
        if "evidence" in r:
            kwargs["evidence"] = r["evidence"] if isinstance(r["evidence"], str) else None
            if kwargs["evidence"] is None:
                self.error(f"{path}.evidence", "expected the id of a file question")
        if "bonus" in r:
            if not isinstance(r["bonus"], list) or not r["bonus"]:
                self.error(f"{path}.bonus", "expected a non-empty list")
            else:
                bonus = []
                for i, item in enumerate(r["bonus"]):
                    cond = self.condition(item, f"{path}.bonus[{i}]", bands=True)
                    if isinstance(item, dict) and "points" not in item:
                        self.error(f"{path}.bonus[{i}].points", "required")
                    pts = (
                        self.points(item.get("points"), f"{path}.bonus[{i}].points")
                        if isinstance(item, dict) and "points" in item
                        else 0
                    )
                    if cond:
                        bonus.append(Bonus(cond, pts))
                kwargs["bonus"] = tuple(bonus)
        return Rule(**kwargs)

    def block(self, raw: dict, path: str) -> Block | None:
        b = self.mapping(raw, path, {"type", "text"}, {"text"})
        if "text" not in b:
            return None
        return Block(type=b["type"], text=self.text(b["text"], f"{path}.text"))

    def display_number(self, raw: dict, path: str) -> str | None:
        if "number" not in raw:
            return None
        value = raw["number"]
        if not isinstance(value, str):
            self.error(f"{path}.number", f'expected a quoted string such as "2.1.1", got {_kind(value)} {value!r}')
            return None
        if not DISPLAY_NUMBER.match(value):
            self.error(f"{path}.number", "expected up to 24 letters, digits, dots, - and _, such as 2.1.1 or GOV.01")
            return None
        return value

    def check_numbers(self, sections: list[Section], paths: dict) -> None:
        """Display numbers are unique within the questionnaire (a section's and a question's alike)."""
        seen: dict[str, str] = {}
        for i, section in enumerate(sections):
            named = [(section.number, f"sections[{i}].number")]
            named += [(q.number, f"{paths[q.id]}.number") for q in section.questions]
            for number, path in named:
                if number is None:
                    continue
                if number in seen:
                    self.error(path, f'duplicate number "{number}" (first at {seen[number]})')
                else:
                    seen[number] = path

    def warnings(self, raw: Any, qid: Any, qtype: str | None, path: str) -> tuple[AnswerWarning, ...]:
        if not isinstance(raw, list) or not raw:
            self.error(path, "expected a non-empty list of warnings")
            return ()
        if qtype in ("group", "computed", "file"):
            self.error(path, f"a {qtype} question cannot raise warnings: its answer cannot be tested")
            return ()
        out = []
        for k, item in enumerate(raw):
            where = f"{path}[{k}]"
            w = self.mapping(item, where, {"when", "severity", "message"}, {"when", "severity", "message"})
            if not w:
                continue
            severity = w.get("severity")
            if "severity" in w and severity not in SEVERITIES:
                self.error(f"{where}.severity", f'unknown option "{severity}" (known: {", ".join(SEVERITIES)})')
            when = w.get("when")
            cond = None
            if isinstance(when, dict):
                if "question" in when:
                    self.error(f"{where}.when.question", "a warning tests its own question's answer: leave it out")
                else:
                    cond = self.condition({"question": qid, **when}, f"{where}.when", bands=qtype == "number")
                    if isinstance(when, dict) and "points" in when:
                        cond = None  # reported as an unknown key below
                        self.error(f"{where}.when.points", "unknown key")
            elif "when" in w:
                self.error(f"{where}.when", f"expected a condition such as {{equals: no}}, got {_kind(when)}")
            message = self.text(w.get("message"), f"{where}.message") if "message" in w else {}
            out.append(AnswerWarning(when=cond, severity=severity, message=message))
        return tuple(out)

    def verdict(self, raw: Any, sections: list[Section], checks: Any) -> tuple:
        """`verdict:` thresholds for "meets" and "meets with conditions"; else the vendor does not meet."""
        if checks is not None:
            self.error("verdict", f'a questionnaire with checks "{checks}" has its verdict from them: remove one')
            return ()
        v = self.mapping(raw, "verdict", set(VERDICT_CODES))
        if v is not None and isinstance(raw, dict) and not raw:
            self.error("verdict", f"expected at least one of {', '.join(VERDICT_CODES)}")
        section_ids = {s.id for s in sections}
        out = []
        for code in VERDICT_CODES:
            if code not in v:
                continue
            path = f"verdict.{code}"
            level = self.mapping(v[code], path, {"overall", "sections", "warnings"})
            if isinstance(v[code], dict) and not v[code]:
                self.error(path, "expected at least one of overall, sections, warnings")
            overall = None
            if "overall" in level:
                overall = self.score(level["overall"], f"{path}.overall")
            minimums = {}
            if "sections" in level:
                raw_sections = self.mapping(level["sections"], f"{path}.sections", section_ids)
                for sid, value in raw_sections.items():
                    if sid in section_ids:
                        minimums[sid] = self.score(value, f"{path}.sections.{sid}")
            most = {}
            if "warnings" in level:
                raw_warnings = self.mapping(level["warnings"], f"{path}.warnings", set(SEVERITIES))
                for severity, value in raw_warnings.items():
                    if severity in SEVERITIES:
                        most[severity] = self.integer(value, f"{path}.warnings.{severity}", 0)
            out.append((code, VerdictLevel(overall=overall, sections=minimums, warnings=most)))
        return tuple(out)

    def score(self, value: Any, path: str) -> float | None:
        if not _is_number(value) or not 0 <= value <= 100:
            self.error(path, f"expected a score from 0 to 100, got {value!r}")
            return None
        return float(value)

    def cross_check(self, sections: list[Section], paths: dict) -> None:
        """References between questions: conditions, rules, evidence and id lists."""
        questions = {q.id: q for s in sections for q in s.questions}
        for section in sections:
            if section.visible_if is not None:
                path = f"{self.section_paths.get(section.id, 'sections')}.visible_if"
                self.check_condition(section.visible_if, questions, path, None)
                own = {q.id for q in section.questions}
                for qid in section.visible_if.questions:
                    if qid in own:
                        self.error(path, f'a section cannot depend on its own question "{qid}"')
            for q in section.questions:
                path = paths[q.id]  # headings and notes take places in the list too
                for k, warning in enumerate(q.warnings):
                    if warning.when is not None:
                        self.check_condition(warning.when, questions, f"{path}.warnings[{k}].when", None)
                for value in rule_points_na(q):
                    self.error(f"{path}.scoring.points.{value}", "a not_applicable option earns no points")
                if q.visible_if:
                    self.check_condition(q.visible_if, questions, f"{path}.visible_if", q.id)
                if q.skip_rest_if:
                    self.check_condition(q.skip_rest_if, questions, f"{path}.skip_rest_if", None)
                rule = q.scoring
                if rule.kind in ("points", "per_option"):
                    valid = ("yes", "no") if q.type == "yes_no" else q.option_values
                    for value in rule.points:
                        if value not in valid:
                            self.error(
                                f"{path}.scoring.points.{value}",
                                f'unknown option "{value}" (known: {", ".join(valid)})',
                            )
                if rule.evidence:
                    target = questions.get(rule.evidence)
                    if target is None or target.type != "file":
                        self.error(f"{path}.scoring.evidence", f'"{rule.evidence}" is not a file question')
                for k, bonus in enumerate(rule.bonus):
                    self.check_condition(bonus.condition, questions, f"{path}.scoring.bonus[{k}]", q.id)
                for k, f in enumerate(q.fields):
                    if f.refers_to is not None:
                        target = questions.get(f.refers_to)
                        if target is None or target.type != "group":
                            self.error(f"{path}.fields[{k}].refers_to", f'"{f.refers_to}" is not a group question')
                    if f.choices_from is not None:
                        self.check_pick_list(f, q, questions, f"{path}.fields[{k}]")

        self.check_cycles(sections, paths)

    def check_cycles(self, sections: list[Section], question_paths: dict) -> None:
        """A chain of conditions that comes back to where it started would hide its questions for good.

        A question depends on what its own `visible_if` names, on what its section's names and on
        the questions above it in the section that can skip the rest; a cycle is told from where
        its first step is written.
        """
        order = [q.id for s in sections for q in s.questions]
        top = set(order)
        # question -> {question it depends on: where that dependency is written}
        needs: dict[str, dict[str, str]] = {}
        for s in sections:
            skips: list[Question] = []
            for q in s.questions:
                edges: dict[str, str] = {}
                if q.visible_if:
                    where = f"{question_paths[q.id]}.visible_if"
                    single = q.visible_if.op is None
                    edges.update((qid, where + (".question" if single else "")) for qid in q.visible_if.questions)
                for above in skips:
                    edges.setdefault(above.id, f"{question_paths[above.id]}.skip_rest_if")
                if s.visible_if:
                    where = f"{self.section_paths.get(s.id, 'sections')}.visible_if"
                    for qid in s.visible_if.questions:
                        edges.setdefault(qid, where)
                edges = {qid: where for qid, where in edges.items() if qid in top and qid != q.id}
                if edges:
                    needs[q.id] = edges
                if q.skip_rest_if:
                    skips.append(q)
        done: set[str] = set()
        reported: set[frozenset] = set()
        for start in needs:
            if start in done:
                continue
            # depth first without recursion: a chain may be as long as the questionnaire
            stack, on_stack = [(start, iter(needs[start]))], [start]
            while stack:
                qid, following = stack[-1]
                nxt = next(following, None)
                if nxt is None:
                    stack.pop()
                    on_stack.pop()
                    done.add(qid)
                elif nxt in on_stack:
                    cycle = on_stack[on_stack.index(nxt) :]
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        at = cycle.index(min(cycle, key=order.index))  # told from its first question in the file
                        cycle = cycle[at:] + cycle[:at]
                        words = f"{cycle[0]} depends on {cycle[1]}" + "".join(
                            f", which depends on {c}" for c in cycle[2:] + cycle[:1]
                        )
                        self.error(needs[cycle[0]][cycle[1]], f"a cycle of conditions: {words}")
                elif nxt not in done and nxt in needs:
                    stack.append((nxt, iter(needs[nxt])))
                    on_stack.append(nxt)

    def check_pick_list(self, f: Question, group: Question, questions: dict, path: str) -> None:
        target_id, _, field_id = f.choices_from.partition(".")
        target = questions.get(target_id)
        if target is None or target.type != "group":
            self.error(f"{path}.choices_from", f'"{target_id}" is not a group question')
            return
        if target is group:
            self.error(f"{path}.choices_from", "a field cannot pick from the rows of its own group")
            return
        source = target.field_by_id(field_id)
        if source is None or source.type != "text":
            self.error(f"{path}.choices_from", f'"{target_id}" has no text field "{field_id}"')
        if f.type == "id_list" and f.refers_to not in (None, target_id):
            self.error(f"{path}.choices_from", f"picks from {target_id} but refers_to names {f.refers_to}")
        if f.choice_label is not None and target.field_by_id(f.choice_label) is None:
            self.error(f"{path}.choice_label", f'"{target_id}" has no field "{f.choice_label}"')

    def check_condition(self, cond: Condition, questions: dict, path: str, own_id: str) -> None:
        if cond.op == "not":
            self.check_condition(cond.parts[0], questions, f"{path}.not", own_id)
            return
        if cond.op is not None:
            for i, part in enumerate(cond.parts):
                self.check_condition(part, questions, f"{path}.{cond.op}[{i}]", own_id)
            return
        target = questions.get(cond.question)
        if target is None:
            if cond.question in self.unbuilt or self.unreadable:
                return
            self.error(f"{path}.question", f'unknown question "{cond.question}"')
            return
        if own_id is not None and cond.question == own_id:
            self.error(f"{path}.question", "a question cannot depend on itself")
            return
        values = [cond.equals] if cond.one_of is None and cond.band is None else list(cond.one_of or [])
        for value in values:
            if target.type == "yes_no" and not isinstance(value, bool):
                self.error(path, f'"{cond.question}" is yes/no: expected true or false, got {value!r}')
            elif target.type in ("single", "multi") and value not in target.option_values:
                self.error(path, f'unknown option "{value}" of "{cond.question}"')
            elif target.type in ("group", "computed", "file"):
                self.error(path, f'cannot test the answer of {target.type} question "{cond.question}"')
        if cond.band is not None and target.type != "number":
            self.error(path, f'a range test needs a number question; "{cond.question}" is {target.type}')


COMPOUNDS = ("all", "any", "not")
MAX_CONDITION_DEPTH = 8
BLOCK_TYPES = ("heading", "note")
DISPLAY_NUMBER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,22}[A-Za-z0-9])?$")
VERDICT_CODES = ("meets", "meets_with_conditions")


def _with_applies_if(questions: list[Question], section_if: Condition | None) -> list[Question]:
    """The questions with `applies_if` set: the section's condition, "not skipped" by every
    `skip_rest_if` above and their own `visible_if`, as one `all` (issue 15)."""
    out = []
    skips: list[Condition] = []
    for q in questions:
        parts = [c for c in (section_if, *skips, q.visible_if) if c is not None]
        applies_if = None if not parts else parts[0] if len(parts) == 1 else Condition(op="all", parts=tuple(parts))
        out.append(replace(q, applies_if=applies_if))
        if q.skip_rest_if is not None:
            skips.append(Condition(op="not", parts=(q.skip_rest_if,)))
    return out


def rule_points_na(q: Question) -> list[str]:
    """The not_applicable options a points rule gives points to (a loader error: they leave the denominator)."""
    if q.scoring.kind != "points":
        return []
    return [v for v in q.scoring.points if q.is_not_applicable(v)]


PICK_TYPES = ("text", "id_list")
CHOICES_FROM = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*$")


def _boolean_hint(word: str, path: str | None = None) -> str:
    meaning = "true" if word.lower() in ("yes", "on") else "false"
    where = f" at {path}" if path else ""
    return f'`{word}` was read as {meaning}{where}: quote it ("{word}")'


def _yes_no_key(key: Any) -> str:
    """YAML reads an unquoted yes/no key as a boolean, and a stored snapshot (JSON) as "true"/"false"."""
    if isinstance(key, bool):
        return "yes" if key else "no"
    return {"true": "yes", "false": "no"}.get(str(key), str(key))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if _is_number(value) else type(value).__name__
    )
