# The state stored as "confirm" is named for what it is: the QBO invoice was deleted in
# QuickBooks and a person must confirm a replacement. The stored value stays (no data change).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("quickbooks", "0004_export_leases"),
    ]

    operations = [
        migrations.AlterField(
            model_name="invoiceexport",
            name="state",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Exporting"),
                    ("unknown", "Exporting (checking QuickBooks)"),
                    ("exported", "Exported"),
                    ("failed", "Error"),
                    ("review", "Needs review"),
                    ("confirm", "Deleted in QBO: confirm a new invoice"),
                ],
                default="queued",
                max_length=10,
            ),
        ),
    ]
