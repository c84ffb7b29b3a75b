"""The AI deployment partner profile (`checks: ai-deployment-partner`): its red flags R1–R26, verdict and
overlays, track-record metrics, deployment verification, and the words pages and the PDF say about them.
"""

from __future__ import annotations

from datetime import date

from stagefour.profiles.ai_deployment_partner import checks
from stagefour.profiles.ai_deployment_partner import texts
from stagefour.profiles.ai_deployment_partner.metrics import METRICS
from stagefour.profiles.ai_deployment_partner.metrics import TrackRecord
from stagefour.profiles.ai_deployment_partner.metrics import deployment_fingerprint


class AIDeploymentPartner:
    """What the core asks a questionnaire's profile: facts, flags, verdict, vendor problems and words."""

    name = "ai-deployment-partner"
    metrics = METRICS
    # words of the method appendix, the summary and the verdict cells
    flag_codes = texts.FLAG_CODES
    gates = texts.GATES
    gate_sentences = texts.GATE_SENTENCES
    verdict_meanings = texts.VERDICT_MEANINGS
    overlay_words = texts.OVERLAY_WORDS
    metric_words = texts.METRIC_WORDS
    answer_needed = checks.ANSWER_NEEDED
    overlays = checks.OVERLAYS
    # the source files whose change changes a cached PDF
    sources = (
        "stagefour/profiles/ai_deployment_partner/__init__.py",
        "stagefour/profiles/ai_deployment_partner/checks.py",
        "stagefour/profiles/ai_deployment_partner/metrics.py",
        "stagefour/profiles/ai_deployment_partner/texts.py",
    )

    def facts(self, answers: dict, as_of: date, buyer_profile: dict | None = None) -> TrackRecord:
        """The track record the metrics, red flags and verdict read."""
        return TrackRecord(answers, as_of, buyer_profile)

    def judge(self, facts: TrackRecord, manual_means: dict, commitments: dict | None, verifications: dict | None):
        """(red flags, verdict, share of qualifying deployments verified or None)."""
        flags = checks.red_flags(facts, manual_means, commitments)
        verdict = checks.verdict(facts, flags, verifications)
        verified_share = None
        if verifications and facts.qualifying:
            share = 100 * len(checks.verified_deployments(facts, verifications)) / len(facts.qualifying)
            verified_share = round(share + 0.0, 1)  # as scoring rounds its shares
        return flags, verdict, verified_share

    def vendor_problems(self, answers: dict, as_of: date) -> list[checks.Problem]:
        """The consistency problems a vendor can fix in their answers."""
        return checks.vendor_problems(TrackRecord(answers, as_of))

    def changed_since_verified(self, answers: dict, deployment_id: str, verification: dict) -> bool:
        """Whether the vendor changed a deployment row after the buyer verified it."""
        return checks.changed_since_verified(answers, deployment_id, verification)

    def fingerprint(self, answers: dict, deployment_id: str) -> str | None:
        """The fingerprint of a deployment row that a verification names."""
        return deployment_fingerprint(answers, deployment_id)


PROFILE = AIDeploymentPartner()
