"""Every transition through the API × every permission set × own or other practice.

The practice, its members (one per permission set, with a token each) and one invoice per
starting status are built once for the class; each case runs in its own rolled-back
transaction, so every case starts from the same invoices."""

import itertools

from django.test import TestCase, override_settings

from billbridge.api.tests.conftest import ApiCaller
from billbridge.api.tokens import issue_token
from billbridge.core import testing
from billbridge.invoicing.models import Invoice, InvoiceStatus

# action: (status it starts from, status it ends in, body, needs the Owner role on the client)
ACTIONS = {
    "finalize": (InvoiceStatus.DRAFT, InvoiceStatus.FINALIZED, None, False),
    "revert-to-draft": (InvoiceStatus.FINALIZED, InvoiceStatus.DRAFT, {"reason": "Typo"}, True),
    "close": (InvoiceStatus.FINALIZED, InvoiceStatus.CLOSED, {"reason": "Paid in cash"}, False),
    "reopen": (InvoiceStatus.CLOSED, InvoiceStatus.FINALIZED, None, True),
}
FLAGS = ("can_export", "can_process_time", "can_manage_settings", "owner")
PERMISSION_SETS = [
    dict(zip(FLAGS, values, strict=True))
    for values in itertools.product((False, True), repeat=len(FLAGS))
]
PRACTICES = ("own", "other")


def expected_status(action: str, permissions: dict, where: str) -> int:
    """The rules of docs/decisions/0003-permissions.md, stated independently of the code."""
    if where == "other":
        return 404
    if not permissions["can_process_time"]:
        return 403
    if ACTIONS[action][3] and not permissions["owner"]:
        return 403
    return 200


def _case_name(action: str, permissions: dict, where: str) -> str:
    held = [flag.removeprefix("can_") for flag in FLAGS if permissions[flag]] or ["nothing"]
    return f"test_{action.replace('-', '_')}__{'_'.join(held)}__{where}_practice"


# Class-wide data is built before function fixtures run, so the fast hasher is set here too.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class TransitionMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.invoice_ids = {}
        home = None
        for where in PRACTICES:
            practice = testing.make_practice(f"{where} practice")
            boss = testing.make_admin(practice)
            client = testing.make_client(practice, f"{where.title()} Client")
            testing.assign(boss, client)
            for start in {spec[0] for spec in ACTIONS.values()}:
                invoice = testing.make_invoice(boss, client, start)
                cls.invoice_ids[where, start] = invoice.pk
            if where == "own":
                home, home_client = practice, client
        cls.tokens = {}
        for permissions in PERMISSION_SETS:
            member = testing.make_member(
                home, **{flag: permissions[flag] for flag in FLAGS if flag != "owner"}
            )
            if permissions["owner"]:
                testing.assign(member, home_client)
            cls.tokens[tuple(permissions.values())] = issue_token(member.user, "matrix")[1]

    def check(self, action: str, permissions: dict, where: str) -> None:
        start, end, body, _needs_owner = ACTIONS[action]
        invoice_id = self.invoice_ids[where, start]
        events_before = Invoice.objects.get(pk=invoice_id).timeline.count()
        caller = ApiCaller(self.tokens[tuple(permissions.values())])

        response = caller.post(f"/api/v1/invoices/{invoice_id}/{action}", body)

        expected = expected_status(action, permissions, where)
        self.assertEqual(response.status_code, expected, response.content)
        invoice = Invoice.objects.get(pk=invoice_id)
        if expected == 200:
            self.assertEqual(response.json()["status"], end.value)
            self.assertEqual((invoice.status, invoice.timeline.count()), (end, events_before + 1))
        else:
            self.assertTrue(response.json()["detail"])
            self.assertEqual((invoice.status, invoice.timeline.count()), (start, events_before))


def _add_case(action: str, permissions: dict, where: str) -> None:
    def case(self):
        self.check(action, permissions, where)

    name = _case_name(action, permissions, where)
    case.__name__ = name
    setattr(TransitionMatrixTests, name, case)


for _action, _permissions, _where in itertools.product(ACTIONS, PERMISSION_SETS, PRACTICES):
    _add_case(_action, _permissions, _where)
