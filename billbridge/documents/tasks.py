"""Background work for documents, thin: load by id, call the module that does the work."""

from django.db import transaction
from django_tasks import task

from billbridge.documents import delivery


@task()
def send_invoice(send_id: int) -> str:
    return delivery.send(send_id)


def send_later(send_id: int) -> None:
    transaction.on_commit(lambda: send_invoice.enqueue(send_id))
