"""Request body parsers for the API (separate from config/api.py: DRF imports them while its
views module loads)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class ObjectJSONParser(JSONParser):
    """A JSON body is an object, unless the view says it takes a list (`json_list_body = True`):
    views and forms read fields with `request.data.get(...)`."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        view = (parser_context or {}).get("view")
        wanted = list if getattr(view, "json_list_body", False) else dict
        if not isinstance(data, wanted):
            raise ParseError(
                _("The JSON body must be an array.")
                if wanted is list
                else _("The JSON body must be an object.")
            )
        return data
