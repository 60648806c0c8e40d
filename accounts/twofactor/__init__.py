"""Two-step authentication: TOTP authenticators, backup authentication codes, MFA step-up tokens."""
