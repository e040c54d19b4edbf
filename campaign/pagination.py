"""Pages of list views."""

from django.core.paginator import Page, Paginator


def get_page(object_list, per_page, number):
    """`Paginator(object_list, per_page).get_page(number)` without the COUNT query when the
    first page is not full: its rows are then the whole list."""
    paginator = Paginator(object_list, per_page)
    if number not in (None, "", "1"):
        return paginator.get_page(number)
    rows = list(object_list[:per_page])
    if len(rows) < per_page:
        paginator.count = len(rows)  # `count` is a cached property: this is its value
    return Page(rows, 1, paginator)
