"""The airlines the platform ships with (DESIGN §3.2). Editable in the admin afterwards."""

from django.db import migrations

# (IATA, ICAO, AWB prefix, name, requires customer ID, accepts CASS, API booking)
AIRLINES = [
    ("AA", "AAL", "001", "American Airlines Cargo", True, True, True),
    ("AY", "FIN", "105", "Finnair Cargo", True, True, True),
    ("VS", "VIR", "932", "Virgin Atlantic Cargo", True, True, True),
    ("LH", "DLH", "020", "Lufthansa Cargo", True, True, True),
    ("SQ", "SIA", "618", "Singapore Airlines Cargo", True, True, True),
    ("QF", "QFA", "081", "Qantas Freight", True, True, True),
    ("WS", "WJA", "838", "WestJet Cargo", True, True, False),
    ("EK", "UAE", "176", "Emirates SkyCargo", False, True, True),
    ("QR", "QTR", "157", "Qatar Airways Cargo", False, True, True),
    ("CX", "CPA", "160", "Cathay Cargo", False, True, True),
    ("TK", "THY", "235", "Turkish Cargo", False, True, True),
    ("AF", "AFR", "057", "Air France Cargo", False, True, True),
    ("KL", "KLM", "074", "KLM Cargo", False, True, True),
    ("BA", "BAW", "125", "IAG Cargo (British Airways)", False, True, True),
    ("IB", "IBE", "075", "IAG Cargo (Iberia)", False, True, True),
    ("KE", "KAL", "180", "Korean Air Cargo", False, True, True),
    ("CI", "CAL", "297", "China Airlines Cargo", False, True, True),
    ("CV", "CLX", "172", "Cargolux", False, True, True),
    ("EY", "ETD", "607", "Etihad Cargo", False, True, True),
    ("NH", "ANA", "205", "ANA Cargo", False, True, True),
    ("DL", "DAL", "006", "Delta Cargo", False, True, True),
    ("UA", "UAL", "016", "United Cargo", False, True, True),
    ("AC", "ACA", "014", "Air Canada Cargo", False, True, True),
    ("5Y", "GTI", "369", "Atlas Air", False, True, False),
    ("FX", "FDX", "023", "FedEx Express", False, False, False),
    ("5X", "UPS", "406", "UPS Airlines", False, False, False),
]


def load(apps, schema_editor):
    Airline = apps.get_model("recognition", "Airline")
    for iata, icao, prefix, name, needs_id, cass, api in AIRLINES:
        Airline.objects.update_or_create(
            iata_code=iata,
            defaults={
                "icao_code": icao,
                "awb_prefix": prefix,
                "name": name,
                "requires_customer_id": needs_id,
                "accepts_cass": cass,
                "api_booking": api,
            },
        )


def unload(apps, schema_editor):
    Airline = apps.get_model("recognition", "Airline")
    Airline.objects.filter(iata_code__in=[row[0] for row in AIRLINES]).delete()


class Migration(migrations.Migration):
    dependencies = [("recognition", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
