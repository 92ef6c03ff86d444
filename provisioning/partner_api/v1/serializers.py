"""What the native surface sends back, and the documented shape of what it takes.

Requests are validated by the same parser as the compatibility surface (one rule book, in
`provisioning/partner_api/compat_input.py`); the request serializers here describe those rules for
the OpenAPI schema and Swagger UI.
"""

from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from provisioning.models import EventType, PartnerEvent, PendingReason, User, UserStatus
from provisioning.partner_api.compat_input import (
    COMPANY_NAME_MAX,
    EMAIL_MAX,
    NAME_MAX,
    OFFICES_MAX,
    PARTNER_ID_MAX,
)

COUNTRY_CODES = sorted(code for code, _ in countries)


# --- Answers ----------------------------------------------------------------------------------


class CompanySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="legal_name")
    countryCode = serializers.CharField(source="country.code")


class OfficeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    countryCode = serializers.CharField(source="country.code")
    officeAirportCode = serializers.CharField(source="airport_code")
    iataCode = serializers.CharField(source="iata_code", allow_blank=True)
    cassCode = serializers.CharField(source="cass_code", allow_blank=True)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    firstName = serializers.CharField(source="first_name", allow_blank=True)
    lastName = serializers.CharField(source="last_name", allow_blank=True)
    status = serializers.ChoiceField(choices=UserStatus.choices)
    pendingReason = serializers.ChoiceField(
        source="pending_reason",
        choices=PendingReason.choices,
        allow_null=True,
        help_text="Why a pending account waits; null for any other status.",
    )
    company = CompanySerializer(allow_null=True)
    offices = OfficeSerializer(many=True)
    createdAt = serializers.DateTimeField(source="date_joined")
    statusChangedAt = serializers.DateTimeField(source="status_changed_at")

    def to_representation(self, instance: User):
        data = super().to_representation(instance)
        data["pendingReason"] = data["pendingReason"] or None
        return data


class ProvisionedUserSerializer(UserSerializer):
    completionLink = serializers.URLField(
        allow_null=True,
        help_text="For a user awaiting details: the completion link, also emailed to the user.",
    )


class LoginTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="One-time, valid for 10 minutes.")
    link = serializers.URLField(help_text="The portal login link, `PORTAL_URL?auth=<token>`.")
    expiresAt = serializers.DateTimeField()


class EventUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    status = serializers.ChoiceField(choices=UserStatus.choices)
    pendingReason = serializers.ChoiceField(choices=PendingReason.choices, allow_null=True)


class EventPreviousSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=UserStatus.choices, allow_null=True, help_text="null for a new account."
    )
    pendingReason = serializers.ChoiceField(choices=PendingReason.choices, allow_null=True)


class EventDataSerializer(serializers.Serializer):
    user = EventUserSerializer()
    previous = EventPreviousSerializer()


class EventSerializer(serializers.Serializer):
    """The event as the feed lists it and the webhook POSTs it (plus `sentAt` there)."""

    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=EventType.choices)
    createdAt = serializers.DateTimeField()
    data = EventDataSerializer()

    def to_representation(self, instance: PartnerEvent):
        return instance.payload


# --- Requests -------------------------------------------------------------------------------
# These check the shape (types, lengths, patterns) exactly as the schema states it; the rules
# beyond a schema (a known airport in the office's country, codes given in pairs, no
# disposable domains) are then checked by the parser the compatibility surface uses too.

_CONTROL = r"\x00-\x1f\x7f-\x9f"
TEXT = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"  # not blank, no control characters


class StrictCharField(serializers.CharField):
    """A JSON string, taken as sent: no number coerced to text, no whitespace trimmed."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRegexField(StrictCharField, serializers.RegexField):
    pass


class StrictEmailField(StrictCharField, serializers.EmailField):
    pass


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class OfficeInputSerializer(serializers.Serializer):
    countryCode = StrictChoiceField(
        choices=COUNTRY_CODES, help_text="ISO 3166-1 alpha-2 country of the office."
    )
    officeAirportCode = StrictRegexField(
        regex=r"^[A-Z]{3}$",
        required=False,
        help_text="A known IATA airport code in the office's country.",
    )
    iataCode = StrictRegexField(
        regex=r"^[0-9]{7}$",
        required=False,
        help_text="IATA cargo agent code, 7 digits; given with cassCode.",
    )
    cassCode = StrictRegexField(
        regex=r"^[0-9]{4}$",
        required=False,
        help_text="CASS address, 4 digits; given with iataCode.",
    )


class UserCreateSerializer(serializers.Serializer):
    firstName = StrictRegexField(regex=TEXT, max_length=NAME_MAX)
    lastName = StrictRegexField(regex=TEXT, max_length=NAME_MAX)
    email = StrictEmailField(max_length=EMAIL_MAX)
    companyName = StrictRegexField(regex=TEXT, max_length=COMPANY_NAME_MAX)
    countryCode = StrictChoiceField(
        choices=COUNTRY_CODES,
        required=False,
        help_text="The company's country; required unless `offices` is given (then the first "
        "office's country stands for it).",
    )
    offices = OfficeInputSerializer(many=True, required=False, max_length=OFFICES_MAX)
    partnerId = StrictRegexField(
        regex=rf"^[^{_CONTROL}]*$",
        max_length=PARTNER_ID_MAX,
        required=False,
        help_text="Your own reference for the user.",
    )


class OfficesAddSerializer(serializers.Serializer):
    offices = OfficeInputSerializer(many=True, min_length=1, max_length=OFFICES_MAX)


# --- Errors ------------------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"email": ["must be a well-formed email address"]},
    }
)
class FieldErrorsField(serializers.DictField):
    pass


class ValidationErrorSerializer(ErrorSerializer):
    errors = FieldErrorsField(help_text="Problems per field, named as in the request.")
