"""How money and statuses look on every page."""

import datetime
from decimal import Decimal

from django import template
from django.utils.html import format_html

from billbridge.core.money import format_money, format_rate
from billbridge.invoicing.models import InvoiceStatus

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    if value is None or value == "":
        return ""
    return format_money(value)


@register.filter
def rate(value: Decimal) -> str:
    return format_rate(value)


@register.filter
def status_badge(status: str) -> str:
    try:
        label = InvoiceStatus(status).label
    except ValueError:
        return ""
    return format_html('<span class="badge badge-{}">{}</span>', status, label)


@register.filter
def duration(value: datetime.timedelta) -> str:
    """A wait in words: "15 minutes", "2 hours"."""
    minutes = max(1, round(value.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@register.filter
def get_item(mapping: dict, key):
    """mapping[key], or None: a template cannot index a dict by a variable."""
    return mapping.get(key)
