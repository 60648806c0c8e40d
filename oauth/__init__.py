"""OAuth 2.0 / OpenID Connect for relying parties (django-oauth-toolkit)."""
