"""Signal receivers: thin, they call a use case.

The shop finds a variant by its folded names (``Variant.search_text``): whenever one of
those names is saved, through a form, the admin or a service, the texts that hold it are
written again. Bulk writes send no signals: their code calls the use case itself.
"""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from .models import Category, Label, Producer, Product, Variant
from .services import refresh_search_texts


@receiver(post_save, sender=Variant, dispatch_uid="producers.variant_search_text")
def variant_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        refresh_search_texts(Variant.objects.filter(pk=instance.pk))


@receiver(post_save, sender=Product, dispatch_uid="producers.product_search_text")
def product_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:  # a new product has no variants yet
        refresh_search_texts(Variant.objects.filter(product=instance))


@receiver(m2m_changed, sender=Product.labels.through, dispatch_uid="producers.labels_search_text")
def product_labels_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # label.products.add(...): the products are in pk_set (all of them on clear)
        products = {"product__labels": instance} if pk_set is None else {"product__in": pk_set}
        refresh_search_texts(Variant.objects.filter(**products))
    else:
        refresh_search_texts(Variant.objects.filter(product=instance))


@receiver(post_save, sender=Producer, dispatch_uid="producers.producer_search_text")
def producer_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:
        refresh_search_texts(Variant.objects.filter(product__producer=instance))


@receiver(post_save, sender=Category, dispatch_uid="producers.category_search_text")
def category_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:
        refresh_search_texts(Variant.objects.filter(product__category=instance))


@receiver(post_save, sender=Label, dispatch_uid="producers.label_search_text")
def label_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and not created:
        refresh_search_texts(Variant.objects.filter(product__labels=instance))
