"""The OpenAPI schema's error responses, documented once for every operation."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The API's error shape (config/api.py): a machine-readable code, then a readable message
    or the errors per field; a conflict adds the steps still allowed."""

    code = serializers.CharField()
    message = serializers.CharField(required=False)
    errors = serializers.JSONField(required=False)

    class Meta:
        ref_name = "Error"


ERRORS = {
    "400": "Malformed or invalid input (a NUL byte, a bad filter value, a failed validation).",
    "403": "Not signed in, or the person's roles do not allow this.",
    "404": "No such object, or the person may not see it.",
    "409": "The object's state does not allow this step now.",
    "413": "The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
    "429": "Too many requests from this client (the anonymous intake).",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses any operation may give, in the
    error shape: 400, 403, 404 and 429 always; 409 and 413 when the method changes something.
    An operation's own documented status (e.g. an intake's 400 body) wins.

    A view that reads its query string with a page filter form (`Form.read_api`) names it in
    `filter_form`: its GET then documents one query parameter per field of that form."""

    def _get_filter_parameters(self):
        parameters = super()._get_filter_parameters()
        form_class = getattr(self.view, "filter_form", None)
        if form_class is not None and self.method == "GET":
            parameters = [*parameters, *filter_parameters(form_class)]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in ERRORS.items():
            if code in responses or (code in ("409", "413") and self.method not in _UNSAFE):
                continue
            responses[code] = self._get_response_for_code(
                OpenApiResponse(ErrorSerializer, description=description), code
            )
        return responses


def form_serializer(form_class, name: str, **init):
    """A serializer that documents the body an API view hands to a Django form (the intake, the
    case steps): one field per form field, for the schema only; the form still validates."""
    from django import forms

    fields = {}
    for field_name, field in form_class(**init).fields.items():
        common = {"required": field.required, "help_text": str(field.label or "")}
        if isinstance(field, forms.FileField):
            fields[field_name] = serializers.ListField(
                child=serializers.FileField(), required=False, help_text=common["help_text"]
            )
        elif isinstance(field, forms.ModelMultipleChoiceField):
            fields[field_name] = serializers.ListField(child=serializers.IntegerField(), **common)
        elif isinstance(field, forms.ModelChoiceField):
            fields[field_name] = serializers.IntegerField(allow_null=not field.required, **common)
        elif isinstance(field, forms.BooleanField):
            fields[field_name] = serializers.BooleanField(
                required=False, help_text=common["help_text"]
            )
        elif isinstance(field, forms.TypedChoiceField | forms.ChoiceField):
            choices = [value for value, _label in field.choices if value != ""]
            fields[field_name] = serializers.ChoiceField(
                choices=choices, allow_blank=not field.required, **common
            )
        elif isinstance(field, forms.IntegerField):
            fields[field_name] = serializers.IntegerField(**common)
        elif isinstance(field, forms.DecimalField):
            fields[field_name] = serializers.DecimalField(
                max_digits=field.max_digits, decimal_places=field.decimal_places, **common
            )
        elif isinstance(field, forms.DateTimeField):
            fields[field_name] = serializers.DateTimeField(allow_null=not field.required, **common)
        elif isinstance(field, forms.DateField):
            fields[field_name] = serializers.DateField(allow_null=not field.required, **common)
        elif isinstance(field, forms.UUIDField):
            fields[field_name] = serializers.UUIDField(**common)
        else:
            fields[field_name] = serializers.CharField(
                max_length=getattr(field, "max_length", None),
                allow_blank=not field.required,
                **common,
            )
    return type(name, (serializers.Serializer,), fields)


def filter_parameters(form_class) -> list[dict]:
    """The query parameters a page filter form (engine.filters.PageFilter) reads, as OpenAPI
    parameter objects: the type and the values each field takes, its label as description. An
    empty value is no filter (allowEmptyValue); any other value the field refuses is a 400."""
    from django import forms

    from engine.filters import OFF, ON, FlagField

    parameters = []
    for name, field in form_class().fields.items():
        if isinstance(field, FlagField):
            schema = {"type": "string", "enum": sorted((ON | OFF) - {""})}
        elif isinstance(field, forms.ModelChoiceField | forms.IntegerField):
            schema = {"type": "integer"}
        elif isinstance(field, forms.DateField):
            schema = {"type": "string", "format": "date"}
        elif isinstance(field, forms.ChoiceField):
            schema = {"type": "string", "enum": [str(v) for v, _label in field.choices if v != ""]}
        else:
            schema = {"type": "string"}
            if getattr(field, "max_length", None):
                schema["maxLength"] = field.max_length
        parameters.append(
            {
                "in": "query",
                "name": name,
                "required": field.required,
                "allowEmptyValue": not field.required,
                "description": str(field.label or name),
                "schema": schema,
            }
        )
    return parameters
