"""The subscription pages (issue 20): a product's checkout, its success and failure pages, and
/subscriptions, where a subscriber manages what they pay for.

The views render the product from the local catalogue; everything that needs the user happens
in the browser (static/js/pages/subscriptions_*.js) over /v1, as a third-party client would: the
page trades its session token for an access token of the pages' own OAuth client
(migration 0002) and calls the §4 routes with it. Stripe.js, the one outside script of the site,
is allowed by these pages' Content-Security-Policy only.
"""
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import translation
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.template.response import TemplateResponse
from django.views.generic import TemplateView

from accounts.errors import AppError
from accounts.middleware import CONTENT_SECURITY_POLICY

from . import services
from .authentication import SUBSCRIPTIONS_SCOPE

# The subscription pages' OAuth client (migration 0002: upstream's payments client id).
PAGES_CLIENT_ID = "59cceb6f8c32317c"


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_csp(*, stripe, image_url=""):
    """The site's policy, plus the product's icon (its own origin) and, with ``stripe``,
    Stripe.js: its script and frames from STRIPE_JS_URL's origin, and the calls it makes to the
    Stripe API (STRIPE_API_BASE) and to its own origin."""
    policy = dict(item.split(" ", 1) for item in CONTENT_SECURITY_POLICY.split("; "))
    if image_url.startswith(("https://", "http://")):
        policy["img-src"] = f"{policy['img-src']} {_origin(image_url)}"
    if stripe:
        js = _origin(settings.STRIPE_JS_URL)
        api = _origin(settings.STRIPE_API_BASE)
        policy["script-src"] = f"'self' {js}"
        policy["frame-src"] = f"{js} https://hooks.stripe.com"
        policy["connect-src"] = " ".join(dict.fromkeys(["'self'", js, api]))
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _details(metadata, language):
    """``product:details:<n>`` in key order, localised (§2.1)."""
    numbers = sorted({key.split(":")[2] for key in metadata
                      if key.startswith("product:details:") and len(key.split(":")) == 3})
    return [services.localized(metadata, f"product:details:{n}", language) for n in numbers]


def product_context(product_id):
    """What the product's pages show, from its offered plans; None for an unknown product."""
    plans = [plan for plan in services.offered_plans() if plan.product_id == product_id]
    if not plans:
        return None
    language = translation.get_language() or "en"
    metadata = plans[0].merged_metadata()
    return {
        "product_id": product_id,
        "name": services.localized(metadata, "product:name", language) or plans[0].product.name,
        "subtitle": services.localized(metadata, "product:subtitle", language) or "",
        "details": _details(metadata, language),
        "icon_url": metadata.get("webIconURL", ""),
        "icon_background": metadata.get("webIconBackground", ""),
        "terms_url": services.localized(metadata, "product:termsOfServiceURL", language),
        "privacy_url": services.localized(metadata, "product:privacyNoticeURL", language),
        "success_url": metadata.get("successActionButtonURL") or metadata.get("downloadURL", ""),
        "success_label": services.localized(metadata, "product:successActionButtonLabel", language),
        "plans": [{"id": plan.plan_id, "amount": plan.amount, "currency": plan.currency,
                   "interval": plan.interval, "interval_count": plan.interval_count}
                  for plan in sorted(plans, key=lambda p: (p.currency, p.interval, p.amount))],
    }


@method_decorator(never_cache, name="dispatch")
class SubscriptionPage(TemplateView):
    """A page whose module (``data-page``) does the work, with Stripe.js when ``stripe`` is set."""

    page = None
    stripe = False

    def get_template_names(self):
        return [f"subscriptions/{self.page.removeprefix('subscriptions_')}.html"]

    def context(self, **kwargs):
        return {}

    def get(self, request, *args, **kwargs):
        try:
            extra = self.context(**kwargs)
        except AppError:  # Stripe is not configured (errno 202) or not answering (203)
            return self.problem(503, unavailable=True)
        if extra is None:
            return self.problem(404, unknown_product=True)
        response = self.render_to_response(self.get_context_data(
            page=self.page, stripe_js_url=settings.STRIPE_JS_URL,
            stripe_key=settings.STRIPE_PUBLISHABLE_KEY, client_id=PAGES_CLIENT_ID,
            scope=SUBSCRIPTIONS_SCOPE, with_stripe=self.stripe, **extra))
        icon = extra.get("product", {}).get("icon_url", "")
        response["Content-Security-Policy"] = page_csp(stripe=self.stripe, image_url=icon)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def problem(self, status, **flags):
        """The page that says there is nothing to buy here (under the site's strict CSP)."""
        return TemplateResponse(self.request, "subscriptions/unavailable.html", flags, status=status)


class ProductPage(SubscriptionPage):
    """/subscriptions/products/<productId>: plan, price and tax, promotion code, sign-in or
    sign-up, and the card."""

    page = "subscriptions_product"
    stripe = True

    def context(self, product_id):
        product = product_context(product_id)
        return product and {"product": product}


class SuccessPage(ProductPage):
    page = "subscriptions_success"
    stripe = False


class FailurePage(ProductPage):
    """The payment failed: why, and another card (invoice/retry, or a new attempt)."""

    page = "subscriptions_failed"


class ManagePage(SubscriptionPage):
    """/subscriptions: the signed-in user's subscriptions, card and invoices."""

    page = "subscriptions_manage"
    stripe = True

    def context(self):
        language = translation.get_language() or "en"
        # Upgrades the catalogue offers, per plan: the page shows the ones its user may take.
        plans = [services.abbreviated_plan(plan, language) for plan in services.offered_plans()]
        return {"plans": [{"id": p["plan_id"], "product_id": p["product_id"],
                           "product_name": p["product_name"], "amount": p["amount"],
                           "currency": p["currency"], "interval": p["interval"],
                           "interval_count": p["interval_count"]} for p in plans]}
