"""Cursor pagination: a page costs one indexed query, never a COUNT of the table.

A cursor is checked before it reaches a query: its position must be a value of the field the
list is ordered by (a forged `p=abc` on an id, `p=2026-13-45` on a date, a NUL anywhere), else
400 naming `cursor` — never a database error.
"""

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions
from rest_framework.pagination import Cursor as PageCursor
from rest_framework.pagination import CursorPagination

from provisioning.partner_api.v1.errors import InvalidCursor

_UNUSABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BIGINT = range(-(2**63), 2**63)


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

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        if request.query_params.get(self.cursor_query_param) == "":
            return None  # `?cursor=` reads as no cursor: the first page
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise InvalidCursor() from None
        if cursor is None:
            return None
        if cursor.position is None and cursor.offset == 0 and not cursor.reverse:
            raise InvalidCursor()  # nothing this list ever gives out
        if cursor.position is not None and not self._position_usable(cursor.position):
            raise InvalidCursor()
        return cursor

    def _position_usable(self, position: str) -> bool:
        if _UNUSABLE.search(position):
            return False
        try:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        except (AttributeError, FieldDoesNotExist):
            return False
        if isinstance(field, models.DateTimeField):
            parsed = parse_datetime(position)
            return parsed is not None and parsed.tzinfo is not None
        if isinstance(field, models.IntegerField | models.AutoField):
            try:
                return int(field.to_python(position)) in _BIGINT
            except (ValidationError, TypeError, ValueError):
                return False
        return True

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
    """A feed to poll: `next` is given on the last page too (after its last event, or the
    cursor given when nothing is new), so a partner resumes where it stopped."""

    ordering = ("sequence",)

    def get_next_link(self):
        link = super().get_next_link()
        if link is not None or self.base_url is None:
            return link
        if self.page:
            position = str(self.page[-1].sequence)
        elif self.cursor is not None and not self.cursor.reverse and self.cursor.position:
            position = self.cursor.position
        else:
            return None
        return self.encode_cursor(PageCursor(offset=0, reverse=False, position=position))
