"""Request body parsing and answer format negotiation for the auth-server API."""
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser


class JsonBodyParser(JSONParser):
    """Parses every body as JSON, whatever its Content-Type, as upstream's auth server does.

    Clients differ in the content type they send (Firefox's Hawk client sends text/plain on some
    requests); what matters is that the body is JSON. An empty body is an empty object.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, "application/json", parser_context)
        except RecursionError:
            # Nesting deeper than Python's parser follows (16 KiB allow ~8000 levels) is bad input,
            # not a server fault.
            raise ParseError("JSON nested too deeply") from None


class FirstRendererNegotiation(DefaultContentNegotiation):
    """Answers with the view's first renderer (JSON for /v1), whatever Accept or ?format= say.

    Upstream answers JSON to every client; DRF's default would answer 406 to ``Accept: text/plain``
    and 404 to a ``format`` query parameter it has no renderer for.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
