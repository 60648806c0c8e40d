"""Signals the subscriptions app sends when a user's subscriptions change."""
from django.dispatch import Signal

# Sent inside the transaction that changed the account's capabilities, so receivers that write
# rows (the RP events outbox) commit or roll back with it. Keyword arguments: ``account``,
# ``capabilities_by_client`` (client_id -> sorted list of the capabilities that changed for it),
# ``is_active`` (bool: granted or revoked), ``change_time`` (int, ms since the epoch).
capabilities_changed = Signal()
