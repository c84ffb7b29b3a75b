"""The AI deployment partner's words for pages and the PDF: red flags, verdict gates, overlays, metrics.

English only here; they are marked for the catalogues and translated where they are shown.
"""


def N_(text: str) -> str:
    """Mark a text for `pybabel extract`: it is translated where it is shown."""
    return text


# The red flags of the AI deployment partner checks (checks.py beside this), for the method appendix.
FLAG_CODES = {
    "R1": ("high", N_("Called in production but below stage 4")),
    "R2": ("medium", N_("Stage 4 claimed but not in production")),
    "R3": ("low", N_("Went live more than six months ago (track record only)")),
    "R4": ("high", N_("Go-live date in the future")),
    "R5": ("medium", N_("Stage 4 with no downstream teams or no daily volume")),
    "R6": ("medium", N_("A qualifying deployment with no failure mode linked")),
    "R7": ("high", N_("An engineer on a deployment is not in the roster, or a failure names a deployment not in B1")),
    "R8": ("medium", N_("A proposed engineer on no deployment or with no time embedded at a customer")),
    "R9": ("high", N_("No failure modes reported at all")),
    "R10": ("high", N_("Pilots only: pilots reported and no deployment in production")),
    "R11": ("medium", N_("Every failure mode was detected by users or customer staff")),
    "R12": ("high", N_("No proposed engineer is a forward deployed engineer")),
    "R13": ("medium", N_("No reference available for any deployment")),
    "R14": ("medium", N_("Duplicate deployment or engineer ids")),
    "R15": (
        "high",
        N_("Security blocker: tokens forwarded, a shared broad credential, or buyer data may train models"),
    ),
    "R16": ("medium", N_("Tool-call logs kept under 180 days")),
    "R17": (
        "medium",
        N_("Lock-in: a lab-affiliated vendor with one model provider and no example of recommending against its stack"),
    ),
    # %% because a translated text is always %-formatted, as Jinja's `_()` does.
    "R18": ("medium", N_("An engineer allocated over 100 %% across proposals")),
    "R19": (
        "high",
        N_("Data residency conflict: content goes outside the buyer's data regions, or no region is given"),
    ),
    "R20": ("medium", N_("Data-processor list incomplete: no retention figure, no region, or no model provider")),
    "R21": ("high", N_("AI Act class understated: the vendor's class is lower than the buyer's reading")),
    "R22": ("high", N_("Injection exposure: neither privilege separation nor an egress allowlist")),
    "R23": ("medium", N_("Model can change unseen: a moving model alias or no eval gate before changes")),
    "R24": ("medium", N_("Engineer access below baseline: no MFA, managed devices or rule against outside AI tools")),
    "R25": ("medium", N_("No hard limit on spend or loops")),
    "R26": ("medium", N_("No exit path: no exit assistance and no code handed over")),
}
# The verdict gates in the order they are checked (stagefour/checks.py verdict()).
GATES = {
    "incomplete": N_("Incomplete: B1, C1 or D1 not answered"),
    "stage3_no_deployments": N_(
        "Stage 3: no production deployment at stage 4, live within six months and built by the vendor"
    ),
    "stage3_no_engineers": N_("Stage 3: no engineer named on a qualifying deployment is in the roster"),
    "stage3_no_failures": N_("Stage 3: no failure mode reported on a qualifying deployment"),
    "stage4_unverified": N_(
        "Stage 4 evidence, unverified: the buyer has not yet completed a reference check and evidence review"
    ),
    "stage4_verified": N_("Stage 4 evidence, verified by reference check and evidence review"),
}
# The gates again, as the method appendix states them: one sentence each, no codes.
GATE_SENTENCES = {
    "incomplete": N_(
        "Incomplete: when the deployments (B1), the engineers (C1) or the failure modes (D1) are not answered, "
        "no stage can be given."
    ),
    "stage3_no_deployments": N_(
        "Stage 3: when no deployment is in production at stage 4, live within the last six months and built by "
        "the vendor."
    ),
    "stage3_no_engineers": N_(
        "Stage 3: when none of the engineers named on such a deployment is in the vendor's roster (C1)."
    ),
    "stage3_no_failures": N_("Stage 3: when no failure mode is reported on such a deployment."),
    "stage4_unverified": N_(
        "Stage 4 evidence, unverified: all three are named, but the buyer has not yet completed a reference check "
        "and an evidence review of a qualifying deployment."
    ),
    "stage4_verified": N_("Stage 4 evidence, verified: all three are named and the buyer has checked both."),
}
# What each verdict means, one line each, on the summary page (a reader who never opened the app).
VERDICT_MEANINGS = (
    (
        N_("Stage 4 evidence"),
        N_(
            "the vendor named recent production deployments, the engineers who were on the ground, and what broke "
            "and how it was fixed; “verified” once the buyer has checked a reference and reviewed the evidence."
        ),
    ),
    (
        N_("Stage 3"),
        N_(
            "agentic pilots that have not been shown to reach production: one of those three is missing, and the "
            "verdict names which."
        ),
    ),
    (N_("Incomplete"), N_("the deployments, engineers or failure modes are not answered yet: no stage can be given.")),
    (
        N_("Security blocker, Lock-in risk, Data residency conflict"),
        N_(
            "shown beside a verdict: a red flag that can rule a vendor out whatever its stage (R15 or R22, R17 or "
            "R26, R19)."
        ),
    ),
)
OVERLAY_WORDS = {
    "security_blocker": N_("Security blocker"),
    "lock_in": N_("Lock-in risk"),
    "data_residency": N_("Data residency conflict"),
}
METRIC_WORDS = {
    "qualifying_deployments": N_(
        "qualifying deployments (in production, stage 4, live within six months, built by the vendor; one matching "
        "the buyer's industry or size counts 1.5, both 2)"
    ),
    "production_share": N_("deployments in production ÷ (those + the pilots and proofs of concept)"),
    "longest_in_production_months": N_("months since the earliest go-live of a deployment in production"),
    "proposed_fde_share": N_(
        "proposed engineers who are forward deployed engineers on a qualifying deployment ÷ proposed engineers"
    ),
    "failures_on_qualifying": N_("failure modes linked to qualifying deployments"),
    "automatic_detection_recovery": N_("mean of the shares of failure modes detected and recovered automatically"),
    "qualifying_security_review_share": N_(
        "share of qualifying deployments that passed the customer's security review"
    ),
    "qualifying_customer_kpi_share": N_("share of qualifying deployments whose KPI change the customer measured"),
    "qualifying_references": N_("qualifying deployments with a reference available"),
}
