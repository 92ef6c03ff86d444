"""Validators for the codes of the air-cargo world.

Each raises ValidationError with a message that names what is wrong, so that forms, the admin
and the APIs can show it next to the field.
"""

import re
from functools import cache

import airportsdata
from django.core.exceptions import ValidationError

_IATA_AGENT_CODE = re.compile(r"\d{7}")
_CASS_CODE = re.compile(r"\d{4}")
_AWB_PREFIX = re.compile(r"\d{3}")
_AIRLINE_CODE = re.compile(r"[A-Z0-9]{2}")
_ICAO_AIRLINE_CODE = re.compile(r"[A-Z]{3}")


def validate_iata_agent_code(value: str) -> None:
    if not _IATA_AGENT_CODE.fullmatch(value or ""):
        raise ValidationError(
            "IATA cargo agent code must be exactly 7 digits.", code="invalid_iata_code"
        )


def validate_cass_code(value: str) -> None:
    if not _CASS_CODE.fullmatch(value or ""):
        raise ValidationError("CASS address must be exactly 4 digits.", code="invalid_cass_code")


def validate_awb_prefix(value: str) -> None:
    if not _AWB_PREFIX.fullmatch(value or ""):
        raise ValidationError("AWB prefix must be exactly 3 digits.", code="invalid_awb_prefix")


def validate_airline_code(value: str) -> None:
    if not _AIRLINE_CODE.fullmatch(value or ""):
        raise ValidationError(
            "Airline code must be 2 upper-case letters or digits.", code="invalid_airline_code"
        )


def validate_icao_airline_code(value: str) -> None:
    if not _ICAO_AIRLINE_CODE.fullmatch(value or ""):
        raise ValidationError(
            "ICAO airline code must be 3 upper-case letters.", code="invalid_icao_code"
        )


@cache
def airports() -> dict[str, dict]:
    """The shipped IATA airport dataset, keyed by 3-letter code."""
    return airportsdata.load("IATA")


def airport_country(code: str) -> str | None:
    """ISO country of an airport, or None for an unknown code."""
    airport = airports().get(code or "")
    return airport["country"] if airport else None


def validate_airport_code(value: str) -> None:
    if value not in airports():
        raise ValidationError(
            "%(value)s is not a known IATA airport code.",
            code="unknown_airport",
            params={"value": value},
        )


def cass_check_digit_ok(iata_code: str, cass_code: str) -> bool:
    """Whether the CASS address's last digit matches the check digit seen in public samples:
    (7-digit agent code followed by the first three CASS digits) mod 7.

    No rule book confirms it, so a failure is only ever a warning for support.
    """
    if not (_IATA_AGENT_CODE.fullmatch(iata_code or "") and _CASS_CODE.fullmatch(cass_code or "")):
        return False
    return int(iata_code + cass_code[:3]) % 7 == int(cass_code[3])
