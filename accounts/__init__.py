"""The auth server: accounts, tokens, sessions and the /v1 API plumbing."""
