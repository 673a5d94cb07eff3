"""Sending invoices to clients (issue 11). web/urls.py adds these to the web: namespace."""

urlpatterns: list = []
