"""The Support group, with exactly what an agent needs: the queue and account pages, the
actions on accounts, internal notes, and a read-only look at companies, domains and offices."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support"
PERMISSIONS = [
    ("backoffice", "view_account"),
    ("backoffice", "act_on_accounts"),
    ("backoffice", "view_accountnote"),
    ("backoffice", "add_accountnote"),
    ("provisioning", "view_company"),
    ("provisioning", "view_companydomain"),
    ("provisioning", "view_office"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in PERMISSIONS
    ]
    group.permissions.set(wanted)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_notes_and_contact_marks"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
