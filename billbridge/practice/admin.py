from django.contrib import admin

from billbridge.practice.models import Membership, Practice

admin.site.register(Practice)
admin.site.register(Membership)
