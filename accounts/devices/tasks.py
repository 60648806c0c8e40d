"""Background jobs of the devices app: deliver one push; prune expired device commands."""
from celery import shared_task

from . import push, services
from .models import Device


@shared_task(ignore_result=True)
def deliver_push(device_id, endpoint, public_key, auth_key, message, ttl):
    """Send one notification; a push service answering 404/410 expires the device's endpoint.

    Not retried, as upstream: a lost notification costs a client a little latency (commands stay
    queued and clients fetch them on their own), while a retried one may arrive twice.
    """
    outcome = push.send(push.Subscription(endpoint, public_key, auth_key), message, ttl)
    if outcome is push.Outcome.EXPIRED:
        # Only if the device still has that endpoint: it may have re-registered meanwhile.
        Device.objects.filter(pk=device_id, push_callback=endpoint).update(push_endpoint_expired=True)
    return outcome.value


@shared_task
def prune_expired_commands():
    """Delete device commands past their ttl (run hourly by Celery beat)."""
    return services.prune_expired_commands()
