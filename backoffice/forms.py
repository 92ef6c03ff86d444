"""Forms of the account actions' confirmation pages. They validate input only; the services
decide whether the transition is allowed."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_countries import countries

from backoffice.models import ContactChannel
from backoffice.selectors.account import Suggestion
from backoffice.selectors.activation import account_country
from provisioning.accounts.domains import email_domain, is_free_mail
from provisioning.accounts.inputs import OfficeInput
from provisioning.accounts.transitions import CompanyDraft
from recognition.validators import (
    airport_country,
    validate_cass_code,
    validate_iata_agent_code,
)

NEW = "new"
COUNTRY_CHOICES = [("", "—"), *countries]


class NoteOnlyForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; kept in the account's history.",
    )


class EmptyForm(forms.Form):
    pass


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Sent to the user in the rejection email and kept in the history. "
        "Write it for the forwarder.",
    )


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that the email address, names and the personal parts of the "
        "request are erased for good.",
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Only support sees this."}),
    )


class ContactedForm(forms.Form):
    contacted_on = forms.DateField(
        label="Contacted on", widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(choices=ContactChannel.choices, initial=ContactChannel.PHONE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacted_on"].initial = timezone.localdate()

    def clean_contacted_on(self):
        value = self.cleaned_data["contacted_on"]
        if value > timezone.localdate():
            raise ValidationError("The contact cannot be in the future.")
        return value


class ActivateForm(forms.Form):
    """Activation of one account: confirm or choose its company (or create it), then its
    offices (or create one)."""

    company = forms.ChoiceField(widget=forms.RadioSelect, label="Company")
    new_company_name = forms.CharField(label="Legal name", max_length=200, required=False)
    new_company_country = forms.ChoiceField(
        label="Country", choices=COUNTRY_CHOICES, required=False
    )
    new_company_domain = forms.CharField(
        label="Email domain",
        max_length=253,
        required=False,
        help_text="Accounts with this domain are matched to the company from now on.",
    )
    offices = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Offices"
    )
    new_office_country = forms.ChoiceField(label="Country", choices=COUNTRY_CHOICES, required=False)
    new_office_airport = forms.CharField(label="Airport (IATA)", max_length=3, required=False)
    new_office_iata = forms.CharField(label="IATA agent code", max_length=7, required=False)
    new_office_cass = forms.CharField(label="CASS address", max_length=4, required=False)
    create_office = forms.BooleanField(label="Create this office", required=False)
    note = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional; kept in the account's history.",
    )

    def __init__(self, *args, account, suggestions: list[Suggestion], **kwargs):
        self.account = account
        self.suggestions = suggestions
        self.companies = {s.company.pk: s.company for s in suggestions}
        self.all_offices = {o.pk: o for s in suggestions for o in s.offices}
        super().__init__(*args, **kwargs)
        self.fields["company"].choices = [
            (str(s.company.pk), s.company.legal_name) for s in suggestions
        ] + [(NEW, "A new company")]
        self.fields["offices"].choices = [
            (pk, f"{o.company.legal_name} — {o.city} ({o.airport_code})")
            for pk, o in self.all_offices.items()
        ]
        self._set_initial()

    def preselected(self) -> Suggestion | None:
        """The company the form may choose for the agent (DESIGN §7): the account's own, or
        the single company that owns its domain or its CASS registration. A look-alike name
        or a shared IATA agent code is offered, never pre-chosen."""
        current = [s for s in self.suggestions if s.is_current]
        if current:
            return current[0]
        strong = [s for s in self.suggestions if s.is_strong]
        return strong[0] if len(strong) == 1 else None

    def _set_initial(self):
        account, data = self.account, self.account.request_data
        chosen = self.preselected()
        if chosen is not None:
            self.fields["company"].initial = str(chosen.company.pk)
        elif not self.suggestions:
            self.fields["company"].initial = NEW
        # The account's own offices, else the pre-chosen company's offices at an airport the
        # request names; never a guess the agent could confirm by reflex.
        current = {o.pk for o in account.offices.all()} if account.pk else set()
        requested = {o.get("officeAirportCode") for o in data.get("offices") or []}
        self.fields["offices"].initial = [
            o.pk for o in (chosen.offices if chosen else []) if o.pk in current
        ] or [o.pk for o in (chosen.offices if chosen else []) if o.airport_code in requested]
        domain = email_domain(account.email)
        self.fields["new_company_name"].initial = data.get("companyName", "")
        self.fields["new_company_country"].initial = account_country(account)
        self.fields["new_company_domain"].initial = "" if is_free_mail(domain) else domain
        offices = data.get("offices") or []
        office = offices[0] if offices else {}
        self.fields["new_office_country"].initial = office.get("countryCode") or account_country(
            account
        )
        self.fields["new_office_airport"].initial = office.get("officeAirportCode", "")
        self.fields["new_office_iata"].initial = office.get("iataCode", "")
        self.fields["new_office_cass"].initial = office.get("cassCode", "")
        self.fields["create_office"].initial = not self.fields["offices"].initial and (
            chosen is not None or not self.suggestions
        )

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("company")
        if choice == NEW:
            name = (cleaned.get("new_company_name") or "").strip()
            country = cleaned.get("new_company_country") or ""
            if not name or not country:
                raise ValidationError("A new company needs a legal name and a country.")
            cleaned["company_obj"] = None
            cleaned["new_company"] = CompanyDraft(
                legal_name=name,
                country=country,
                domain=(cleaned.get("new_company_domain") or "").strip().lower(),
            )
            if cleaned.get("offices"):
                raise ValidationError("Offices of other companies cannot go to a new company.")
        elif choice:
            cleaned["company_obj"] = self.companies[int(choice)]
            cleaned["new_company"] = None
        chosen = [self.all_offices[pk] for pk in cleaned.get("offices") or []]
        company = cleaned.get("company_obj")
        if company is not None and any(o.company_id != company.pk for o in chosen):
            raise ValidationError(f"Choose offices of {company.legal_name} only.")
        cleaned["office_objs"] = chosen
        cleaned["new_office"] = self._new_office(cleaned)
        if not chosen and cleaned["new_office"] is None:
            raise ValidationError("Choose at least one office, or fill in a new one.")
        return cleaned

    def _new_office(self, cleaned) -> OfficeInput | None:
        airport = (cleaned.get("new_office_airport") or "").strip().upper()
        country = cleaned.get("new_office_country") or ""
        iata = (cleaned.get("new_office_iata") or "").strip()
        cass = (cleaned.get("new_office_cass") or "").strip()
        # The prefilled request values count only when support ticks "create this office".
        if not cleaned.get("create_office"):
            return None
        if not airport or not country:
            raise ValidationError("A new office needs a country and an airport.")
        if airport_country(airport) != country:
            raise ValidationError(f"{airport} is not an airport in {country}.")
        if bool(iata) != bool(cass):
            raise ValidationError("Give both the IATA agent code and the CASS address, or none.")
        if iata:
            validate_iata_agent_code(iata)
            validate_cass_code(cass)
        return OfficeInput(country=country, airport_code=airport, iata_code=iata, cass_code=cass)
