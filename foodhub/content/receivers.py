"""Wiring: the public pages follow hubs, producers and their teams as they change.

The lower apps know nothing of Wagtail; this app listens to their model events and calls
``editors``, after the change is committed (so a rolled-back hub leaves no page behind).
A page created in the admin for a new language gets its editors' permissions at once.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from foodhub.hubs.models import Hub, HubMembership
from producers.models import Producer, ProducerMembership

from . import editors
from .models import HubPage, ProducerPage


@receiver(post_save, sender=Hub, dispatch_uid="content_hub_created")
def hub_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        transaction.on_commit(lambda: editors.set_up_hub(Hub.objects.get(pk=instance.pk)))


@receiver(post_save, sender=Producer, dispatch_uid="content_producer_created")
def producer_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        transaction.on_commit(lambda: editors.set_up_producer(Producer.objects.get(pk=instance.pk)))


# A membership's owner, as editors.add_editor / remove_editor name it.
OWNER_OF_MEMBERSHIP = {HubMembership: "hub_id", ProducerMembership: "producer_id"}


def _owner(sender, membership) -> dict:
    field = OWNER_OF_MEMBERSHIP[sender]
    return {field: getattr(membership, field)}


@receiver(post_save, sender=HubMembership, dispatch_uid="content_hub_member_added")
@receiver(post_save, sender=ProducerMembership, dispatch_uid="content_producer_member_added")
def member_added(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        owner = _owner(sender, instance)
        transaction.on_commit(lambda: editors.add_editor(user_id=instance.user_id, **owner))


@receiver(post_delete, sender=HubMembership, dispatch_uid="content_hub_member_removed")
@receiver(post_delete, sender=ProducerMembership, dispatch_uid="content_producer_member_removed")
def member_removed(sender, instance, **kwargs):
    owner = _owner(sender, instance)
    transaction.on_commit(lambda: editors.remove_editor(user_id=instance.user_id, **owner))


@receiver(post_save, sender=HubPage, dispatch_uid="content_hub_page_saved")
@receiver(post_save, sender=ProducerPage, dispatch_uid="content_producer_page_saved")
def page_created(sender, instance, created, raw=False, **kwargs):
    # A translation or alias made in the admin is a new page in another tree.
    if created and not raw:
        editors.grant_page(instance)
