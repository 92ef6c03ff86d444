import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from provisioning.models import CassImport, CassImportStatus, User, UserStatus
from provisioning.tasks import cass_imports_sweep
from recognition.models import CassRegistration
from recognition.tests.factories import (
    AirlineCassConfigurationFactory,
    AirlineCustomerIdFactory,
    ColoaderCoverageFactory,
    airline,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/recognition/cassregistration/import/"
CSV = (
    b"company,domains,country,office_airport,iata_code,cass_address,active,airlines\n"
    b"ACME Cargo GmbH,acme-cargo.de,DE,HAM,2347001,0001,yes,EK\n"
    b",bad.example,DE,HAM,2347003,0000,yes,EK\n"
)


def staff(**fields) -> User:
    return User.objects.create_user(
        fields.pop("email", "sam@example.com"), "pw", status=UserStatus.ACTIVATED, **fields
    )


@pytest.fixture
def support(client):
    client.force_login(staff(is_staff=True, is_superuser=True))
    return client


def upload(client, *, dry_run: bool, content: bytes = CSV):
    data = {"file": SimpleUploadedFile("directory.csv", content, "text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(IMPORT_URL, data)


def test_the_directory_list_links_to_the_upload(support):
    response = support.get("/admin/recognition/cassregistration/")

    assert response.status_code == 200
    assert IMPORT_URL.encode() in response.content


def test_an_upload_is_imported_by_a_task_and_its_page_shows_the_result(
    support, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(support, dry_run=False)

    run = CassImport.objects.get()
    assert response.url == f"{IMPORT_URL}{run.pk}/"
    assert CassRegistration.objects.get().iata_code == "2347001"
    page = support.get(response.url)
    assert b"1 registration(s) were created" in page.content
    assert b"line 3: company: cannot be blank." in page.content
    assert b'http-equiv="refresh"' not in page.content
    assert (run.status, run.rows_done, run.rows_total, run.content) == ("done", 2, 2, "")


def test_a_dry_run_upload_shows_the_report_and_writes_nothing(
    support, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(support, dry_run=True)

    page = support.get(response.url)
    assert b"Dry run, nothing written: 1 registration(s) would be created" in page.content
    assert b"line 3: company: cannot be blank." in page.content
    assert not CassRegistration.objects.exists()


def test_with_a_broker_the_upload_waits_for_a_worker_whose_sweep_runs_it(support):
    response = upload(support, dry_run=False)  # no in-process run: a worker's sweep starts it

    page = support.get(response.url)
    assert b"Waiting for a worker" in page.content
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert not CassRegistration.objects.exists()

    assert cass_imports_sweep() == 1
    assert cass_imports_sweep() == 0  # claimed once, run once

    assert CassRegistration.objects.count() == 1
    assert b"1 registration(s) were created" in support.get(response.url).content


def test_the_page_of_a_running_import_shows_its_progress_and_reloads(support):
    run = CassImport.objects.create(
        file_name="world.csv",
        status=CassImportStatus.RUNNING,
        rows_total=4000,
        rows_done=1000,
        created=990,
        error_count=10,
        errors=[[17, "company: cannot be blank."]],
    )

    page = support.get(f"{IMPORT_URL}{run.pk}/")

    assert b"1000 of 4000 rows done (25%), 10 refused so far." in page.content
    assert b"line 17: company: cannot be blank." in page.content
    assert b"the first 1 of 10" in page.content
    assert b'http-equiv="refresh"' in page.content
    assert b"world.csv" in support.get(IMPORT_URL).content  # among the recent imports


def test_a_file_without_the_columns_is_refused_on_the_form(support):
    response = upload(support, dry_run=False, content=b"company,country\nACME,DE\n")

    assert b"Missing column(s)" in response.content
    assert not CassImport.objects.exists()


def test_staff_without_the_permission_to_change_the_directory_cannot_upload(client):
    agent = staff(is_staff=True)
    agent.user_permissions.add(
        Permission.objects.get(codename="view_cassregistration")
    )  # fmt: skip
    client.force_login(agent)

    assert client.get(IMPORT_URL).status_code == 403
    assert upload(client, dry_run=False).status_code == 403
    run = CassImport.objects.create(file_name="directory.csv")
    assert client.get(f"{IMPORT_URL}{run.pk}/").status_code == 403
    assert not CassRegistration.objects.exists()


@pytest.mark.parametrize(
    "page",
    [
        "/admin/recognition/airline/?requires_customer_id__exact=1&q=lufthansa",
        "/admin/recognition/cassregistration/?is_active__exact=1&q=acme",
        "/admin/recognition/airlinecassconfiguration/?q=ACME",
        "/admin/recognition/airlinecustomerid/?office__isempty=1&q=ACME",
        "/admin/recognition/coloadercoverage/?airline__isempty=1&q=FRA",
    ],
)
def test_the_recognition_admin_pages_filter_and_search(support, page):
    AirlineCassConfigurationFactory(
        registration__office__company__legal_name="ACME", airline=airline("EK")
    )
    AirlineCustomerIdFactory(company=CassRegistration.objects.get().company, airline=airline("LH"))
    ColoaderCoverageFactory(origin_country="DE", origin_airport="FRA")

    response = support.get(page)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
