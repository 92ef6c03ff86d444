import factory

from recognition.models import (
    Airline,
    AirlineCassConfiguration,
    AirlineCustomerId,
    CassRegistration,
    ColoaderCoverage,
)

_CODE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def airline(code: str) -> Airline:
    """One of the reference airlines the data migration ships."""
    return Airline.objects.get(iata_code=code)


class AirlineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Airline

    # Codes and prefixes outside the shipped reference data.
    iata_code = factory.Sequence(lambda n: "Z" + _CODE_CHARS[n % len(_CODE_CHARS)])
    icao_code = factory.Sequence(lambda n: "ZZ" + chr(65 + n % 26))
    awb_prefix = factory.Sequence(lambda n: f"{950 + n % 50}")
    name = factory.Sequence(lambda n: f"Test Air Cargo {n}")


class CassRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CassRegistration

    office = factory.SubFactory("provisioning.tests.factories.OfficeFactory")
    company = factory.SelfAttribute("office.company")
    country = factory.SelfAttribute("office.country")
    iata_code = factory.Sequence(lambda n: f"{2300000 + n:07d}")
    cass_code = "0001"


class AirlineCassConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AirlineCassConfiguration

    registration = factory.SubFactory(CassRegistrationFactory)


class AirlineCustomerIdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AirlineCustomerId

    customer_id = factory.Sequence(lambda n: f"CID-{n}")


class ColoaderCoverageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColoaderCoverage

    origin_country = "DE"
