"""The profile settings in Debian's Chromium against the live stack: the display name, and the
profile picture (choose, crop, save, remove, a bad file), each checked on the profile server as
another client of the account sees it (PyFxA's session) and after a reload.

Screenshots: settings_display_name_*, settings_avatar_* and settings_avatar_crop_* at 1280 and
375 px in artifacts/screenshots/.
"""
import io
import re

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.browser import SCREENSHOTS
from tests.e2e.settings_pages import open_settings, signed_in
from tests.e2e.test_pages_signup_signin import api, arrive, page_errors
from tests.helpers import token_credentials

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RED, BLUE = (200, 30, 60), (20, 90, 220)


def shot(page, name):
    """``<name>_1280.png`` and ``<name>_375.png``: the page as it is now, at both widths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (375, 740)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SCREENSHOTS / f"{name}_{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def profile(stack, client_session):
    """GET /v1/profile as another client of the account (the PyFxA session)."""
    token_id = token_credentials(client_session.token, "sessionToken")[0]
    response = requests.get(f"{stack.url}/v1/profile", headers={"Authorization": f"Bearer fxs_{token_id}"},
                            timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def two_colour_png(size=(300, 200)):
    """Red on the left half, blue on the right: a centred square crop keeps both."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def close(colour, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def test_change_the_display_name(live_stack, browser_page):
    page = browser_page
    _, client_session = signed_in(page, live_stack, "e2e.settings.name")
    open_settings(page, live_stack, "/settings/display_name")
    name = page.locator("#display-name")
    expect(name).to_have_value("")
    shot(page, "settings_display_name")

    # The profile server's rules, checked before the call: no control characters.
    name.fill("Ada\u0007")
    page.click("#display-name-form [type=submit]")
    expect(page.locator("#display-name-error")).to_contain_text("special characters")
    assert "displayName" not in profile(live_stack, client_session)

    name.fill("  Ada Lovelace 🧮 ")
    page.click("#display-name-form [type=submit]")
    expect(page.locator("[data-toast]")).to_have_text("Display name saved.")
    expect(page.locator("#display-name-error")).to_be_empty()
    assert profile(live_stack, client_session)["displayName"] == "Ada Lovelace 🧮"

    page.reload()
    arrive(page, "**/settings/display_name")
    expect(name).to_have_value("Ada Lovelace 🧮")

    # A change from another client shows on the next load; clearing the field removes the name.
    requests.post(f"{live_stack.url}/v1/display_name", json={"displayName": "Grace"}, timeout=30, headers={
        "Authorization": f"Bearer fxs_{token_credentials(client_session.token, 'sessionToken')[0]}"})
    page.reload()
    arrive(page, "**/settings/display_name")
    expect(name).to_have_value("Grace")
    name.fill("")
    page.click("#display-name-form [type=submit]")
    expect(page.locator("[data-toast]")).to_have_text("Display name removed.")
    assert "displayName" not in profile(live_stack, client_session)
    assert page_errors(page) == []

    # The page's session destroyed elsewhere: the next save signs the page out.
    browser_token = page.evaluate("JSON.parse(localStorage.getItem('fxa.account')).sessionToken")
    api(live_stack, "/session/destroy", {}, browser_token)
    name.fill("Lin")
    page.click("#display-name-form [type=submit]")
    page.wait_for_url(re.compile(r"/\?redirect_to=%2Fsettings%2Fdisplay_name"))
    assert "displayName" not in profile(live_stack, client_session)


def test_upload_crop_and_remove_the_avatar(live_stack, browser_page):
    page = browser_page
    email, client_session = signed_in(page, live_stack, "e2e.settings.avatar")
    # Firefox links to /settings/avatar/change.
    open_settings(page, live_stack, "/settings/avatar/change")
    assert page.url.endswith("/settings/avatar")
    image = page.locator("[data-avatar-image]")
    expect(image).to_have_attribute("data-avatar-default", "true")
    expect(image).to_have_attribute("src", re.compile(rf"/v1/avatar/{email[0]}$"))
    expect(page.locator("[data-avatar-remove]")).to_be_hidden()
    shot(page, "settings_avatar")

    # Files that are no picture, said in words, and nothing is sent.
    chooser = page.locator("#avatar-file")
    notice = page.locator("[data-avatar-notice]")
    chooser.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"})
    expect(notice).to_contain_text("This file is not a picture we can use")
    shot(page, "settings_avatar_bad_file")
    chooser.set_input_files({"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG broken"})
    expect(notice).to_contain_text("We could not open this picture")
    expect(page.locator("[data-avatar-crop]")).to_be_hidden()

    # A 300 x 200 picture: cropped to its centre square, then zoomed and moved.
    chooser.set_input_files({"name": "me.png", "mimeType": "image/png", "buffer": two_colour_png()})
    crop = page.locator("[data-avatar-crop]")
    expect(crop).to_be_visible()
    expect(notice).to_be_empty()
    pixel = "([x, y]) => Array.from(document.querySelector('[data-avatar-canvas]').getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3))"
    assert close(page.evaluate(pixel, [100, 300]), RED) and close(page.evaluate(pixel, [500, 300]), BLUE)
    page.evaluate("""() => {
        const zoom = document.getElementById('avatar-zoom');
        zoom.value = '2';
        zoom.dispatchEvent(new Event('input'));
    }""")
    # Zoomed 2x around the centre, the square is 100 source px: still red | blue at the middle.
    assert close(page.evaluate(pixel, [250, 300]), RED) and close(page.evaluate(pixel, [350, 300]), BLUE)
    shot(page, "settings_avatar_crop")
    for _ in range(10):
        page.locator("[data-avatar-canvas]").press("ArrowLeft")  # the picture moves right: more red
    assert close(page.evaluate(pixel, [500, 300]), RED)
    # Dragged far to the left, the square stops at the picture's right edge: all blue.
    box = page.locator("[data-avatar-canvas]").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] - 400, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    assert close(page.evaluate(pixel, [100, 300]), BLUE) and close(page.evaluate(pixel, [500, 300]), BLUE)

    with page.expect_response(lambda r: r.url.endswith("/v1/avatar/upload")) as uploaded:
        page.click("#avatar-crop-form [type=submit]")
    assert uploaded.value.status == 201
    expect(page.locator("[data-toast]")).to_have_text("Profile picture saved.")
    expect(crop).to_be_hidden()
    expect(image).to_have_attribute("data-avatar-default", "false")
    current = profile(live_stack, client_session)
    assert current["avatarDefault"] is False
    expect(image).to_have_attribute("src", current["avatar"])
    stored = Image.open(io.BytesIO(requests.get(current["avatar"], timeout=30).content)).convert("RGB")
    assert stored.size == (600, 600)  # the square, not the 300 x 200 original
    assert close(stored.getpixel((20, 300)), BLUE) and close(stored.getpixel((580, 300)), BLUE)
    expect(page.locator("[data-avatar-remove]")).to_be_visible()

    page.reload()
    arrive(page, "**/settings/avatar")
    expect(image).to_have_attribute("src", current["avatar"])
    shot(page, "settings_avatar_uploaded")

    page.click("#avatar-remove-form [type=submit]")
    expect(page.locator("[data-toast]")).to_have_text("Profile picture removed.")
    expect(image).to_have_attribute("data-avatar-default", "true")
    expect(page.locator("[data-avatar-remove]")).to_be_hidden()
    assert profile(live_stack, client_session)["avatarDefault"] is True
    assert requests.get(current["avatar"], timeout=30).status_code == 404
    assert page_errors(page) == []
