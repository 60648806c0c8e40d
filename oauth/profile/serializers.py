"""Request bodies of the profile routes, as upstream's Joi schemas declare them."""
from rest_framework import serializers

from accounts.validators import DISPLAY_SAFE_UNICODE, RegexStringField

DISPLAY_NAME_MAX_LENGTH = 256  # counted as JavaScript counts: UTF-16 code units


class DisplayNameBody(serializers.Serializer):
    # Upstream's allowed characters: no control characters, line/paragraph separators, private
    # use or "specials"; DISPLAY_SAFE_UNICODE also refuses lone surrogates, which no text column
    # can store.
    displayName = RegexStringField(DISPLAY_SAFE_UNICODE, allow_blank=True)

    def validate_displayName(self, value):
        if len(value.encode("utf-16-le")) // 2 > DISPLAY_NAME_MAX_LENGTH:
            raise serializers.ValidationError("too long")
        return value
