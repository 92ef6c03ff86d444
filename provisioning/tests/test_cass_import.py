import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from provisioning.audit.records import Actor
from provisioning.cass import batches
from provisioning.cass.importer import cass_directory_import
from provisioning.models import AuditEvent, Company, CompanyDomain, Office
from provisioning.tests.factories import CompanyDomainFactory, CompanyFactory
from recognition.models import AirlineCassConfiguration, CassRegistration

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "cass-directory.csv"
HEADER = "company,domains,country,office_airport,iata_code,cass_address,active,airlines\n"
GOOD_AND_BAD = HEADER + (
    "ACME Cargo GmbH,acme-cargo.de;acme-cargo.com,DE,HAM,2347001,0001,yes,EK QR\n"  # line 2
    "ACME Cargo GmbH,acme-cargo.de,DE,FRA,2347002,0000,yes,EK\n"  # line 3
    ",acme.example,DE,HAM,2347003,0000,yes,EK\n"  # line 4: no company
    "Bad Codes Ltd,bad.example,GB,LHR,12345,00001,maybe,EK ZZ\n"  # line 5: everything wrong
    "Wrong Place SA,wrong.example,FR,HAM,2347004,0000,yes,\n"  # line 6: HAM is not in France
    "Free Mail Ltd,gmail.com,GB,LHR,2347005,0000,yes,\n"  # line 7: free-mail domain
    "ACME Again,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n"  # line 8: key already on line 2
    "Orange Freight BV,orangefreight.nl,NL,AMS,3612345,0016,no,KL;AF\n"  # line 9
)


def run(text: str, **kwargs):
    return cass_directory_import(file=io.StringIO(text), actor=Actor.system(), **kwargs)


def configured(iata_code: str) -> set[str]:
    return set(
        AirlineCassConfiguration.objects.filter(registration__iata_code=iata_code).values_list(
            "airline__iata_code", flat=True
        )
    )


def test_good_rows_import_and_bad_rows_are_reported_by_line():
    report = run(GOOD_AND_BAD)

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [problem.line for problem in report.errors] == [4, 5, 6, 7, 8]
    messages = {problem.line: problem.message for problem in report.errors}
    assert messages[4] == "company: cannot be blank."
    assert messages[5] == (
        "iata_code: IATA cargo agent code must be exactly 7 digits. "
        "cass_address: CASS address must be exactly 4 digits. active: maybe is not yes/no. "
        "airlines: unknown airline code(s) ZZ."
    )
    assert messages[6] == "office_airport: HAM is not in France."
    assert "free-mail domain" in messages[7]
    assert messages[8] == "2347001/0001 is already on line 2."
    acme = Company.objects.get(legal_name="ACME Cargo GmbH")
    assert set(acme.domains.values_list("domain", flat=True)) == {
        "acme-cargo.de",
        "acme-cargo.com",
    }
    hamburg = CassRegistration.objects.get(iata_code="2347001")
    assert (hamburg.company, hamburg.office.airport_code, hamburg.office.cass_code) == (
        acme,
        "HAM",
        "0001",
    )
    assert configured("2347001") == {"EK", "QR"}
    assert CassRegistration.objects.get(iata_code="3612345").is_active is False
    assert Company.objects.count() == 2


def test_a_re_import_updates_and_never_duplicates():
    run(GOOD_AND_BAD)
    counts = (Company.objects.count(), Office.objects.count(), CassRegistration.objects.count())

    again = run(GOOD_AND_BAD)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts == (
        Company.objects.count(),
        Office.objects.count(),
        CassRegistration.objects.count(),
    )

    changed = run(
        HEADER
        + "ACME Cargo GmbH,acme-cargo.de;acme-logistics.de,DE,HAM,2347001,0001,no,EK TK\n"
        + "Orange Freight BV,orangefreight.nl,NL,RTM,3612345,0016,yes,KL;AF\n"
    )

    assert (changed.created, changed.updated, changed.unchanged, changed.errors) == (0, 2, 0, [])
    hamburg = CassRegistration.objects.get(iata_code="2347001")
    assert hamburg.is_active is False
    assert configured("2347001") == {"EK", "TK"}
    assert CompanyDomain.objects.get(domain="acme-logistics.de").company == hamburg.company
    orange = CassRegistration.objects.get(iata_code="3612345")
    assert (orange.is_active, orange.office.airport_code) == (True, "RTM")
    assert counts[1:] == (Office.objects.count(), CassRegistration.objects.count())


def test_a_row_joins_the_company_that_owns_its_domain():
    owner = CompanyDomainFactory(domain="acme-cargo.de", company__legal_name="ACME (old name)")

    run(HEADER + "ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n")

    assert CassRegistration.objects.get().company == owner.company
    assert Company.objects.count() == 1


def test_a_domain_is_never_moved_to_another_company():
    CompanyDomainFactory(domain="acme-cargo.de", company__legal_name="ACME Cargo GmbH")
    CompanyDomainFactory(domain="other.example", company__legal_name="Other GmbH")

    report = run(HEADER + "ACME Cargo GmbH,acme-cargo.de other.example,DE,HAM,2347001,0001,yes,\n")

    assert report.errors[0].message.startswith("domains: they belong to different companies")
    assert not CassRegistration.objects.exists()


def test_an_existing_office_without_codes_is_given_the_registration():
    company = CompanyFactory(legal_name="ACME Cargo GmbH", country="DE")
    office = Office.objects.create(company=company, country="DE", airport_code="HAM")

    run(HEADER + "ACME Cargo GmbH,,DE,HAM,2347001,0001,yes,EK\n")

    office.refresh_from_db()
    assert (office.iata_code, office.cass_code) == ("2347001", "0001")
    assert CassRegistration.objects.get().office == office


def test_a_failed_check_digit_is_a_warning_not_a_refusal():
    report = run(HEADER + "ACME Cargo GmbH,,DE,HAM,2347001,0002,yes,\n")

    assert report.created == 1
    assert report.warnings[0].line == 2
    assert "check digit" in report.warnings[0].message


def test_a_dry_run_reports_without_writing():
    report = run(GOOD_AND_BAD, dry_run=True)

    assert (report.created, len(report.errors)) == (3, 5)
    assert report.summary.startswith("3 registration(s) would be created")
    assert not Company.objects.exists()
    assert not CassRegistration.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_real_import_is_audited():
    run(GOOD_AND_BAD)

    event = AuditEvent.objects.get(action="cass_directory.imported")
    assert event.changes == {"created": 3, "updated": 0, "unchanged": 0, "refused": 5}


def test_header_spellings_are_forgiving_but_columns_are_required():
    report = run(
        "Company,Domains,Country,Office Airport,IATA code,CASS code,Active,Airlines configured\n"
        "ACME Cargo GmbH,,DE,HAM,2347001,0001,,EK\n"
    )
    assert report.created == 1

    with pytest.raises(Exception, match="Missing column"):
        run("company,country\nACME,DE\n")


def test_the_command_imports_the_documented_sample(capsys):
    call_command("import_cass", str(SAMPLE), "--dry-run")
    assert not CassRegistration.objects.exists()
    assert "Dry run, nothing written: 6 registration(s) would be created" in capsys.readouterr().out

    call_command("import_cass", str(SAMPLE))

    assert CassRegistration.objects.count() == 6
    assert "0 registration(s) were created, 0 updated, 6 unchanged" in (
        call_command("import_cass", str(SAMPLE)) or capsys.readouterr().out
    )


def test_the_command_reports_refused_rows_on_stderr(tmp_path, capsys):
    path = tmp_path / "directory.csv"
    path.write_text(GOOD_AND_BAD)

    call_command("import_cass", str(path))

    err = capsys.readouterr().err
    assert "Refused line 4: company: cannot be blank." in err


def test_the_command_refuses_an_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_cass", str(tmp_path / "missing.csv"))
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_cass", str(path))


# --- In batches ----------------------------------------------------------------------------


def directory(rows: int, *, first: int = 0) -> str:
    """rows new registrations: companies of up to three offices, two airlines each."""
    lines = []
    for n in range(first, first + rows):
        company = n // 3
        lines.append(
            f"Forwarder {company} Ltd,forwarder-{company}.com,DE,{('HAM', 'FRA', 'MUC')[n % 3]},"
            f"{5_000_000 + n:07d},0001,yes,EK QR\n"
        )
    return HEADER + "".join(lines)


def queries_of(text: str, **kwargs) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run(text, **kwargs)
    return len(captured)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 2000])
def test_batches_of_any_size_import_a_file_alike(batch_size):
    report = run(GOOD_AND_BAD, batch_size=batch_size)

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert [problem.line for problem in report.errors] == [4, 5, 6, 7, 8]
    assert Company.objects.count() == 2
    assert set(Company.objects.get(legal_name="ACME Cargo GmbH").domains.values_list(
        "domain", flat=True
    )) == {"acme-cargo.de", "acme-cargo.com"}  # fmt: skip


def test_a_row_sees_the_company_an_earlier_batch_created():
    text = HEADER + (
        "New Forwarder GmbH,,DE,HAM,2347001,0001,yes,EK\n"
        "NEW FORWARDER GMBH,new-forwarder.de,DE,FRA,2347002,0000,yes,EK\n"
        "Other Name,new-forwarder.de,DE,MUC,2347003,0000,yes,EK\n"
    )

    report = run(text, batch_size=1)

    assert (report.created, report.errors) == (3, [])
    company = Company.objects.get()
    assert company.legal_name == "New Forwarder GmbH"
    assert company.offices.count() == 3


def test_the_queries_of_an_import_grow_with_its_batches_not_with_its_rows():
    """A batch costs the same few queries whether it holds 50 rows or 500."""
    fifty = queries_of(directory(50), batch_size=500)
    five_hundred = queries_of(directory(500, first=1000), batch_size=500)
    ten_batches = queries_of(directory(500, first=2000), batch_size=50)

    assert fifty <= 20
    # SQLite limits a statement to 999 parameters, so its 500-row inserts take a few
    # statements each; PostgreSQL writes each table in one.
    assert five_hundred <= fifty + 12
    assert ten_batches <= 10 * fifty


def test_an_unchanged_re_import_only_reads():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    text = directory(120)
    run(text, batch_size=50)

    with CaptureQueriesContext(connection) as captured:
        again = run(text, batch_size=50)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 120)
    writes = [
        query["sql"]
        for query in captured
        if query["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
    ]
    # The one write is the run's audit row.
    assert len(writes) == 1 and "provisioning_auditevent" in writes[0]


def test_progress_is_reported_after_each_batch_with_the_errors_so_far():
    calls = []

    report = run(
        GOOD_AND_BAD,
        batch_size=3,
        progress=lambda report, rows_done: calls.append((rows_done, len(report.errors))),
    )

    assert calls == [(3, 1), (6, 4), (8, 5)]
    assert report.created == 3


def test_a_row_the_database_refuses_is_reported_on_its_line_and_the_batch_still_imports(
    monkeypatch,
):
    real_write = batches._batch_write

    def refuse_one_domain(writes):
        if any(domain == "refused.example.com" for domain, _ in writes.domains):
            raise IntegrityError("duplicate key value violates unique constraint")
        real_write(writes)

    monkeypatch.setattr(batches, "_batch_write", refuse_one_domain)

    report = run(
        HEADER
        + "ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n"
        + "Refused Ltd,refused.example.com,GB,LHR,2347002,0000,yes,EK\n"
        + "Orange Freight BV,orangefreight.nl,NL,AMS,3612345,0016,no,KL\n"
    )

    assert report.created == 2
    assert [(p.line, p.message) for p in report.errors] == [
        (3, "not stored: duplicate key value violates unique constraint")
    ]
    assert set(CassRegistration.objects.values_list("iata_code", flat=True)) == {
        "2347001",
        "3612345",
    }


def test_the_name_lookup_uses_the_lower_case_index_expression():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run(HEADER + "ACME Cargo GmbH,,DE,HAM,2347001,0001,yes,EK\n")

    lookups = [q["sql"] for q in captured if 'FROM "provisioning_company"' in q["sql"]]
    assert lookups and all("LOWER(" in sql and "UPPER(" not in sql for sql in lookups)


def test_a_registration_support_moved_to_another_companys_office_keeps_it():
    run(HEADER + "ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n")
    other = CompanyFactory(legal_name="ACME Hamburg Logistik", country="DE")
    office = Office.objects.create(
        company=other, country="DE", airport_code="HAM", iata_code="2347001", cass_code="0001"
    )
    CassRegistration.objects.update(office=office)

    again = run(HEADER + "ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n")

    assert (again.unchanged, again.errors) == (1, [])
    assert CassRegistration.objects.get().office == office
