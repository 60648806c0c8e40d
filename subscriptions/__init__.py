"""Subscriptions and payments (Stripe, PayPal)."""
