"""The buyer profile's 1.1 fields (stagefour/profile.py): what is allowed, normalised and refused."""

import math

import pytest

from stagefour import profile
from stagefour.profile import ProfileError


def test_regions_are_kept_in_the_contracts_order_and_other_is_allowed():
    assert profile.data_regions(["us", "other", "eu_eea"]) == ["eu_eea", "us", "other"]
    assert profile.data_regions("uk, eu_eea") == ["eu_eea", "uk"]
    assert profile.data_regions(None) == []
    assert profile.data_regions("") == []


@pytest.mark.parametrize("value", ["global", "EU", "mars", "eu_eea;uk", "<script>"])
def test_an_unknown_region_is_refused_with_what_is_allowed(value):
    with pytest.raises(ProfileError) as caught:
        profile.data_regions(["eu_eea", value])
    assert caught.value.field == "data_regions"
    assert caught.value.code == profile.UNKNOWN_REGION
    assert "global" not in caught.value.allowed and "other" in caught.value.allowed
    assert "eu_eea, uk, switzerland" in str(caught.value)


def test_ai_act_class_is_one_of_three_or_unset():
    assert profile.ai_act_class("high_risk") == "high_risk"
    assert profile.ai_act_class("") is None
    assert profile.ai_act_class(None) is None
    with pytest.raises(ProfileError) as caught:
        profile.ai_act_class("high_risk_buyer_provider")
    assert caught.value.allowed == ("high_risk", "transparency_only", "minimal_risk")


def test_currency_is_an_iso_code_upper_cased_and_eur_by_default():
    assert profile.currency(" gbp ") == "GBP"
    assert profile.currency("") == "EUR"
    assert profile.currency(None) == "EUR"
    for bad in ("EURO", "€", "ZZZ", "E", "x" * 10_000):
        with pytest.raises(ProfileError) as caught:
            profile.currency(bad)
        assert caught.value.code == profile.UNKNOWN_CURRENCY and "CHF" in caught.value.allowed


@pytest.mark.parametrize(
    ("value", "expected"), [("60000", 60000), (60000, 60000), ("0", 0), (" 2.5 ", 2.5), ("", None)]
)
def test_monthly_tasks_are_a_number_from_zero(value, expected):
    assert profile.monthly_tasks(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("-1", profile.OUT_OF_RANGE),
        (-0.5, profile.OUT_OF_RANGE),
        (10**12 + 1, profile.OUT_OF_RANGE),
        ("1e400", profile.OUT_OF_RANGE),
        (math.nan, profile.OUT_OF_RANGE),
        ("nan", profile.OUT_OF_RANGE),
        ("sixty thousand", profile.NOT_A_NUMBER),
        ("60_000", profile.NOT_A_NUMBER),
        (True, profile.NOT_A_NUMBER),
        ([1], profile.NOT_A_NUMBER),
    ],
)
def test_bad_monthly_tasks_are_refused(value, code):
    with pytest.raises(ProfileError) as caught:
        profile.monthly_tasks(value)
    assert caught.value.code == code


def test_normalise_keeps_other_fields_and_leaves_out_what_is_unset():
    given = {
        "industry": "insurance",
        "data_regions": ["uk", "eu_eea"],
        "ai_act_class": "",
        "currency": "chf",
        "monthly_tasks": "100",
    }
    assert profile.normalise(given) == {
        "industry": "insurance",
        "data_regions": ["eu_eea", "uk"],
        "currency": "CHF",
        "monthly_tasks": 100,
    }
    assert profile.normalise({"size_band": "large"}) == {"size_band": "large"}
