"""Request body parsing and answer format negotiation for the auth-server API."""
import re

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, JSONParser



# What a PostgreSQL text column cannot hold (and a UTF-8 encoder cannot write).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text):
    return UNSTORABLE.search(text) is None


def unstorable_keys(data):
    """The top-level members of a parsed JSON body holding a string the database cannot store,
    at any depth (a bad member name counts too)."""
    def bad(value):
        if isinstance(value, str):
            return not storable(value)
        if isinstance(value, dict):
            return any(bad(key) or bad(item) for key, item in value.items())
        if isinstance(value, list):
            return any(bad(item) for item in value)
        return False

    if isinstance(data, dict):
        return [key if storable(key) else repr(key) for key, value in data.items() if bad(key) or bad(value)]
    return [] if not bad(data) else [""]


class UnstorableInput(serializers.ValidationError):
    """Input refused before validation because no column could hold it: 400 errno 107 naming the
    keys, in the route's error family. ``source``: payload, params or query."""

    def __init__(self, keys, source="payload"):
        super().__init__({key: ["contains a NUL byte or a lone surrogate"] for key in keys} or
                         ["contains a NUL byte or a lone surrogate"])
        self.source = source


class JsonBodyParser(JSONParser):
    """Parses every body as JSON, whatever its Content-Type, as upstream's auth server does.

    Clients differ in the content type they send (Firefox's Hawk client sends text/plain on some
    requests); what matters is that the body is JSON. An empty body is an empty object. Strings
    no database column can hold (NUL, lone surrogates) are refused here, for every route: 107.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, "application/json", parser_context)
        except RecursionError:
            # Nesting deeper than Python's parser follows (16 KiB allow ~8000 levels) is bad input,
            # not a server fault.
            raise ParseError("JSON nested too deeply") from None
        keys = unstorable_keys(data)
        if keys:
            raise UnstorableInput(keys)
        return data


class FormBodyParser(FormParser):
    """Form bodies (the OAuth token endpoint), with the JSON parser's check for unstorable text."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        keys = [key for key in data if unstorable_keys({key: data.getlist(key)})]
        if keys:
            raise UnstorableInput(keys)
        return data


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Answers with the view's first renderer (JSON for /v1), whatever Accept or ?format= say.

    Upstream answers JSON to every client; DRF's default would answer 406 to ``Accept: text/plain``
    and 404 to a ``format`` query parameter it has no renderer for.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
