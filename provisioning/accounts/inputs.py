"""The data a partner sends to create a user or add offices, already validated.

Both API surfaces parse their own wire format into these; the services take nothing else.
"""

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class OfficeInput:
    country: str  # ISO 3166-1 alpha-2, upper case
    airport_code: str = ""  # known IATA airport code, upper case, or ""
    iata_code: str = ""  # 7 digits or ""; given together with cass_code
    cass_code: str = ""  # 4 digits or ""

    @property
    def has_cass(self) -> bool:
        return bool(self.iata_code and self.cass_code)

    def as_dict(self) -> dict:
        return {
            "countryCode": self.country,
            "officeAirportCode": self.airport_code,
            "iataCode": self.iata_code,
            "cassCode": self.cass_code,
        }


@dataclass(frozen=True)
class UserInput:
    email: str  # lower case
    first_name: str
    last_name: str
    company_name: str
    country: str = ""  # the company's country; "" when only the offices say it
    offices: tuple[OfficeInput, ...] = ()
    partner_reference: str = ""  # the partner's own id for the user (compat `partnerId`)

    @property
    def has_cass(self) -> bool:
        return any(office.has_cass for office in self.offices)

    @property
    def company_country(self) -> str:
        return self.country or (self.offices[0].country if self.offices else "")

    @property
    def countries(self) -> list[str]:
        """The countries to align with: the request's country, else its offices' countries."""
        if self.country:
            return [self.country]
        return list(dict.fromkeys(office.country for office in self.offices))

    def as_request_data(self) -> dict:
        """The stored form (User.request_data), in the compat API's field names."""
        data = {
            "firstName": self.first_name,
            "lastName": self.last_name,
            "email": self.email,
            "companyName": self.company_name,
            "countryCode": self.country,
            "offices": [office.as_dict() for office in self.offices],
        }
        if self.partner_reference:
            data["partnerId"] = self.partner_reference
        return data

    @classmethod
    def from_request_data(cls, data: dict, *, email: str) -> "UserInput":
        """Back from the stored form, for re-running the matching on a stored request."""
        return cls(
            email=email,
            first_name=data.get("firstName", ""),
            last_name=data.get("lastName", ""),
            company_name=data.get("companyName", ""),
            country=data.get("countryCode", ""),
            offices=tuple(
                OfficeInput(
                    country=office.get("countryCode", ""),
                    airport_code=office.get("officeAirportCode", ""),
                    iata_code=office.get("iataCode", ""),
                    cass_code=office.get("cassCode", ""),
                )
                for office in data.get("offices", [])
                if isinstance(office, dict)
            ),
            partner_reference=data.get("partnerId", ""),
        )

    def with_offices(self, offices: tuple[OfficeInput, ...]) -> "UserInput":
        """This request with more offices (duplicates dropped)."""
        merged = tuple(dict.fromkeys(self.offices + offices))
        return replace(self, offices=merged)
