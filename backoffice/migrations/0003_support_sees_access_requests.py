"""Support sees partners' requests for access (and answers them with act_on_accounts)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Support")
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="provisioning", codename="view_accessrequest"
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_support_group"),
        ("provisioning", "0010_access_requests"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
