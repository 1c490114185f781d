"""Commands of the IdentityContract (users): CREATE_USER.

The payload is the later, correct one (commands.md): the fabric user id, the 64-hex biometric
hash, the nationality (2 letters) and the age; never a password, name or e-mail (gaps B10).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, CountryCode, Sha256Hex, Strict
from shared.chain.port import ServiceIdentity


class CreateUser(Strict):
    user_id: AccountId = Field(alias="userId", validation_alias=AliasChoices("userId", "userID"))
    biometric_hash: Sha256Hex = Field(alias="biometricHash")
    nationality: CountryCode
    age: int = Field(ge=0, le=150, strict=True)


CREATE_USER = define(CommandDef(
    type="CREATE_USER",
    contract="IdentityContract",
    function="CreateUser",
    payload=CreateUser,
    args=lambda p: [p.user_id, p.biometric_hash, p.nationality, str(p.age)],
    identity=ServiceIdentity.PARTNER_API,
    aggregate=lambda p: f"user:{p.user_id}",
    service="identity",
    description="Register a KYC-approved user on chain.",
))
