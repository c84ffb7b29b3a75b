"""Red flags and the verdict of the AI deployment partner questionnaire.

Codes are a public contract (../shared/QUESTIONNAIRE.md). Each flag points at the answers
that raised it, as paths into the response (`B1[0].stage`), so a reader can check it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass

from stagefour import processors
from stagefour.dates import parse_date
from stagefour.flags import RedFlag
from stagefour.flags import Verdict
from stagefour.messages import N_
from stagefour.messages import NP_
from stagefour.messages import Message
from stagefour.messages import series
from stagefour.profiles.ai_deployment_partner.metrics import TrackRecord
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint

HIGH, MEDIUM, LOW = "high", "medium", "low"
LAB_AFFILIATED = ("lab_arm", "lab_jv")
USER_DETECTED = ("user", "customer_staff")


VERDICT_TIERS = {
    "stage4_verified": 5,
    "stage4_unverified": 4,
    "stage3_no_failures": 3,
    "stage3_no_engineers": 2,
    "stage3_no_deployments": 1,
    "incomplete": 0,
}
# Each overlay once, in this order, when any of its codes is raised (1.1: several codes per overlay).
OVERLAYS = (
    ("security_blocker", N_("Security blocker"), ("R15", "R22")),
    ("lock_in", N_("Lock-in risk"), ("R17", "R26")),
    ("data_residency", N_("Data residency conflict"), ("R19",)),
)


def _label(row: dict, index: int) -> str | Message:
    label = row.get("id")
    return str(label) if isinstance(label, str) and label else N_("row %(number)s", number=index + 1)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def red_flags(tr: TrackRecord, manual_means: dict | None = None, commitments: dict | None = None) -> list[RedFlag]:
    """Every red flag R1–R26 raised by a response, in code order."""
    a = tr.answers
    manual_means = manual_means or {}
    flags: list[RedFlag] = []

    def flag(code: str, severity: str, message: Message, refs: list[str]) -> None:
        flags.append(RedFlag(code, severity, message, tuple(refs)))

    deployments, engineers, failures = tr.deployments, tr.engineers, tr.failures
    rows_where = lambda test: [(i, r) for i, r in enumerate(deployments) if test(r)]  # noqa: E731
    names = lambda rows: series(_label(r, i) for i, r in rows)  # noqa: E731

    r1 = rows_where(lambda r: r.get("in_production") is True and _is_number(r.get("stage")) and r["stage"] < 4)
    if r1:
        flag(
            "R1",
            HIGH,
            N_("Called in production but below stage 4: %(deployments)s", deployments=names(r1)),
            [f"B1[{i}].stage" for i, _ in r1],
        )
    r2 = rows_where(lambda r: r.get("stage") == 4 and r.get("in_production") is False)
    if r2:
        flag(
            "R2",
            MEDIUM,
            N_("Stage 4 claimed but not in production: %(deployments)s", deployments=names(r2)),
            [f"B1[{i}].in_production" for i, _ in r2],
        )
    dated = [(i, r, parse_date(r.get("go_live"))) for i, r in enumerate(deployments)]
    r3 = [(i, r) for i, r, d in dated if d and d < tr.window_start]
    if r3:
        flag(
            "R3",
            LOW,
            N_(
                "Went live before %(date)s, more than six months ago: track record only, "
                "not a qualifying deployment: %(deployments)s",
                date=tr.window_start,
                deployments=names(r3),
            ),
            [f"B1[{i}].go_live" for i, _ in r3],
        )
    r4 = [(i, r) for i, r, d in dated if d and d > tr.as_of]
    if r4:
        flag(
            "R4",
            HIGH,
            N_("Go-live date in the future: %(deployments)s", deployments=names(r4)),
            [f"B1[{i}].go_live" for i, _ in r4],
        )
    r5 = rows_where(
        lambda r: (
            r.get("stage") == 4 and not ((r.get("downstream_teams") or 0) > 0 and (r.get("daily_volume") or 0) > 0)
        )
    )
    if r5:
        refs = []
        for i, r in r5:
            refs += [f"B1[{i}].{k}" for k in ("downstream_teams", "daily_volume") if not (r.get(k) or 0) > 0]
        flag(
            "R5",
            MEDIUM,
            N_(
                "Stage 4 claimed with no downstream teams or no daily volume given: %(deployments)s",
                deployments=names(r5),
            ),
            refs,
        )
    linked = {f.get("deployment_id") for f in failures}
    r6 = [(i, r) for i, r in tr.qualifying if r.get("id") not in linked]
    if r6:
        flag(
            "R6",
            MEDIUM,
            N_("Qualifying deployment with no failure mode reported: %(deployments)s", deployments=names(r6)),
            [f"B1[{i}]" for i, _ in r6],
        )

    r7_refs, r7_bits = [], []
    for i, r in enumerate(deployments):
        for k, eid in enumerate(r.get("engineer_ids") or []):
            if eid not in tr.roster_ids:
                r7_refs.append(f"B1[{i}].engineer_ids[{k}]")
                r7_bits.append(
                    N_(
                        "engineer %(engineer)s on %(deployment)s is not in the roster",
                        engineer=eid,
                        deployment=_label(r, i),
                    )
                )
    deployment_ids = {r.get("id") for r in deployments if r.get("id")}
    for i, f in enumerate(failures):
        did = f.get("deployment_id")
        if did and did not in deployment_ids:
            r7_refs.append(f"D1[{i}].deployment_id")
            r7_bits.append(
                N_(
                    "failure %(failure)s names deployment %(deployment)s, which is not in B1",
                    failure=_label(f, i),
                    deployment=did,
                )
            )
    if r7_refs:
        flag("R7", HIGH, N_("Names that do not match: %(problems)s", problems=series(r7_bits, "; ")), r7_refs)

    on_any = {e for r in deployments for e in (r.get("engineer_ids") or [])}
    r8 = [
        (i, e)
        for i, e in enumerate(engineers)
        if e.get("proposed") is True and (e.get("id") not in on_any or e.get("months_embedded") == 0)
    ]
    if r8:
        flag(
            "R8",
            MEDIUM,
            N_(
                "Proposed engineer on no listed deployment or with no time embedded at a customer: %(engineers)s",
                engineers=series(str(e.get("name")) if e.get("name") else _label(e, i) for i, e in r8),
            ),
            [f"C1[{i}]" for i, _ in r8],
        )
    if isinstance(a.get("D1"), list) and not failures:
        flag("R9", HIGH, N_("No failure modes reported at all"), ["D1"])
    pilots = a.get("B3")
    if _is_number(pilots) and pilots > 0 and not any(r.get("in_production") is True for r in deployments):
        flag(
            "R10",
            HIGH,
            NP_(
                "Pilots only: %(num)s pilot or proof of concept and no deployment in production",
                "Pilots only: %(num)s pilots or proofs of concept and no deployment in production",
                num=pilots,
            ),
            ["B3", "B1"],
        )
    detected = [(i, f) for i, f in enumerate(failures) if f.get("detected_by")]
    if detected and all(f["detected_by"] in USER_DETECTED for _, f in detected):
        flag(
            "R11",
            MEDIUM,
            N_("Every failure mode was detected by users or customer staff, none by alerts or evals"),
            [f"D1[{i}].detected_by" for i, _ in detected],
        )
    if isinstance(a.get("C1"), list) and not any(
        e.get("proposed") is True and e.get("class") == "fde" for e in engineers
    ):
        flag("R12", HIGH, N_("No proposed engineer is a forward deployed engineer"), ["C1"])
    if deployments and not any(r.get("reference_available") is True for r in deployments):
        flag(
            "R13",
            MEDIUM,
            N_("No reference available for any deployment"),
            [f"B1[{i}].reference_available" for i in range(len(deployments))],
        )
    r14_refs, r14_bits = [], []
    for qid, rows in (("B1", deployments), ("C1", engineers)):
        counts = Counter(r.get("id") for r in rows if r.get("id"))
        for dup in sorted(k for k, n in counts.items() if n > 1):
            if qid == "B1":
                r14_bits.append(N_("deployment id %(id)s is used %(count)s times", id=dup, count=counts[dup]))
            else:
                r14_bits.append(N_("engineer id %(id)s is used %(count)s times", id=dup, count=counts[dup]))
            r14_refs += [f"{qid}[{i}].id" for i, r in enumerate(rows) if r.get("id") == dup]
    if r14_refs:
        flag("R14", MEDIUM, N_("Duplicate ids: %(problems)s", problems=series(r14_bits, "; ")), r14_refs)
    r15_refs, r15_bits = [], []
    if a.get("E5") is True:
        r15_refs.append("E5")
        r15_bits.append(N_("client tokens are forwarded to downstream systems"))
    if a.get("E4") == "shared_broad":
        r15_refs.append("E4")
        r15_bits.append(N_("agents use a shared broad credential"))
    if a.get("H2") == "yes_or_unknown":
        r15_refs.append("H2")
        r15_bits.append(N_("buyer data may train models, or it is unknown"))
    if r15_refs:
        flag("R15", HIGH, N_("Security blocker: %(problems)s", problems=series(r15_bits, "; ")), r15_refs)
    retention = a.get("E7b")
    if _is_number(retention) and retention < 180:
        flag(
            "R16",
            MEDIUM,
            NP_(
                "Tool-call logs kept %(num)s day, under 180",
                "Tool-call logs kept %(num)s days, under 180",
                num=retention,
            ),
            ["E7b"],
        )
    providers = a.get("I2")
    i3_mean = manual_means.get("I3")
    no_counter_example = not a.get("I3") or (i3_mean is not None and i3_mean <= 1)
    if a.get("A1") in LAB_AFFILIATED and _is_number(providers) and providers <= 1 and no_counter_example:
        flag(
            "R17",
            MEDIUM,
            N_(
                "Lock-in: a lab-affiliated vendor with one model provider in production and no example of "
                "recommending against its own stack"
            ),
            ["A1", "I2", "I3"],
        )
    load: dict[str, float] = defaultdict(float)
    rows_by_person: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(engineers):
        person = str(e.get("name") or e.get("id") or "").strip().casefold()
        if person and _is_number(e.get("allocation_pct")):
            load[person] += e["allocation_pct"]
            rows_by_person[person].append(i)
    for person, pct in (commitments or {}).items():
        if person.casefold() in load:
            load[person.casefold()] += pct
    over = sorted(p for p, pct in load.items() if pct > 100)
    if over:
        flag(
            "R18",
            MEDIUM,
            N_(
                "Allocated over 100 %%: %(engineers)s",
                engineers=series(
                    N_(
                        "%(name)s (%(percent)s %%)",
                        name=engineers[rows_by_person[p][0]].get("name") or p,
                        percent=load[p],
                    )
                    for p in over
                ),
            ),
            [f"C1[{i}].allocation_pct" for p in over for i in rows_by_person[p]],
        )
    return flags + _flags_of_1_1(a, tr.buyer_profile)


# --- questionnaire 1.1: the data chain, injection, model changes, engineers' access, spend, exit (issue 14) ---
# Each flag is raised only when the id the contract names first is answered, so a 1.0 response
# raises none of them; an answer of the wrong shape counts as unanswered, never as an error.

# The contract's table: the id each flag needs answered (a questionnaire without it cannot raise the flag).
ANSWER_NEEDED = {
    "R19": "H6",
    "R20": "H6",
    "R21": "H9",
    "R22": "E9",
    "R23": "G6",
    "R24": "C6",
    "R25": "K7",
    "R26": "K10",
}
BUYER_ACCOUNT = "buyer_account"
HIGH_RISK_H9 = ("high_risk_buyer_provider", "high_risk_vendor_provider")
# The vendor's H9 reading, in the words of R21 (only the values that can understate appear).
H9_WORDS = {
    "transparency_only": N_("not high-risk, with transparency duties"),
    "minimal_risk": N_("minimal risk"),
    "not_assessed": N_("not assessed"),
}
# The C6 controls R24 requires, in the contract's order, with the words that name a missing one.
BASELINE_ACCESS = (
    ("mfa", N_("phishing-resistant MFA")),
    ("managed_devices", N_("company-managed devices")),
    ("no_outside_ai_tools", N_("a rule against outside AI tools")),
)
REGION_WORDS = {
    "eu_eea": N_("EU/EEA"),
    "uk": N_("UK"),
    "switzerland": N_("Switzerland"),
    "us": N_("US"),
    "canada": N_("Canada"),
    "asia_pacific": N_("Asia-Pacific"),
    "other": N_("another region"),
    "global": N_("global routing"),
}


def _chosen(value) -> set | None:
    """A multi answer's values; None when it is not a list (unanswered or of another shape)."""
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else None


def _flags_of_1_1(a: dict, profile: dict) -> list[RedFlag]:
    flags: list[RedFlag] = []

    def flag(code: str, severity: str, message: Message, refs: list[str]) -> None:
        flags.append(RedFlag(code, severity, message, tuple(refs)))

    wanted = profile.get("data_regions")
    wanted = [r for r in wanted if isinstance(r, str)] if isinstance(wanted, list) else []
    if isinstance(a.get("H6"), list):
        content = processors.content_rows(a)
        if wanted:
            bits, refs = [], []
            for i, row in content:
                regions = processors.regions_of(row)
                out = [r for r in regions if processors.outside(r, wanted)]
                if not regions:
                    bits.append(N_("%(processor)s names no region", processor=_label(row, i)))
                elif out:
                    where = series(REGION_WORDS.get(r, r) for r in out)
                    bits.append(N_("%(processor)s in %(regions)s", processor=_label(row, i), regions=where))
                else:
                    continue
                refs.append(f"H6[{i}].regions")
            if refs:
                flag(
                    "R19",
                    HIGH,
                    N_(
                        "Data residency conflict: content goes outside the buyer's data regions: %(processors)s",
                        processors=series(bits, "; "),
                    ),
                    refs,
                )
        bits, refs = [], []
        no_retention = [(i, row) for i, row in content if not _is_number(row.get("retention_days"))]
        if no_retention:
            names = series(_label(row, i) for i, row in no_retention)
            bits.append(N_("no retention figure for %(processors)s", processors=names))
            refs += [f"H6[{i}].retention_days" for i, _ in no_retention]
        no_region = [(i, row) for i, row in content if not processors.regions_of(row)]
        if not wanted and no_region:
            names = series(_label(row, i) for i, row in no_region)
            bits.append(N_("no region for %(processors)s", processors=names))
            refs += [f"H6[{i}].regions" for i, _ in no_region]
        if a.get("K5") != BUYER_ACCOUNT and not any(processors.is_model_row(r) for _, r in processors.indexed_rows(a)):
            bits.append(N_("no model provider listed, though the model bills are not in the buyer's name"))
            refs += ["H6", "K5"]
        if refs:
            flag("R20", MEDIUM, N_("Data-processor list incomplete: %(problems)s", problems=series(bits, "; ")), refs)

    h9, reading = a.get("H9"), profile.get("ai_act_class")
    if isinstance(h9, str):
        vendor = H9_WORDS.get(h9, h9)
        if reading == "high_risk" and h9 not in HIGH_RISK_H9:
            flag(
                "R21",
                HIGH,
                N_(
                    "AI Act class understated: the buyer reads the use case as high-risk, the vendor as %(reading)s",
                    reading=vendor,
                ),
                ["H9"],
            )
        elif reading == "transparency_only" and h9 in ("minimal_risk", "not_assessed"):
            flag(
                "R21",
                HIGH,
                N_(
                    "AI Act class understated: the buyer reads the use case as subject to transparency duties, "
                    "the vendor as %(reading)s",
                    reading=vendor,
                ),
                ["H9"],
            )

    e9 = _chosen(a.get("E9"))
    if e9 is not None and not e9 & {"privilege_separation", "egress_allowlist"}:
        flag(
            "R22",
            HIGH,
            N_(
                "Injection exposure: neither privilege separation nor an egress allowlist, so injected content "
                "can move the buyer's data out through ordinary tool calls"
            ),
            ["E9"],
        )

    if a.get("G6") == "floating_or_ungated":
        if a.get("H3") is True:
            message = N_(
                "Model can change unseen: production follows a moving model alias or ships changes without an "
                "eval run, so the notice before a model swap promised in H3 is beyond the vendor's control"
            )
            flag("R23", MEDIUM, message, ["G6", "H3"])
        else:
            message = N_(
                "Model can change unseen: production follows a moving model alias or ships changes without an eval run"
            )
            flag("R23", MEDIUM, message, ["G6"])

    c6 = _chosen(a.get("C6"))
    missing = [words for value, words in BASELINE_ACCESS if c6 is not None and value not in c6]
    if missing:
        flag(
            "R24", MEDIUM, N_("Engineer access below baseline, missing: %(controls)s", controls=series(missing)), ["C6"]
        )

    k7 = _chosen(a.get("K7"))
    if k7 is not None and not k7 & {"hard_budget_cap", "per_task_limits"}:
        if a.get("K5") == BUYER_ACCOUNT:
            message = N_(
                "No hard limit on spend or loops: neither a hard budget cap nor per-task limits, and the model "
                "bills come straight to the buyer"
            )
        else:
            message = N_("No hard limit on spend or loops: neither a hard budget cap nor per-task limits")
        flag("R25", MEDIUM, message, ["K7"])

    i4 = _chosen(a.get("I4")) or set()  # an unanswered I4 counts as lacking the code
    if _is_number(a.get("K10")) and a["K10"] == 0 and "code" not in i4:
        flag(
            "R26",
            MEDIUM,
            N_(
                "No exit path: no exit assistance and the code is not handed over, so leaving means rebuilding "
                "without help"
            ),
            ["K10", "I4"],
        )
    return flags


def verdict(tr: TrackRecord, flags: list[RedFlag], verifications: dict | None = None) -> Verdict:
    """The first failing gate of the stage-4 test, with the overlays its red flags raise."""
    codes = {f.code for f in flags}
    overlays = tuple((code, label) for code, label, raised_by in OVERLAYS if codes.intersection(raised_by))
    missing = [
        name
        for qid, name in (
            ("B1", N_("B1 deployments")),
            ("C1", N_("C1 engineer roster")),
            ("D1", N_("D1 failure modes")),
        )
        if not isinstance(tr.answers.get(qid), list)
    ]
    if missing:
        return _verdict("incomplete", N_("Incomplete: %(missing)s not answered", missing=series(missing)), overlays)
    if not tr.qualifying:
        return _verdict(
            "stage3_no_deployments",
            N_("Stage 3: no production deployment at stage 4, live within six months and built by the vendor"),
            overlays,
        )
    if not tr.engineers_on_qualifying:
        return _verdict(
            "stage3_no_engineers",
            N_("Stage 3: no engineer named on a qualifying deployment is in the roster"),
            overlays,
        )
    if not tr.failures_on_qualifying:
        return _verdict(
            "stage3_no_failures", N_("Stage 3: no failure mode reported on a qualifying deployment"), overlays
        )
    if not verified_deployments(tr, verifications):
        return _verdict(
            "stage4_unverified",
            N_("Stage 4 evidence, unverified: the buyer has not yet completed a reference check and evidence review"),
            overlays,
        )
    return _verdict(
        "stage4_verified", N_("Stage 4 evidence, verified by reference check and evidence review"), overlays
    )


def verified_deployments(tr: TrackRecord, verifications: dict | None) -> list[str]:
    """Qualifying deployments whose reference check and evidence review the buyer completed on the row as it is."""
    verifications = verifications or {}
    return sorted(
        d
        for d in tr.qualifying_ids
        if (v := verifications.get(d))
        and v.get("reference_checked") is True
        and v.get("evidence_reviewed") is True
        and not changed_since_verified(tr.answers, d, v)
    )


def changed_since_verified(answers: dict, deployment_id: str, verification: dict) -> bool:
    """Whether the deployment row differs from the row the verification was made on (or none was named)."""
    recorded = verification.get("fingerprint")
    return recorded is None or recorded != deployment_fingerprint(answers, deployment_id)


def _verdict(code: str, label: Message, overlays: tuple) -> Verdict:
    return Verdict(code, label, VERDICT_TIERS[code], overlays)


# --- what the vendor can fix (issue 12) ---
# The vendor's review page names these without their code or severity: each red flag below
# is one the vendor's own answers decide, so it is a slip to fix, not a judgment to hide.
# The problems are read off the flags' answer paths, so the tests stay in red_flags alone.


@dataclass(frozen=True)
class Problem:
    """A consistency problem the vendor can fix: its kind, the answer it sits in, what to name."""

    # unknown_engineer, unknown_deployment, duplicate_id, future_go_live, production_below_stage_4, over_allocated
    kind: str
    path: str  # the answer, as in RedFlag.answers: B1[0].engineer_ids[1]
    params: dict

    @property
    def question(self) -> str:
        """The id of the question the answer belongs to."""
        return _PATH.match(self.path)["question"]

    @property
    def row(self) -> int:
        """The row of that question's group."""
        return int(_PATH.match(self.path)["row"])

    @property
    def field(self) -> str | None:
        """The row's field the answer is in (None for the whole row)."""
        return _PATH.match(self.path)["field"]


# B1[0], B1[0].stage, B1[0].engineer_ids[1]: the row paths red flags point at
_PATH = re.compile(r"^(?P<question>[A-Za-z]\w*)\[(?P<row>\d+)\](?:\.(?P<field>\w+)(?:\[(?P<item>\d+)\])?)?$")
VENDOR_FIXABLE = ("R1", "R4", "R7", "R14", "R18")


def vendor_problems(tr: TrackRecord) -> list[Problem]:
    """The problems of R1, R4, R7, R14 and R18 a vendor can fix, one per answer, in answer order."""
    problems = []
    # commitments elsewhere are the buyer's knowledge, not the vendor's: only their own rows count
    for flag in red_flags(tr):
        if flag.code not in VENDOR_FIXABLE:
            continue
        for path in flag.answers:
            match = _PATH.match(path)
            if match is None:
                continue
            rows = tr.answers.get(match["question"])
            row = rows[int(match["row"])] if isinstance(rows, list) else {}
            # the vendor's own id for the row, else its number: no English word goes to the page
            label = row["id"] if isinstance(row.get("id"), str) and row["id"] else f"#{int(match['row']) + 1}"
            value = row.get(match["field"]) if match["field"] else None
            if match["item"] is not None and isinstance(value, list):
                value = value[int(match["item"])]
            kind, params = _problem(flag.code, match["question"], label, value, row)
            problems.append(Problem(kind, path, params))
    return sorted(problems, key=lambda p: _order(p.path))


def _problem(code: str, question: str, label: str, value, row: dict) -> tuple[str, dict]:
    if code == "R7":
        kind = "unknown_engineer" if question == "B1" else "unknown_deployment"
        return kind, {"row": label, "id": str(value)}
    if code == "R14":
        return "duplicate_id", {"id": str(value), "group": question}
    if code == "R4":
        return "future_go_live", {"row": label, "date": str(value)}
    if code == "R1":
        return "production_below_stage_4", {"row": label, "stage": value}
    return "over_allocated", {"row": label, "name": str(row.get("name") or label)}


def _order(path: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[\[\].]+", path) if p)
