"""Reading the CASS directory CSV into checked plain values (format in docs/recognition.md).

A row is checked here against nothing but the airlines and the country codes, read once per
import, so that it is refused with every problem it has and before any query of its batch;
a batch is then given only rows whose values are well formed.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from django.core.exceptions import ValidationError
from django_countries import countries

from provisioning.accounts.domains import domain_normal_form, validate_company_domain
from provisioning.models import Company
from recognition.models import Airline
from recognition.validators import airport_country, validate_cass_code, validate_iata_agent_code

COLUMNS = (
    "company",
    "domains",
    "country",
    "office_airport",
    "iata_code",
    "cass_address",
    "active",
    "airlines",
)
# Header spellings accepted besides the canonical ones above.
_ALIASES = {
    "cass_code": "cass_address",
    "airport": "office_airport",
    "airlines_configured": "airlines",
}
_TRUE = {"", "1", "y", "yes", "true", "active"}
_FALSE = {"0", "n", "no", "false", "inactive"}
_LIST_SEPARATORS = re.compile(r"[\s;,]+")
_COMPANY_NAME_MAX = Company._meta.get_field("legal_name").max_length


class CassImportError(Exception):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Row:
    company: str
    domains: tuple[str, ...]
    country: str
    airport: str
    iata_code: str
    cass_code: str
    is_active: bool
    airlines: tuple[str, ...]


class RowRefused(Exception):
    pass


def _header_name(raw: str) -> str:
    name = re.sub(r"[\s-]+", "_", (raw or "").strip().lower())
    return _ALIASES.get(name, name)


def _split(value: str) -> list[str]:
    return [part for part in _LIST_SEPARATORS.split(value or "") if part]


def row_parse(
    raw: dict[str, str], *, airlines: dict[str, Airline], country_codes: frozenset[str]
) -> Row:
    """The row's values, checked; RowRefused naming every problem otherwise.

    country_codes: the codes of `countries`, read once per import (a lookup in `countries`
    itself goes through the active translation, and costs more than the rest of the row)."""
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    problems = []

    def check(validator, value, column):
        try:
            validator(value)
        except ValidationError as error:
            problems.append(f"{column}: {' '.join(error.messages)}")

    company = values["company"]
    if not company:
        problems.append("company: cannot be blank.")
    elif len(company) > _COMPANY_NAME_MAX:
        problems.append(f"company: at most {_COMPANY_NAME_MAX} characters.")
    domains = tuple(dict.fromkeys(domain_normal_form(d) for d in _split(values["domains"])))
    for domain in domains:
        check(validate_company_domain, domain, "domains")
    country = values["country"].upper()
    if country not in country_codes:
        problems.append(f"country: {values['country'] or '(blank)'} is not an ISO country code.")
    airport = values["office_airport"].upper()
    airport_in = airport_country(airport)
    if airport_in is None:
        problems.append(f"office_airport: {airport or '(blank)'} is not a known IATA airport.")
    elif country in country_codes and airport_in != country:
        problems.append(f"office_airport: {airport} is not in {countries.name(country)}.")
    check(validate_iata_agent_code, values["iata_code"], "iata_code")
    check(validate_cass_code, values["cass_address"], "cass_address")
    active = values["active"].lower()
    if active not in _TRUE | _FALSE:
        problems.append(f"active: {values['active']} is not yes/no.")
    codes = tuple(dict.fromkeys(code.upper() for code in _split(values["airlines"])))
    unknown = [code for code in codes if code not in airlines]
    if unknown:
        problems.append(f"airlines: unknown airline code(s) {', '.join(unknown)}.")
    if problems:
        raise RowRefused(" ".join(problems))
    return Row(
        company=company,
        domains=domains,
        country=country,
        airport=airport,
        iata_code=values["iata_code"],
        cass_code=values["cass_address"],
        is_active=active in _TRUE,
        airlines=codes,
    )


def rows_reader(file: TextIO) -> csv.DictReader:
    reader = csv.DictReader(file)
    if not reader.fieldnames:
        raise CassImportError("The file is empty: a header row is expected.")
    reader.fieldnames = [_header_name(name) for name in reader.fieldnames]
    missing = [name for name in COLUMNS if name not in reader.fieldnames]
    if missing:
        raise CassImportError(
            f"Missing column(s): {', '.join(missing)}. Expected: {', '.join(COLUMNS)}."
        )
    return reader


def raw_batches(reader: csv.DictReader, size: int) -> Iterable[list[tuple[int, dict]]]:
    batch = []
    for raw in reader:
        if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
            continue  # a blank line
        batch.append((reader.line_num, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
