"""The demo's data: its partner and API key, its logins, a small CASS directory, a few
forwarder accounts in each status, and the names the generated queue is made of. Read by the
seed_demo command; the key and the logins are public and for a local run only."""

from provisioning.models import PendingReason, UserStatus

DEMO_PARTNER = "Demo Freight Software"
DEMO_API_KEY = "demo00000000.local-demo-key-never-use-in-production"
SUPPORT_EMAIL = "support@example.com"
SUPPORT_PASSWORD = "support-demo-password"  # noqa: S105 - printed for local use only
SUPPORT_GROUP = "Support"  # created by backoffice's migration 0002
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "admin-demo-password"  # noqa: S105 - printed for local use only
SECOND_PARTNER = "Atlas Forwarding Suite"
QUEUE_SIZE = 60  # generated pending accounts, so that the queue looks like a working day

# name, country, domains, offices: (country, airport, IATA agent code or ""), airlines that
# know the CASS registrations, company-wide customer IDs {airline: id}
COMPANIES = [
    (
        "ACME Cargo GmbH",
        "DE",
        ["acme-cargo.de", "acme-cargo.com"],
        [("DE", "HAM", "2347001"), ("DE", "FRA", "2347002"), ("US", "JFK", "0112345")],
        ["EK", "QR", "TK", "AF", "KL", "CX"],
        {"LH": "LH-ACME-4711"},
    ),
    (
        "Nordic Air Freight AB",
        "SE",
        ["nordicfreight.se"],
        [("SE", "ARN", "8234560")],
        ["EK", "KL", "AF"],
        {"AY": "AY-77031"},
    ),
    (
        "Pacific Forwarding Pte Ltd",
        "SG",
        ["pacfwd.com.sg"],
        [("SG", "SIN", "3956010")],
        ["CX", "EK", "QR"],
        {},
    ),
    (
        "Blue Sky Logistics Inc",
        "US",
        ["blueskylogistics.com"],
        [("US", "ORD", "0198765"), ("US", "LAX", "")],
        ["DL", "UA", "AC"],
        {"AA": "AA-55120"},
    ),
    (
        "Orange Freight BV",
        "NL",
        ["orangefreight.nl"],
        [("NL", "AMS", "3612345")],
        ["KL", "AF", "EK"],
        {},
    ),
]

COLOADER_COUNTRIES = ["DE", "US", "NL", "SG", "SE", "GB", "FR"]

# email, first, last, company (legal name or None), office airport, status, pending reason
USERS = [
    (
        "anna.schmidt@acme-cargo.de",
        "Anna",
        "Schmidt",
        "ACME Cargo GmbH",
        "HAM",
        UserStatus.ACTIVATED,
        "",
    ),
    (
        "bob.miller@blueskylogistics.com",
        "Bob",
        "Miller",
        "Blue Sky Logistics Inc",
        "ORD",
        UserStatus.ACTIVATED,
        "",
    ),
    (
        "claire.dubois@acme-cargo.com",
        "Claire",
        "Dubois",
        "ACME Cargo GmbH",
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_SUPPORT,
    ),
    (
        "dev.patel@swiftcargo.in",
        "Dev",
        "Patel",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_DETAILS,
    ),
    (
        "emma.jones@gmail.com",
        "Emma",
        "Jones",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.AWAITING_DETAILS,
    ),
    (
        "farid.haddad@gulfline-logistics.ae",
        "Farid",
        "Haddad",
        None,
        None,
        UserStatus.PENDING,
        PendingReason.DETAILS_SUBMITTED,
    ),
    (
        "greta.lind@nordicfreight.se",
        "Greta",
        "Lind",
        "Nordic Air Freight AB",
        None,
        UserStatus.DISABLED,
        "",
    ),
    (
        "hugo.stone@orangefreight.nl",
        "Hugo",
        "Stone",
        "Orange Freight BV",
        "AMS",
        UserStatus.DELETED,
        "",
    ),
]


def cass_address(iata_code: str, first_three: str = "000") -> str:
    """A CASS address whose last digit passes the check seen in public samples."""
    return first_three + str(int(iata_code + first_three) % 7)


FIRST_NAMES = ["Lena", "Omar", "Mei", "Jonas", "Priya", "Carlos", "Ines", "Tomas", "Yuki", "Ana"]
LAST_NAMES = [
    "Keller",
    "Nasser",
    "Wong",
    "Berg",
    "Rao",
    "Silva",
    "Moreau",
    "Novak",
    "Sato",
    "Lopez",
]
# company, country, airport
QUEUE_COMPANIES = [
    ("Acme Cargo Hamburg", "DE", "HAM"),
    ("Rheinfracht Logistik GmbH", "DE", "FRA"),
    ("Nordic Air Freight Oy", "FI", "HEL"),
    ("Pacific Forwarding Ltd", "HK", "HKG"),
    ("Blue Sky Cargo Partners", "US", "ATL"),
    ("Andes Carga SA", "CL", "SCL"),
    ("Orange Freight Antwerp", "BE", "ANR"),
    ("Sahara Logistics", "MA", "CMN"),
    ("Kiwi Air Cargo", "NZ", "AKL"),
    ("Bosphorus Forwarding", "TR", "IST"),
]
