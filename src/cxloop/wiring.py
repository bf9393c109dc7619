"""Connect domains that react to each other through registries. Apart from the app, so that CLI commands that
never serve HTTP do not import the web framework to get it."""

from __future__ import annotations

from cxloop.channels import outbound
from cxloop.channels.widget import erasure as widget_images
from cxloop.collection import rollups
from cxloop.core.config import Settings
from cxloop.customers import deletion, event_listeners, membership
from cxloop.governance.channels import registry as channel_registry
from cxloop.jobs import dispatch, queue
from cxloop.triggers import event_rules


def wire_domains(settings: Settings) -> None:
    """Connect domains that react to each other through registries (never by upward imports). Idempotent."""
    rollups.configure(settings.rollup_timezones)
    if rollups.on_membership_change not in membership.registry:
        membership.register_listener(rollups.on_membership_change)
    if not deletion.is_registered(rollups.forget_customers):
        deletion.register_deletion_listener(rollups.forget_customers)
    widget_images.configure(settings.data_dir)
    if not deletion.is_registered(widget_images.forget_images):
        deletion.register_deletion_listener(widget_images.forget_images)
    if not event_listeners.is_registered(event_rules.on_events_stored):
        event_listeners.register_listener(event_rules.on_events_stored)
    outbound.register_senders()  # email and SMS senders into the channel registry, then no more changes
    channel_registry.freeze()
    # Jobs queued by this process (e.g. rule evaluation after events are stored) go to the settings' queue.
    dispatch.install(queue.enqueuer(settings, name=settings.jobs_queue))
