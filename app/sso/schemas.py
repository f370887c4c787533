"""Request and response bodies of the single sign-on API."""

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from app.auth.roles import Role
from app.text import NO_NUL, NoNul

DOMAIN = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


def _domain(value: str) -> str:
    domain = value.strip().lower()
    if len(domain) > 253 or not DOMAIN.fullmatch(domain):
        raise ValueError("not a domain name: write the part after the @, like riverside.example")
    return domain


Domain = Annotated[str, StringConstraints(max_length=300), AfterValidator(_domain)]
ClaimName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul, NO_NUL]
ClaimValue = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NO_NUL]
GroupName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul, NO_NUL]


class InstitutionRule(BaseModel):
    """People belong to the institution by their email's domain, or by a claim having a value (not both)."""

    email_domain: Domain | None = None
    claim: ClaimName | None = None
    value: ClaimValue | None = None
    require_sso: bool = Field(default=False, description="Refuse password login to the institution's members")

    @model_validator(mode="after")
    def one_kind(self) -> "InstitutionRule":
        by_claim = self.claim is not None or self.value is not None
        if self.email_domain is None and not by_claim:
            raise ValueError("give an email_domain, or a claim and its value")
        if self.email_domain is not None and by_claim:
            raise ValueError("give an email_domain or a claim and value, not both")
        if by_claim and (self.claim is None or self.value is None):
            raise ValueError("a claim rule needs both claim and value")
        return self


class GroupRole(BaseModel):
    group: GroupName
    role: Role


class SsoConfig(BaseModel):
    rules: list[InstitutionRule] = Field(default_factory=list, max_length=100)
    group_roles: list[GroupRole] = Field(default_factory=list, max_length=500)


class SigningGrantRead(BaseModel):
    signing_grant: str = Field(description="Send as `signing_grant` in the sign-off body once the URL is done")
    url: str = Field(description="Open in a browser: the provider asks you to sign in again")
    created_at: datetime
    expires_in: int = Field(description="Seconds the grant stays usable after you sign in at the provider")
