"""The invoice as a document (issue 11): its PDF, the invoice template. web/urls.py adds these
to the web: namespace."""

urlpatterns: list = []
