"""Single sign-on with OpenID Connect: who a verified ID token's claims sign in as (issue 11).

The view (views/oidc.py) has Authlib check the token (state, nonce, issuer, audience,
signature, expiry) and hands the claims here. An identity is the pair (issuer, subject);
the first time it is seen it is linked to the local account with the same e-mail when the
provider says that e-mail is verified and the account is linked to no other identity, or a
new account is made when provisioning is on; otherwise the sign-in is refused. The teams
named in the group mapping are the provider's to manage: at every sign-in the account's role
in each of them is set from the groups claim (the strongest role any of its groups maps to),
and an account that no longer has such a group leaves the team. Other teams are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stagefour import access
from stagefour import store

if TYPE_CHECKING:
    from sqlite_utils import Database

# A password hash that matches no password: an account made by single sign-on has none.
NO_PASSWORD = "!"
ACTOR = "sso"


@dataclass
class SignIn:
    """The outcome: the account to log in, or why not (a code: no_email, unknown, linked_elsewhere, disabled)."""

    user: dict | None = None
    refused: str | None = None
    provisioned: bool = False


def check_groups(groups: dict) -> None:
    """Raise ValueError unless the mapping is {"claim value": ("Team name", "role")}."""
    for value, target in groups.items():
        if not (isinstance(target, tuple | list) and len(target) == 2 and target[1] in access.ROLE_ORDER):
            raise ValueError(f"OIDC_GROUPS[{value!r}] must be (team name, one of {access.ROLE_ORDER}), not {target!r}")


def roles_from_claims(claims: dict, claim: str, groups: dict) -> dict[str, str | None]:
    """Team name -> the strongest role the claim's values map to (None: a mapped team the user is not in)."""
    values = claims.get(claim) or []
    if isinstance(values, str):
        values = [values]
    roles: dict[str, str | None] = {team: None for team, _role in groups.values()}
    for value in values:
        if isinstance(value, str) and value in groups:
            team, role = groups[value]
            if not access.at_least(roles[team], role):
                roles[team] = role
    return roles


def sign_in(db: Database, issuer: str, claims: dict, *, claim: str, groups: dict, provision: bool) -> SignIn:
    """Find, link or make the account for verified ID token claims, and set its mapped memberships."""
    subject = str(claims["sub"])
    user = store.get_user_by_oidc(db, issuer, subject)
    provisioned = False
    if user is None:
        email = claims.get("email")
        # Only the provider's word that the address is its holder's lets it name a local account.
        if not isinstance(email, str) or not email.strip() or claims.get("email_verified") is not True:
            return SignIn(refused="no_email")
        user = store.get_user_by_email(db, email)
        if user is not None and user["oidc_subject"] is not None:
            return SignIn(refused="linked_elsewhere")
        if user is None and not provision:
            return SignIn(refused="unknown")
        with db.atomic():
            if user is None:
                user_id = store.create_user(db, email, NO_PASSWORD)
                store.audit(db, ACTOR, "user_provisioned", user=user_id, email=email.strip().lower()[:200])
                provisioned = True
            else:
                user_id = user["id"]
            store.link_oidc(db, user_id, issuer, subject, ACTOR)
        user = store.get_user(db, user_id)
    if user["disabled_at"]:
        return SignIn(refused="disabled")
    for team_name, role in roles_from_claims(claims, claim, groups).items():
        team = store.get_team_by_name(db, team_name)
        if role is not None:
            team_id = team["id"] if team else store.create_team(db, team_name, ACTOR)
            if store.membership_role(db, team_id, user["id"]) != role:
                store.set_membership(db, team_id, user["id"], role, ACTOR)
        elif team is not None:
            store.remove_membership(db, team["id"], user["id"], ACTOR)
    # Re-read: a changed role ended the account's other sessions, and this one starts after that.
    return SignIn(user=store.get_user(db, user["id"]), provisioned=provisioned)
