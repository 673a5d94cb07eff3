"""Accessibility basics on every page, checked in the HTML each page sends: every field has a
label and every description it points to exists, every button has a name, every table header a
scope, and everything htmx enhances still works as plain HTML (a link, a form, or a submit
button in a form) without JavaScript."""

import datetime
from html.parser import HTMLParser

import pytest
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from billbridge.api.tokens import issue_token
from billbridge.core import testing
from billbridge.time import billing, rate_card, timesheet
from billbridge.time import services as time_services

UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class Page(HTMLParser):
    """The elements the checks need, with their attributes and text."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[dict] = []  # each: tag, attrs, text, inside (enclosing tags)
        self.open: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = {
            "tag": tag,
            "attrs": dict(attrs),
            "text": "",
            "inside": [e["tag"] for e in self.open],
        }
        self.elements.append(element)
        if tag not in ("input", "br", "meta", "link", "img", "hr"):
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def all(self, *tags):
        return [e for e in self.elements if e["tag"] in tags]


def problems_in(html: str) -> list[str]:
    page = Page(html)
    found = [f"template syntax shows: {mark}" for mark in ("{#", "{%", "{{") if mark in html]
    labelled = {e["attrs"].get("for") for e in page.all("label")}
    for field in page.all("input", "select", "textarea"):
        attrs = field["attrs"]
        if attrs.get("type") in UNLABELLED_TYPES:
            continue
        named = attrs.get("id") in labelled or "aria-label" in attrs or "aria-labelledby" in attrs
        if not named and "label" not in field["inside"]:
            found.append(f"{field['tag']} {attrs.get('name')!r} has no label")
    ids = {e["attrs"].get("id") for e in page.elements}
    for element in page.elements:
        for described_by in element["attrs"].get("aria-describedby", "").split():
            if described_by not in ids:
                found.append(
                    f"{element['attrs'].get('name')!r} is described by a missing #{described_by}"
                )
    for button in page.all("button"):
        if not button["text"].strip() and not button["attrs"].get("aria-label"):
            found.append(f"a button has no name: {button['attrs']}")
    for header in page.all("th"):
        if header["attrs"].get("scope") not in ("col", "row"):
            found.append(f"table header {header['text'].strip()!r} has no scope")
    for element in page.elements:
        attrs = element["attrs"]
        if not ({"hx-get", "hx-post"} & attrs.keys()):
            continue
        plain = (
            (element["tag"] == "a" and attrs.get("href"))
            or (element["tag"] == "form" and attrs.get("action") is not None)
            or (
                element["tag"] == "button"
                and attrs.get("type") == "submit"
                and "form" in element["inside"]
            )
        )
        if not plain:
            found.append(f"{element['tag']} {attrs} needs JavaScript")
    return found


@pytest.fixture
def pages(practice, admin_member, client_a):
    """Every page of the product, as a member who may do everything sees it (so every button
    and form is there), plus the pages others see."""
    draft = testing.make_invoice(admin_member, client_a)
    finalized = testing.make_invoice(admin_member, client_a, "finalized")
    closed = testing.make_invoice(admin_member, client_a, "closed")
    issue_token(admin_member.user, "month-end script")
    browser = Browser()
    browser.force_login(admin_member.user)
    urls = [
        reverse("web:billing-list"),
        reverse("web:billing-list") + "?show_closed=on&client=999",
        reverse("web:invoice-new"),
        reverse("web:invoice-edit", args=[draft.pk]),
        reverse("web:invoice-line-row") + "?lines-TOTAL_FORMS=2",
        *(reverse("web:invoice-detail", args=[i.pk]) for i in (draft, finalized, closed)),
        reverse("web:client-list"),
        reverse("web:client-new"),
        reverse("web:client-edit", args=[client_a.pk]),
        reverse("web:client-detail", args=[client_a.pk]),
        reverse("web:tax-settings"),
        reverse("web:practice-data"),
        reverse("profile"),
        "/no/such/page/",
    ]
    answers = {url: browser.get(url).content.decode() for url in urls}
    answers["profile, a new token shown"] = browser.post(
        reverse("profile"), {"action": "create", "name": "shown once"}
    ).content.decode()
    answers["billing list after a bulk action"] = browser.post(
        reverse("web:billing-list"), {"action": "finalize", "invoice": [draft.pk, closed.pk]}
    ).content.decode()
    # Pages that show errors next to their fields.
    answers["client editor, errors"] = browser.post(
        reverse("web:client-new"), {"name": "Oak: Ivy", "email": "not an address"}
    ).content.decode()
    answers["tax settings, errors"] = browser.post(
        reverse("web:tax-settings"), {"primary_name": "", "primary_rate": "x"}
    ).content.decode()
    editor = {"client": client_a.pk, "issue_date": "", "lines-TOTAL_FORMS": "1"}
    editor.update({"lines-INITIAL_FORMS": "0", "lines-0-quantity": "-1"})
    answers["invoice editor, errors"] = browser.post(
        reverse("web:invoice-new"), editor
    ).content.decode()
    answers["invoice editor, a line added"] = browser.post(
        reverse("web:invoice-new"), {**editor, "add_line": "1"}
    ).content.decode()
    viewer = Browser()
    viewer.force_login(testing.make_member(practice, "vera").user)
    answers["tax settings, read only"] = viewer.get(reverse("web:tax-settings")).content.decode()
    answers["refused"] = viewer.get(reverse("web:invoice-new")).content.decode()
    answers["log-in"] = Browser().get(reverse("login")).content.decode()
    answers.update(time_pages(browser, viewer, admin_member, client_a))
    return answers


def time_pages(browser, viewer, admin_member, client_a) -> dict[str, str]:
    """The Time pages: a timesheet with typed cells, a running timer, held work and a cell of
    several entries; the entries list, editor and an entry; and their answers to bad input."""
    today = timezone.localdate()
    code = rate_card.save_work_code(admin_member, rate_card.WorkCodeInput("Tax preparation"))

    def entry(minutes, work_code=None):
        return time_services.record(
            admin_member,
            time_services.EntryInput(
                client_id=client_a.pk,
                date=today,
                minutes=minutes,
                work_code_id=work_code.pk if work_code else None,
            ),
        )

    held = entry(60, code)
    billing.invoice_from_wip(
        admin_member, billing.WipBilling(client_id=client_a.pk, entry_ids=[held.pk])
    )
    timed = entry(30)
    time_services.start_timer(admin_member, timed.pk)
    entry(15)
    urls = [
        reverse("web:timesheet"),
        reverse("web:entry-list"),
        reverse("web:entry-new"),
        reverse("web:entry-edit", args=[timed.pk]),
        reverse("web:entry-detail", args=[held.pk]),
        reverse("web:entry-delete", args=[timed.pk]),
    ]
    answers = {url: browser.get(url).content.decode() for url in urls}
    # A day of this week but today's, whose cell on the work code's row is typed in.
    day = timesheet.week_of(today) if today.weekday() else today + datetime.timedelta(days=1)
    cell = {"staff": admin_member.pk, "client": client_a.pk, "work_code": code.pk}
    cell.update({"date": day.isoformat(), "hours": "abc"})
    answers["timesheet, a cell refused"] = browser.post(
        reverse("web:timesheet-cell"),
        cell,
        headers={"HX-Request": "true"},
    ).content.decode()
    answers["timesheet, a cell refused without JavaScript"] = browser.post(
        reverse("web:timesheet-cell"), cell
    ).content.decode()
    answers["timesheet, a row refused"] = browser.post(
        reverse("web:timesheet-add-row"), {"staff": admin_member.pk, "week": today.isoformat()}
    ).content.decode()
    editor = {"kind": "time", "client": client_a.pk, "date": today.isoformat(), "duration": "x"}
    answers["entry editor, errors"] = browser.post(
        reverse("web:entry-new"), editor
    ).content.decode()
    answers["entry editor, previewed"] = browser.post(
        reverse("web:entry-new"), {**editor, "duration": "1:30", "preview": "1"}
    ).content.decode()
    answers["entries of someone else, refused"] = viewer.get(
        reverse("web:entry-list"), {"staff": admin_member.pk}
    ).content.decode()
    return answers


def test_every_page_has_labels_names_scopes_and_works_without_javascript(pages):
    found = {name: problems_in(html) for name, html in pages.items()}
    assert {name: problems for name, problems in found.items() if problems} == {}


def test_the_checks_catch_what_they_look_for():
    """The checker itself: each kind of problem in a page is reported."""
    html = (
        "{# a comment Django did not take for one #}"
        '<input name="q"><button></button><table><tr><th>Total</th></tr></table>'
        '<div hx-get="/x/">more</div>'
        '<label for="ok">Fine</label><input id="ok" name="fine">'
        '<label for="d">D</label><input id="d" name="d" aria-describedby="d_error">'
    )
    assert problems_in(html) == [
        "template syntax shows: {#",
        "input 'q' has no label",
        "'d' is described by a missing #d_error",
        "a button has no name: {}",
        "table header 'Total' has no scope",
        "div {'hx-get': '/x/'} needs JavaScript",
    ]
