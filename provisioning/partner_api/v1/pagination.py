"""Cursor pagination: a page costs one indexed query, never a COUNT of the table."""

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    cursor_query_description = "The `next` or `previous` link's cursor, as given."
    page_size_query_description = f"Results per page, 1 to {max_page_size} (default {page_size})."
    invalid_cursor_message = "Invalid cursor."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            # A value we would silently replace by the default is refused instead.
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"must be a whole number 1 to {self.max_page_size}"]}
            )
        return int(raw)

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "cursor_ordering", None)
        return ordering(request) if ordering else super().get_ordering(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return parameters


class UserCursor(Cursor):
    ordering = ("-date_joined", "-id")


class EventCursor(Cursor):
    ordering = ("id",)
