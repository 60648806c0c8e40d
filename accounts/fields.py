"""``EncryptedTextField``: a text column that the server must read back in clear (TOTP secrets,
Hawk keys), stored AES-256-GCM-encrypted under keys that are never in the database.

The construction is the outbox's (``emails.sealing``) under its own purpose string: the keyring
is FIELD_ENCRYPTION_KEYS (the first encrypts, each decrypts what it encrypted; a value names its
key by id, so ``manage.py reencrypt_fields`` can move rows to a new key before an old one goes),
or, unset, SECRET_KEY and SECRET_KEY_FALLBACKS. A value is bound to its table and column: moved to
another column, it does not decrypt.
"""
import secrets
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.query_utils import DeferredAttribute

from emails import sealing

PURPOSE = b"fxa-selfhosted accounts.fields v1"


@lru_cache(maxsize=1)
def keyring():
    """The keyring, built once per process (settings are read at start-up)."""
    materials = tuple(settings.FIELD_ENCRYPTION_KEYS) or (
        settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())
    )
    return sealing.Keyring.from_materials(materials, PURPOSE, "FIELD_ENCRYPTION_KEYS")


def _settings_changed(setting, **kwargs):
    if setting in ("FIELD_ENCRYPTION_KEYS", "SECRET_KEY", "SECRET_KEY_FALLBACKS"):
        keyring.cache_clear()


setting_changed.connect(_settings_changed, dispatch_uid="accounts-field-encryption-keyring")


def new_key():
    """A fresh key for FIELD_ENCRYPTION_KEYS (32 random bytes, base64url)."""
    return secrets.token_urlsafe(32)


class Sealed:
    """A value as stored, decrypted when its attribute is first read (``lazy_from_db_value``)."""

    __slots__ = ("stored",)

    def __init__(self, stored):
        self.stored = stored


class SealedAttribute(DeferredAttribute):
    """The field's attribute: a ``Sealed`` value is decrypted on first read, and kept in clear.
    (A data descriptor, so that every read passes here, not only a deferred one.)"""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = instance.__dict__.get(self.field.attname, Sealed)
        if value is Sealed:  # deferred: Django loads it
            return super().__get__(instance, cls)
        if type(value) is Sealed:
            value = instance.__dict__[self.field.attname] = self.field.decrypt(value.stored)
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text stored encrypted; "" and None are stored as they are.

    Lookups on it cannot match (every value has a fresh nonce): only read and write it."""

    descriptor_class = SealedAttribute

    def seal_context(self):
        return f"{self.model._meta.db_table}.{self.column}".encode()

    def decrypt(self, value):
        return sealing.decrypt(keyring(), value, self.seal_context()).decode()

    def from_db_value(self, value, expression, connection):
        return self.decrypt(value) if value else value

    def lazy_from_db_value(self, value, expression, connection):
        """For instances only (``compiled.CompiledLookup``): decrypted if and when it is read, as
        the token lookups bring the account's secrets that most requests never use."""
        return Sealed(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return sealing.encrypt(keyring(), value.encode(), self.seal_context())


def encrypted_models():
    """(model, [its EncryptedTextField names]) for every installed model that has one."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found.append((model, names))
    return found


def reencrypt(model, names, batch_size=500, progress=None):
    """Rewrite ``model``'s values that are not under the keyring's first key; returns
    (rows seen, rows rewritten), calling ``progress(rows seen, rows in all)`` after each batch.
    Each batch is locked while it is rewritten, so a concurrent write is neither lost nor
    overwritten with an older value."""
    ring = keyring()
    # Cast: the column's text as stored, next to the decrypted value the field gives.
    stored = {f"stored_{name}": Cast(name, models.TextField()) for name in names}
    seen = rewritten = 0
    pks = list(model._base_manager.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            batch = pks[start:start + batch_size]
            rows = (model._base_manager.select_for_update().filter(pk__in=batch)
                    .annotate(**stored).values("pk", *names, *stored))
            for row in rows:
                seen += 1
                stale = [name for name in names if row[f"stored_{name}"]
                         and not sealing.sealed_with_first_key(ring, row[f"stored_{name}"])]
                if stale:
                    model._base_manager.filter(pk=row["pk"]).update(**{n: row[n] for n in stale})
                    rewritten += 1
        if progress is not None:
            progress(seen, len(pks))
    return seen, rewritten
