"""What the settings pages' browser tests share: an account signed in to /settings in the browser.

The account is made over the API by PyFxA (key stretching v2, address confirmed), then signed in
through the front door as a person would, so the page holds a real session."""
from tests.e2e.test_pages_signup_signin import (
    PASSWORD, expect_settings, open_page, pyfxa09_account, start_signin, submit_password, unique_email,
)


def signed_in(page, stack, prefix="e2e.settings"):
    """(email, PyFxA session of a second client) for a new account signed in to /settings."""
    email = unique_email(prefix)
    client_session = pyfxa09_account(stack, email)
    start_signin(page, stack, email)
    submit_password(page)
    expect_settings(page, email)
    return email, client_session


def open_settings(page, stack, path="/settings"):
    """Go to a settings page of the signed-in browser and wait for its module."""
    open_page(page, stack.url + path)


__all__ = ["PASSWORD", "open_settings", "signed_in"]
