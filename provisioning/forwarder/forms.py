"""Forms of the forwarder pages: the completion form (company, offices, customer IDs) and the
ask for a fresh link. They validate and normalise; the services do the rest."""

from functools import cache

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django_countries import countries

from provisioning.accounts.inputs import OfficeInput
from provisioning.forwarder.completion import CompanyDetails
from recognition.models import Airline
from recognition.validators import airports, validate_cass_code, validate_iata_agent_code

MAX_OFFICES = 20


def _country_choices():
    return [("", "Choose a country"), *countries]


_PHONE_FALLBACK_REGION = "DE"


def phone_example(region: str | None) -> str:
    """A phone number of the country as people write it with its country code, e.g.
    "+91 74104 10123" for India (libphonenumber's example numbers)."""
    number = phonenumbers.example_number(region or _PHONE_FALLBACK_REGION)
    if number is None:
        number = phonenumbers.example_number(_PHONE_FALLBACK_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_help(region: str | None) -> str:
    return (
        f"With the country code, e.g. {phone_example(region)} (a number without it is read "
        "in the company's country)."
    )


@cache
def phone_examples() -> dict[str, str]:
    """The example per country, for the form's script to follow the chosen country."""
    return {
        code: phone_example(code) for code, _name in countries if phonenumbers.example_number(code)
    }


class CompanyForm(forms.Form):
    legal_name = forms.CharField(
        label="Company legal name",
        max_length=200,
        help_text="As registered, e.g. “ACME Cargo GmbH”.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    address = forms.CharField(
        label="Address",
        max_length=500,
        help_text="Street, postcode and city of the head office.",
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    country = forms.ChoiceField(
        label="Country",
        choices=_country_choices,
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    website = forms.URLField(
        label="Website",
        required=False,
        max_length=200,
        assume_scheme="https",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "url"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The hint shows a number of the company's country: the one typed, else the known one.
        region = (self.data.get("country") if self.is_bound else None) or self.initial.get(
            "country"
        )
        self.region = region if region in countries else None
        self.fields["phone"].help_text = phone_help(self.region)

    def clean(self):
        cleaned = super().clean()
        raw = cleaned.get("phone")
        if raw:
            region = cleaned.get("country") or None
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                number = None
            if number is None or not phonenumbers.is_valid_number(number):
                self.add_error(
                    "phone",
                    ValidationError(
                        "Enter a valid phone number with its country code, e.g. "
                        f"{phone_example(region)}.",
                        code="invalid_phone",
                    ),
                )
            else:
                cleaned["phone"] = phonenumbers.format_number(
                    number, phonenumbers.PhoneNumberFormat.E164
                )
        return cleaned


class OfficeForm(forms.Form):
    country = forms.ChoiceField(label="Country", choices=_country_choices)
    airport_code = forms.CharField(
        label="Airport",
        max_length=3,
        help_text="IATA code of the airport the office ships from, e.g. HAM.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "size": 4}),
    )
    iata_code = forms.CharField(
        label="IATA agent code",
        required=False,
        max_length=7,
        help_text="Optional, 7 digits.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
    )
    cass_code = forms.CharField(
        label="CASS address",
        required=False,
        max_length=4,
        help_text="Optional, 4 digits.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
    )

    def clean_airport_code(self):
        code = self.cleaned_data["airport_code"].strip().upper()
        if code not in airports():
            raise ValidationError(f"{code} is not a known IATA airport code.", code="unknown")
        return code

    def clean_iata_code(self):
        code = self.cleaned_data["iata_code"].strip()
        if code:
            validate_iata_agent_code(code)
        return code

    def clean_cass_code(self):
        code = self.cleaned_data["cass_code"].strip()
        if code:
            validate_cass_code(code)
        return code

    def clean(self):
        cleaned = super().clean()
        country, airport = cleaned.get("country"), cleaned.get("airport_code")
        if country and airport and airports()[airport]["country"] != country:
            self.add_error(
                "airport_code",
                ValidationError(
                    f"{airport} is not in {countries.name(country)}.", code="wrong_country"
                ),
            )
        iata, cass = cleaned.get("iata_code"), cleaned.get("cass_code")
        if "iata_code" in cleaned and "cass_code" in cleaned and bool(iata) != bool(cass):
            missing = "cass_code" if iata else "iata_code"
            self.add_error(
                missing,
                ValidationError(
                    "The IATA agent code and the CASS address go together: give both or neither.",
                    code="cass_pair",
                ),
            )
        return cleaned

    def as_input(self) -> OfficeInput:
        data = self.cleaned_data
        return OfficeInput(
            country=data["country"],
            airport_code=data["airport_code"],
            iata_code=data["iata_code"],
            cass_code=data["cass_code"],
        )


class BaseOfficeFormSet(BaseFormSet):
    def initial_form_count(self):
        # Every row past the first may be left empty and is then ignored, also the rows that
        # were re-rendered from what the forwarder typed (see office_formset).
        return 0

    def clean(self):
        if any(self.errors):
            return
        if not self.offices():
            raise ValidationError("Give at least one office.", code="no_office")

    def offices(self) -> tuple[OfficeInput, ...]:
        filled = [form.as_input() for form in self.forms if form.cleaned_data]
        return tuple(dict.fromkeys(filled))  # the same office twice counts once


def office_formset(*, data=None, rows: list[dict] | None = None, add_row: bool = False):
    """The offices formset; `rows` pre-fills it (unbound), add_row appends an empty row."""
    rows = list(rows or [])
    count = max(len(rows), 1) + (1 if add_row else 0)
    formset_class = formset_factory(
        OfficeForm,
        formset=BaseOfficeFormSet,
        extra=count - 1,
        min_num=1,
        max_num=MAX_OFFICES,
        absolute_max=MAX_OFFICES,
        validate_max=True,
    )
    return formset_class(data=data, initial=rows or None, prefix="offices")


def customer_id_airlines() -> list[Airline]:
    """Active airlines, the ones that need a customer ID first."""
    return list(Airline.objects.filter(is_active=True).order_by("-requires_customer_id", "name"))


class CustomerIdsForm(forms.Form):
    """One optional field per airline, named by its IATA code."""

    def __init__(self, *args, airlines: list[Airline], **kwargs):
        super().__init__(*args, prefix="cid", **kwargs)
        self.airlines = airlines
        for airline in airlines:
            self.fields[airline.iata_code] = forms.CharField(
                label=f"{airline.name} ({airline.iata_code})",
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def required_fields(self):
        return [self[a.iata_code] for a in self.airlines if a.requires_customer_id]

    def other_fields(self):
        return [self[a.iata_code] for a in self.airlines if not a.requires_customer_id]

    def customer_ids(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (code, value) for code, value in self.cleaned_data.items() if value and value.strip()
        )


def raw_rows(data, prefix: str = "offices") -> list[dict]:
    """What the forwarder typed into the office rows, for re-rendering them unbound."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 1)), MAX_OFFICES)
    except ValueError:
        total = 1
    fields = ("country", "airport_code", "iata_code", "cass_code")
    rows = [{f: data.get(f"{prefix}-{i}-{f}", "") for f in fields} for i in range(total)]
    return [row for row in rows if any(row.values())]


def company_details(
    company: CompanyForm, offices: BaseOfficeFormSet, customer_ids: CustomerIdsForm
) -> CompanyDetails:
    data = company.cleaned_data
    return CompanyDetails(
        legal_name=data["legal_name"].strip(),
        address=data["address"].strip(),
        country=data["country"],
        phone=data["phone"],
        website=data["website"],
        offices=offices.offices(),
        customer_ids=customer_ids.customer_ids(),
    )


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
