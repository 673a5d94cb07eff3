import datetime
from decimal import Decimal

from django.test import Client as Browser
from django.urls import reverse

from billbridge.web.templatetags.billing import duration, money, rate


def test_the_login_page_logs_in_and_lands_on_the_billing_list(admin_member):
    browser = Browser()
    page = browser.get(reverse("login"))
    assert b'<label for="id_username">Username</label>' in page.content
    response = browser.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:billing-list")


def test_a_locked_out_login_says_so_plainly(admin_member, settings):
    browser = Browser()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = browser.post(
        reverse("login"), {"username": "alice", "password": "correct-horse-battery"}
    )
    assert response.status_code == 429
    content = response.content.decode()
    assert "Too many failed log-ins" in content
    assert "Try again in 15 minutes." in content


def test_the_layout_names_the_practice_and_the_user_and_logs_out_by_post(alice):
    content = alice.get(reverse("web:billing-list")).content.decode()
    assert '<span class="practice">Ledger &amp; Co</span>' in content
    assert '<span class="user">alice</span>' in content
    assert f'<form method="post" action="{reverse("logout")}">' in content
    assert 'href="/profile/"' in content
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer>' in content


def test_money_rates_and_waits_read_plainly():
    assert money(Decimal("1234567.5")) == "1,234,567.50"
    assert money(Decimal("0")) == "0.00"
    assert money(Decimal("-12.3")) == "-12.30"
    assert rate(Decimal("8.875")) == "8.875 %"
    assert rate(Decimal("5.000")) == "5 %"
    assert rate(Decimal("0.000")) == "0 %"
    assert duration(datetime.timedelta(minutes=15)) == "15 minutes"
    assert duration(datetime.timedelta(hours=2)) == "2 hours"


def test_pages_carry_a_content_security_policy(admin_member):
    browser = Browser()
    browser.force_login(admin_member.user)
    policy = browser.get(reverse("web:billing-list"))["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
