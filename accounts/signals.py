"""What happened to an account, announced to the apps built on ``accounts`` (the RP events outbox
in ``oauth.events`` listens).

Each is sent inside the transaction of the change, so a receiver that writes rows commits or
rolls back with it; a receiver's error fails the change (nothing is announced that did not happen,
nothing that happened goes unannounced). Every signal has the keyword argument ``account``.
"""
from django.dispatch import Signal

# The password was changed or reset (not a v1 -> v2 upgrade of the same password).
# ``change_time``: ms since the epoch, the new verifierSetAt.
password_changed = Signal()

# Profile data relying parties may cache changed. ``changes``: the new values among ``email``,
# ``locale``, ``display_name``, ``avatar``, ``totp_enabled``, ``account_disabled``,
# ``account_locked`` (only those that changed; display name and avatar without their value).
profile_changed = Signal()

# The account opted out of data collection or back in. ``enabled``: the new state.
metrics_changed = Signal()

# The account is about to be deleted, in the transaction that deletes it (its rows still exist).
account_deleting = Signal()
