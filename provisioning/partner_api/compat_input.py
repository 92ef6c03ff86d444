"""Parsing and validation of the compat surface's requests (DESIGN §5.1, §5.2).

Errors read like the legacy API's: `<field>: <problem>`, joined by `; `. Everything a partner
sends is checked here before any service runs, so a refused request stores nothing.
"""

import json
import re

from django_countries import countries

from provisioning.accounts.domains import EmailInvalid, email_checked
from provisioning.accounts.errors import InvalidInput
from provisioning.accounts.inputs import OfficeInput, UserInput
from recognition.validators import airport_country

NAME_MAX = 45
EMAIL_MAX = 66
COMPANY_NAME_MAX = 45
PARTNER_ID_MAX = 100
OFFICES_MAX = 50

EMPTY_EMAIL = "validation errors: [email cannot be empty]"
BLANK = "cannot be blank"
_DIGITS = re.compile(r"[0-9]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")


class CompatError(Exception):
    """A refused request; the text follows `Invalid request: `."""


def json_object(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise CompatError("malformed JSON body") from None
    if not isinstance(data, dict):
        raise CompatError("the body must be a JSON object")
    return data


# Unicode's control characters (category Cc) and lone surrogates (Cs).
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _control_free(value: str) -> bool:
    # NUL and lone surrogates would not even reach the database; other control characters
    # have no place in a name or a code either.
    return _CONTROL_OR_SURROGATE.search(value) is None


class _Fields:
    """Collects field errors in request order."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append((field, message))

    def text(self, data: dict, key: str, field: str, *, required: bool, max_length: int) -> str:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, BLANK)
            return ""
        if not isinstance(value, str):
            self.fail(field, "must be a string")
            return ""
        value = value.strip()
        if not _control_free(value):
            self.fail(field, "must not contain control characters")
            return ""
        if len(value) > max_length:
            self.fail(field, f"size must be between 1 and {max_length}")
            return ""
        return value

    def code(self, data: dict, key: str, field: str, *, digits: int) -> str:
        value = self.text(data, key, field, required=False, max_length=1000)
        if value and not _DIGITS.fullmatch(value):
            self.fail(field, "must contain digits only")
            return ""
        if value and len(value) != digits:
            self.fail(field, f"must be exactly {digits} digits")
            return ""
        return value

    def country(self, data: dict, key: str, field: str, *, required: bool) -> str:
        value = self.text(data, key, field, required=required, max_length=1000)
        # Exact: only ASCII letters are upper-cased (`ß` must not become `SS`, South Sudan).
        if value and not (_ASCII_LETTERS.fullmatch(value) and len(value) == 2):
            self.fail(field, "unknown country code")
            return ""
        value = value.upper()
        if value and not countries.alpha2(value):
            self.fail(field, "unknown country code")
            return ""
        return value

    def office(self, data: dict, prefix: str, country: str) -> OfficeInput | None:
        """The office fields of data (the top level or one offices[] item)."""
        before = len(self.errors)
        airport = self.text(
            data, "officeAirportCode", f"{prefix}officeAirportCode", required=False, max_length=100
        )
        # Exact, like the country: no Unicode case mapping turns a letter into a code.
        airport = airport.upper() if _ASCII_LETTERS.fullmatch(airport) else airport
        airport_at = airport_country(airport) if airport else None
        if airport and airport_at is None:
            self.fail(f"{prefix}officeAirportCode", "unknown airport code")
        elif airport and country and airport_at != country:
            self.fail(f"{prefix}officeAirportCode", f"airport {airport} is not in {country}")
        iata = self.code(data, "iataCode", f"{prefix}iataCode", digits=7)
        cass = self.code(data, "cassCode", f"{prefix}cassCode", digits=4)
        if iata and not cass and data.get("cassCode") in (None, ""):
            self.fail(f"{prefix}cassCode", "cannot be blank when iataCode is given")
        if cass and not iata and data.get("iataCode") in (None, ""):
            self.fail(f"{prefix}iataCode", "cannot be blank when cassCode is given")
        if len(self.errors) > before:
            return None
        return OfficeInput(country=country, airport_code=airport, iata_code=iata, cass_code=cass)

    def offices(self, data: dict, *, required: bool) -> list[OfficeInput]:
        value = data.get("offices")
        if value is None or value == []:
            if required:
                self.fail("offices", BLANK)
            return []
        if not isinstance(value, list):
            self.fail("offices", "must be a list")
            return []
        if len(value) > OFFICES_MAX:
            self.fail("offices", f"size must be between 1 and {OFFICES_MAX}")
            return []
        offices = []
        for index, item in enumerate(value):
            prefix = f"offices[{index}]."
            if not isinstance(item, dict):
                self.fail(f"offices[{index}]", "must be an object")
                continue
            country = self.country(item, "countryCode", f"{prefix}countryCode", required=True)
            office = self.office(item, prefix, country)
            if office is not None and country:
                offices.append(office)
        return offices

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def email_value(value) -> str:
    """The email of a body field or query parameter in its normal form (IDNA-encoded,
    lower-case domain), or a CompatError / InvalidInput."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CompatError(EMPTY_EMAIL)
    if not isinstance(value, str):
        raise InvalidInput([("email", "must be a string")])
    value = value.strip()
    if len(value) > EMAIL_MAX:
        raise InvalidInput([("email", f"size must be between 1 and {EMAIL_MAX}")])
    if not _control_free(value):
        raise InvalidInput([("email", "must be a well-formed email address")])
    try:
        # One normal form for every address (DESIGN §10; provisioning/domains.py).
        return email_checked(value)
    except EmailInvalid as exc:
        raise InvalidInput([("email", str(exc))]) from None


def email_param(value: str | None) -> str:
    """`?email=`: an unencoded `+` arrives as a space, and no address contains a space."""
    return email_value(value.strip().replace(" ", "+") if isinstance(value, str) else value)


def _person(fields: _Fields, data: dict) -> dict:
    return {
        "first_name": fields.text(
            data, "firstName", "firstName", required=True, max_length=NAME_MAX
        ),
        "last_name": fields.text(data, "lastName", "lastName", required=True, max_length=NAME_MAX),
        "company_name": fields.text(
            data, "companyName", "companyName", required=True, max_length=COMPANY_NAME_MAX
        ),
    }


def create_request(data: dict) -> UserInput:
    """POST /solutions/users."""
    email = email_value(data.get("email"))
    fields = _Fields()
    person = _person(fields, data)
    offices_given = isinstance(data.get("offices"), list) and data["offices"] != []
    country = fields.country(data, "countryCode", "countryCode", required=not offices_given)
    offices = fields.offices(data, required=False)
    # The top-level code fields are the older form of one office.
    if any(
        data.get(key) not in (None, "") for key in ("iataCode", "cassCode", "officeAirportCode")
    ):
        office_country = country or (offices[0].country if offices else "")
        top = fields.office(data, "", office_country)
        if top is not None and office_country:
            offices.insert(0, top)
    reference = data.get("partnerId")
    if reference is not None and (
        isinstance(reference, bool) or not isinstance(reference, str | int)
    ):
        fields.fail("partnerId", "must be a string")
    elif reference is not None:
        reference = str(reference).strip()
        if len(reference) > PARTNER_ID_MAX or not _control_free(reference):
            fields.fail("partnerId", f"size must be between 1 and {PARTNER_ID_MAX}")
    fields.raise_if_any()
    return UserInput(
        email=email,
        country=country,
        offices=tuple(offices),
        partner_reference=reference or "",
        **person,
    )


def add_offices_request(data: dict) -> tuple[str, tuple[OfficeInput, ...]]:
    """PUT /solutions/users: the names are checked like on create but not changed."""
    email = email_value(data.get("email"))
    fields = _Fields()
    _person(fields, data)
    offices = fields.offices(data, required=True)
    fields.raise_if_any()
    return email, tuple(offices)


def offices_request(data: dict) -> tuple[OfficeInput, ...]:
    """The `offices[]` of a request alone: the native surface's add-offices body."""
    fields = _Fields()
    offices = fields.offices(data, required=True)
    fields.raise_if_any()
    return tuple(offices)


def names_request(data: dict) -> tuple[str, str, str]:
    """`firstName`, `lastName` and `companyName` alone, checked as on create: a rename."""
    fields = _Fields()
    person = _person(fields, data)
    fields.raise_if_any()
    return person["first_name"], person["last_name"], person["company_name"]
