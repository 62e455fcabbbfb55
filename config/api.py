"""API error shape: every error is JSON with a machine-readable code and a readable message."""

import django_filters
import django_filters.rest_framework
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import get_view_name as drf_view_name


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "conflict"


def exception_handler(exc, context):
    from engine.errors import WrongState

    if isinstance(exc, WrongState):
        return Response(
            {"code": "conflict", "message": " ".join(exc.messages)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response({"code": "invalid", "errors": detail}, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Http404):
        code = "not_found"
    elif isinstance(exc, PermissionDenied | exceptions.PermissionDenied):
        code = "forbidden"  # one code for a 403, whichever layer refused
    else:
        codes = exc.get_codes() if isinstance(exc, APIException) else "error"
        code = codes if isinstance(codes, str) else "invalid"
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        body = {"code": code, "message": str(data["detail"])}
        body.update({k: v for k, v in data.items() if k != "detail"})
    else:
        body = {"code": code, "errors": data}
    response.data = body
    return response


class ListFilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """The list's filters narrow the list only: one object read by its id is found whatever the
    query string says (?state=done on an open task was a 404)."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet that refuses what it cannot apply instead of ignoring it: an empty value for
    a typed filter, a boolean that is not true/false. With DjangoFilterBackend (raise_exception)
    an invalid filter is a 400 in the error shape, never a silently unfiltered list."""

    BOOLEANS = {"true", "false", "1", "0"}

    def is_valid(self):
        valid = super().is_valid()
        for name, declared in self.filters.items():
            if name not in self.data:
                continue
            raw = self.data.get(name)
            if raw == "" and not isinstance(declared, django_filters.CharFilter):
                self.form.add_error(name, "Give a value or leave this filter out.")
            elif isinstance(declared, django_filters.BooleanFilter) and (
                raw.lower() not in self.BOOLEANS
            ):
                self.form.add_error(name, "Use true or false.")
        return valid and not self.form.errors


def view_name(view) -> str:
    """The browsable API's page title in the reader's language: the model's name, plural for a
    list (案件 / 案件列表 rather than DRF's "Case List Create" from the class name); a view about
    no model keeps DRF's name."""
    model = getattr(getattr(view, "queryset", None), "model", None)
    if model is None:
        serializer = getattr(view, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None:
        return drf_view_name(view)
    lists = isinstance(view, ListModelMixin) and not isinstance(view, RetrieveModelMixin)
    return str(model._meta.verbose_name_plural if lists else model._meta.verbose_name)
