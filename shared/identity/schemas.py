"""Request and reply models of the identity service (spec endpoints.md §1, with its Required notes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from shared.api import OWNER, STAFF, ApiModel, PatchModel, ReplyModel, visible_to

EMAIL = r"^[^\s@]+@[^\s@]+\.[^\s@]+$"
PHONE = r"^\+?[1-9]\d{1,14}$"
NAME = Field(min_length=1, max_length=50)


class RegisterIn(ApiModel):
    email: str = Field(pattern=EMAIL, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    first_name: str = NAME
    last_name: str = NAME
    date_of_birth: date
    nationality_country_code: str = Field(pattern=r"^[A-Z]{2}$")
    gender: Literal["male", "female"] | None = None
    phone_num: str | None = Field(None, pattern=PHONE)
    identity_num: str | None = Field(None, min_length=1, max_length=50)

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()

    @field_validator("date_of_birth")
    @classmethod
    def _plausible(cls, v: date) -> date:
        if not date(1900, 1, 1) <= v <= date.today():
            raise ValueError("date of birth must be between 1900-01-01 and today")
        return v


class LoginIn(ApiModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(ApiModel):
    refresh_token: str = Field(min_length=20, max_length=4096)


class ProfilePatch(PatchModel):
    first_name: str | None = Field(None, min_length=1, max_length=50)
    last_name: str | None = Field(None, min_length=1, max_length=50)
    phone_num: str | None = Field(None, pattern=PHONE)
    identity_num: str | None = Field(None, min_length=1, max_length=50)

    @model_validator(mode="after")
    def _something(self) -> ProfilePatch:
        if not self.model_fields_set:
            raise ValueError("give at least one of firstName, lastName, phoneNum, identityNum")
        return self


class KycEvidenceIn(ApiModel):
    """The evidence-fields form of a KYC submission (the multipart form uploads the document)."""

    evidence_hash: str = Field(pattern=r"^[a-f0-9]{64}$")
    evidence_size: int = Field(ge=1, le=10_485_760)
    evidence_mime: Literal["image/jpeg", "image/png", "application/pdf"]


class KycRejectIn(ApiModel):
    reason: str = Field(min_length=3, max_length=500)


class KycApproveIn(ApiModel):
    notes: str | None = Field(None, max_length=500)


class KycQuery(ApiModel):
    status: Literal["PENDING", "APPROVED", "REJECTED", "EXPIRED"] = "PENDING"
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200)


class UserQuery(ApiModel):
    status: str | None = Field(None, pattern=r"^[A-Z_]{3,30}$")
    role: Literal["USER", "ADMIN", "SUPER_ADMIN", "PARTNER_API"] | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=200)


#: A person's contact and identity data and on-chain id: theirs and staff's, nobody else's.
Personal = visible_to(OWNER, STAFF)


class Profile(ReplyModel):
    profile_id: str
    first_name: str
    last_name: str
    nationality_country_code: str | None
    role: str
    status: str
    onchain_status: str
    created_at: datetime
    updated_at: datetime
    email: Annotated[str | None, Personal] = None
    phone_num: Annotated[str | None, Personal] = None
    identity_num: Annotated[str | None, Personal] = None
    date_of_birth: Annotated[date | None, Personal] = None
    gender: Annotated[str | None, Personal] = None
    fabric_user_id: Annotated[str | None, Personal] = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Profile:
        return cls(
            profile_id=str(row["profile_id"]),
            email=row["email"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            phone_num=row["phone_num"],
            identity_num=row["identity_num"],
            date_of_birth=row["date_of_birth"],
            gender=row["gender"],
            nationality_country_code=row["nationality_country_code"],
            role=row["role"],
            status=row["status"],
            onchain_status=row["onchain_status"],
            fabric_user_id=row["fabric_user_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class UserReply(ReplyModel):
    user: Profile


class ProfileReply(ReplyModel):
    profile: Profile


class TokenReply(ReplyModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: Profile | None = None


class MessageReply(ReplyModel):
    message: str


class Kyc(ReplyModel):
    kyc_id: str
    profile_id: str
    status: str
    evidence_hash: str
    evidence_size: int
    evidence_mime: str
    has_document: bool
    verified_at: datetime | None
    verifier_id: str | None
    verifier_notes: str | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Kyc:
        return cls(
            kyc_id=str(row["kyc_id"]),
            profile_id=str(row["profile_id"]),
            status=row["status"],
            evidence_hash=row["evidence_hash"],
            evidence_size=row["evidence_size"],
            evidence_mime=row["evidence_mime"],
            has_document=row["document_object_key"] is not None,
            verified_at=row["verified_at"],
            verifier_id=str(row["verifier_id"]) if row["verifier_id"] else None,
            verifier_notes=row["verifier_notes"],
            rejection_reason=row["rejection_reason"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class KycReply(ReplyModel):
    kyc_record: Kyc


class KycStatusReply(ReplyModel):
    kyc_status: Kyc | None


class KycPage(ReplyModel):
    items: list[Kyc]
    next_cursor: str | None


class UserPage(ReplyModel):
    items: list[Profile]
    next_cursor: str | None


class DocumentLink(ReplyModel):
    url: str
    expires_in: int
    mime: str
    sha256: str
