"""The profile server (oauth.md §10): a token's view of its account's profile, the display name and
the avatar, under /v1 with bearer access tokens and the profile server's own errnos."""
