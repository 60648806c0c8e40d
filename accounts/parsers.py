"""Request body parsing for the auth-server API."""
from rest_framework.parsers import JSONParser


class JsonBodyParser(JSONParser):
    """Parses every body as JSON, whatever its Content-Type, as upstream's auth server does.

    Clients differ in the content type they send (Firefox's Hawk client sends text/plain on some
    requests); what matters is that the body is JSON. An empty body is an empty object.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(stream, "application/json", parser_context)
