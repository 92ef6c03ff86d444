"""Existing addresses and company domains into their one normal form (DESIGN §10).

Before, `ida@bücher.de` and `ida@xn--bcher-kva.de` could be two accounts. Rows whose normal
form differs from what is stored are rewritten; when two rows are one mailbox under the normal
form, nothing is changed and the migration stops with a list of them: which account to keep
is support's decision (erase or rename the others in the admin), then `migrate` again.
"""

from collections import defaultdict

from django.db import migrations

from provisioning.accounts.domains import domain_normal_form, email_normal_form


class DuplicatesUnderNormalForm(Exception):
    pass


def _groups(rows, normal_form) -> dict[str, list[tuple[int, str]]]:
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for pk, value in rows:
        groups[normal_form(value)].append((pk, value))
    return groups


def _report(what: str, duplicates: dict) -> str:
    lines = [
        f"{len(duplicates)} {what} would be one under the new normal form (DESIGN §10):",
        *(
            f"  {normal}: " + ", ".join(f"#{pk} {value!r}" for pk, value in sorted(rows))
            for normal, rows in sorted(duplicates.items())
        ),
    ]
    return "\n".join(lines)


def normal_forms_apply(apps, schema_editor):
    User = apps.get_model("provisioning", "User")
    CompanyDomain = apps.get_model("provisioning", "CompanyDomain")
    users = _groups(User.objects.values_list("pk", "email").iterator(), email_normal_form)
    domains = _groups(
        CompanyDomain.objects.values_list("pk", "domain").iterator(), domain_normal_form
    )
    reports = [
        _report(what, {k: v for k, v in groups.items() if len(v) > 1})
        for what, groups in (("user email addresses", users), ("company domains", domains))
        if any(len(v) > 1 for v in groups.values())
    ]
    if reports:
        raise DuplicatesUnderNormalForm(
            "\n".join(reports)
            + "\nNothing was changed. Keep one row of each group (erase or rename the others "
            "in the admin), then run `manage.py migrate` again."
        )
    for model, field, groups in ((User, "email", users), (CompanyDomain, "domain", domains)):
        for normal, [(pk, value)] in groups.items():
            if value != normal:
                model.objects.filter(pk=pk).update(**{field: normal})


class Migration(migrations.Migration):
    dependencies = [
        ("provisioning", "0010_access_requests"),
    ]

    operations = [
        migrations.RunPython(normal_forms_apply, migrations.RunPython.noop, elidable=True),
    ]
