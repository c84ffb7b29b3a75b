"""The data chain of questionnaire 1.1: H6's data processors, and where a vendor's content goes.

One meaning of a "content row" and a "model row" for the checks (R19, R20), the computed H8 and
the comparison's data-location line (../shared/QUESTIONNAIRE.md, "Version 1.1 additions", terms
and clarification 6).
"""

from __future__ import annotations

from dataclasses import dataclass

# H6 `regions` in the contract's order; `global` means not pinned: the provider may route anywhere.
REGIONS = ("eu_eea", "uk", "switzerland", "us", "canada", "asia_pacific", "other", "global")
BUYER_REGIONS = tuple(r for r in REGIONS if r != "global")
MODEL_SERVICES = ("model_api", "model_hosting")
NO_CONTENT = "metadata_only"


def rows(answers: dict) -> list[dict]:
    """H6's rows that are rows (anything else a database may hold is skipped)."""
    value = answers.get("H6")
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


def is_content_row(row: dict) -> bool:
    """A row that carries our content: `data` holds anything but metadata_only, or is not declared."""
    data = row.get("data")
    if not isinstance(data, list) or not data:
        return True  # what is not declared is assumed to be content
    return any(value != NO_CONTENT for value in data)


def is_model_row(row: dict) -> bool:
    """A row for a model provider: an API or where a model is hosted."""
    return row.get("service") in MODEL_SERVICES


def regions_of(row: dict) -> list[str]:
    """The row's regions; empty when the key is missing or holds no list ("no region")."""
    value = row.get("regions")
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def indexed_rows(answers: dict) -> list[tuple[int, dict]]:
    """(index, row) of H6's rows that are rows, each with its index in H6 itself."""
    value = answers.get("H6")
    # the index is the one in the answer, so a flag's path `H6[i]` names the row the vendor wrote
    return [(i, row) for i, row in enumerate(value) if isinstance(row, dict)] if isinstance(value, list) else []


def content_rows(answers: dict) -> list[tuple[int, dict]]:
    """(index in H6, row) of every content row of H6."""
    return [(i, row) for i, row in indexed_rows(answers) if is_content_row(row)]


def outside(region: str, buyer_regions: list[str] | tuple[str, ...]) -> bool:
    """Whether a region lies outside the buyer's `data_regions` (`global` always does); False when unset."""
    return bool(buyer_regions) and (region == "global" or region not in buyer_regions)


@dataclass(frozen=True)
class DataLocations:
    """Where a vendor's content goes: the union of its content rows' regions."""

    regions: tuple[tuple[str, bool], ...]  # (region, outside the buyer's data_regions), in REGIONS order
    unstated: bool  # a content row names no region

    @property
    def any_outside(self) -> bool:
        """Whether any region is outside the buyer's regions."""
        return any(out for _, out in self.regions)


def data_locations(answers: dict, buyer_profile: dict) -> DataLocations | None:
    """The data-location line under the overlays; None when H6 is unanswered or has no content row."""
    if "H6" not in answers or answers.get("H6") is None:
        return None
    content = content_rows(answers)
    if not content:
        return None
    wanted = [r for r in buyer_profile.get("data_regions") or () if isinstance(r, str)]
    named = {r for _, row in content for r in regions_of(row)}
    ordered = [r for r in REGIONS if r in named] + sorted(named - set(REGIONS))
    return DataLocations(
        regions=tuple((r, outside(r, wanted)) for r in ordered),
        unstated=any(not regions_of(row) for _, row in content),
    )
