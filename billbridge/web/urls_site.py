"""Self-hosting pages (issue 16): the site operator's Intuit app check, and a practice's own
data as one archive. web/urls.py adds these to the web: namespace."""

urlpatterns: list = []
