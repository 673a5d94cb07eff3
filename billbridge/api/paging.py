from django.db.models import QuerySet

from billbridge.api.schemas import PageQuery


def paginate(queryset: QuerySet, page: PageQuery) -> dict:
    """One page of an ordered queryset, with the total count; a page past the end is empty."""
    start = (page.page - 1) * page.page_size
    return {
        "count": queryset.count(),
        "page": page.page,
        "page_size": page.page_size,
        "items": list(queryset[start : start + page.page_size]),
    }
