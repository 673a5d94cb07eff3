from django.contrib import admin

from billbridge.invoicing.models import Invoice, InvoiceLine, TaxSettings, TimelineEvent


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    readonly_fields = ("at", "actor", "actor_label", "action", "from_status", "to_status", "reason")


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only: status and content change only through billbridge.invoicing.services. Not
    deletable either: an invoice that was finalized or exported must keep its row and timeline."""

    list_display = ("number", "practice", "client", "status", "issue_date", "total")
    list_filter = ("status",)
    inlines = [InvoiceLineInline, TimelineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaxSettings)
class TaxSettingsAdmin(admin.ModelAdmin):
    """Read-only: the rates are checked by billbridge.invoicing.services.update_tax_settings,
    behind Settings ▸ Time ▸ Tax, which the admin would bypass."""

    list_display = ("practice", "primary_name", "primary_rate", "secondary_name", "secondary_rate")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
