from django.contrib import admin

from billbridge.clients.models import Client, ClientAssignment


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "practice", "email", "city")

    def get_readonly_fields(self, request, obj=None):
        # A client never moves to another practice: its invoices would stay behind, and each
        # practice's pages would show the other's names. It is chosen once, when added.
        return ("practice",) if obj is not None else ()


admin.site.register(ClientAssignment)
