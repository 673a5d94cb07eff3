from django.contrib import admin

from billbridge.clients.models import Client, ClientAssignment

admin.site.register(Client)
admin.site.register(ClientAssignment)
