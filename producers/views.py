from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.collation import french
from foodhub.inputs import redirect_next

from . import catalogue_csv, services
from .forms import (
    CatalogueFilterForm,
    CatalogueImportForm,
    ProducerProfileForm,
    ProductForm,
    QuickVariantForm,
    VariantFormSet,
)
from .models import Product, Variant
from .selectors import catalogue_products, get_producer_for

PRODUCTS_PER_PAGE = 25
QUICK_ROWS_PER_PAGE = 100


@login_required
def catalogue(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    filters = CatalogueFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    products = catalogue_products(
        producer,
        search=criteria.get("q", ""),
        category=getattr(criteria.get("category"), "slug", ""),
        label=getattr(criteria.get("label"), "slug", ""),
        status=criteria.get("status", ""),
    )
    page = Paginator(products, PRODUCTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "producers/catalogue.html",
        {
            "producer": producer,
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "counts": services.catalogue_counts(producer),
        },
    )


@login_required
def producer_profile(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    if request.method == "POST":
        form = ProducerProfileForm(request.POST, request.FILES, instance=producer)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your details are saved."))
            return redirect("producers:profile", producer_slug=producer.slug)
    else:
        form = ProducerProfileForm(instance=producer)
    return render(
        request,
        "producers/profile.html",
        {"producer": producer, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _product_of(producer, pk) -> Product:
    return get_object_or_404(Product.objects.filter(producer=producer), pk=pk)


@login_required
def product_create(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    product = Product(producer=producer)
    return _product_form(request, producer, product, created=True)


@login_required
def product_edit(request, producer_slug, pk):
    producer = get_producer_for(request.user, producer_slug)
    return _product_form(request, producer, _product_of(producer, pk), created=False)


def _ordered_meanwhile_message(count: int, variant) -> str:
    return ngettext(
        "%(name)s: %(count)d was ordered while you were editing; the stock is now %(stock)d.",
        "%(name)s: %(count)d were ordered while you were editing; the stock is now %(stock)d.",
        count,
    ) % {"name": variant, "count": count, "stock": variant.stock_quantity}


def _stock_conflict_message(variant) -> str:
    return _(
        "%(name)s: the stock was not changed, as this product was saved from another page "
        "meanwhile. The stock is %(stock)d: check it."
    ) % {"name": variant, "stock": variant.stock_quantity}


def _product_form(request, producer, product, *, created):
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = ProductForm(data, files, instance=product, producer=producer)
    formset = VariantFormSet(data, instance=product, producer=producer, prefix="variants")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        with transaction.atomic():
            product = form.save()
            formset.instance = product
            formset.save()
        for vform in formset.forms:
            if vform.stock_conflict:
                messages.warning(request, _stock_conflict_message(vform.instance))
            if vform.ordered_meanwhile:
                messages.info(
                    request, _ordered_meanwhile_message(vform.ordered_meanwhile, vform.instance)
                )
        if created:
            messages.success(request, _("Product “%(name)s” created.") % {"name": product.name})
        else:
            messages.success(request, _("Product “%(name)s” saved.") % {"name": product.name})
        return redirect("producers:catalogue", producer_slug=producer.slug)
    return render(
        request,
        "producers/product_form.html",
        {"producer": producer, "product": product, "form": form, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def product_duplicate(request, producer_slug, pk):
    producer = get_producer_for(request.user, producer_slug)
    copy = services.duplicate_product(product=_product_of(producer, pk))
    messages.success(
        request,
        _("Copy created: check it, then put it on sale."),
    )
    return redirect("producers:product_edit", producer_slug=producer.slug, pk=copy.pk)


@login_required
@require_POST
def product_set_active(request, producer_slug, pk):
    producer = get_producer_for(request.user, producer_slug)
    product = _product_of(producer, pk)
    active = request.POST.get("active") == "1"
    services.set_product_active(product=product, active=active)
    if active:
        messages.success(request, _("“%(name)s” is on sale again.") % {"name": product.name})
    else:
        messages.success(
            request,
            _("“%(name)s” is no longer on sale. It is kept, with its history.")
            % {"name": product.name},
        )
    return redirect_next(request, producer.get_absolute_url())


@login_required
@require_POST
def variant_remove(request, producer_slug, pk):
    producer = get_producer_for(request.user, producer_slug)
    variant = get_object_or_404(
        Variant.objects.filter(product__producer=producer).select_related("product"), pk=pk
    )
    try:
        deleted = services.remove_variant(variant=variant)
    except services.LastVariantError as error:
        messages.error(request, str(error))
    else:
        if deleted:
            messages.success(request, _("Variant “%(name)s” deleted.") % {"name": variant.name})
        else:
            messages.info(
                request,
                _("Variant “%(name)s” has been ordered: it is kept but no longer on sale.")
                % {"name": variant.name},
            )
    return redirect("producers:product_edit", producer_slug=producer.slug, pk=variant.product_id)


def _quick_variants(producer):
    return (
        Variant.objects.filter(product__producer=producer)
        .select_related("product")
        .order_by(french("product__name"), "quantity_per_unit", "pk")
    )


@login_required
def quick_editor(request, producer_slug):
    """One page to update this week's prices and stock, row by row (htmx inline save)."""
    producer = get_producer_for(request.user, producer_slug)
    variants = _quick_variants(producer)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        variants = variants.filter(product__name__icontains=search)
    page = Paginator(variants, QUICK_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [{"variant": v, "form": QuickVariantForm(instance=v, prefix=f"v{v.pk}")} for v in page]
    return render(
        request,
        "producers/quick_editor.html",
        {"producer": producer, "rows": rows, "page": page, "search": search},
    )


@login_required
@require_POST
def quick_update(request, producer_slug, pk):
    producer = get_producer_for(request.user, producer_slug)
    variant = get_object_or_404(_quick_variants(producer), pk=pk)
    form = QuickVariantForm(request.POST, instance=variant, prefix=f"v{variant.pk}")
    saved = form.is_valid()
    if saved:
        variant = form.save()
        ordered_meanwhile = form.ordered_meanwhile
        stock_conflict = form.stock_conflict
        # The row shows the stock of now (and takes the next change from it).
        form = QuickVariantForm(instance=variant, prefix=f"v{variant.pk}")
    else:
        variant.refresh_from_db()
        ordered_meanwhile, stock_conflict = 0, False
    row = {
        "variant": variant,
        "form": form,
        "saved": saved,
        "saved_at": timezone.now(),
        "ordered_meanwhile": ordered_meanwhile,
        "stock_conflict": stock_conflict,
    }
    if request.htmx:
        return render(
            request,
            "producers/_quick_row.html",
            {"producer": producer, "row": row},
            status=200 if saved else 422,
        )
    if saved:
        messages.success(request, _("“%(name)s” saved.") % {"name": str(variant)})
        if ordered_meanwhile:
            messages.info(request, _ordered_meanwhile_message(ordered_meanwhile, variant))
        if stock_conflict:
            messages.warning(request, _stock_conflict_message(variant))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{variant}: {error}")
    return redirect("producers:quick_editor", producer_slug=producer.slug)


@login_required
def catalogue_import(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    if request.method == "POST":
        form = CatalogueImportForm(request.POST, request.FILES)
    else:
        form = CatalogueImportForm()
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = catalogue_csv.import_catalogue(
                producer=producer, data=form.cleaned_data["file"].read()
            )
        except catalogue_csv.CatalogueImportError as error:
            errors = error.errors
        else:
            messages.success(request, result.summary())
            for note in result.stock_notes:
                messages.warning(request, note.message)
            return redirect("producers:catalogue", producer_slug=producer.slug)
    return render(
        request,
        "producers/import.html",
        {
            "producer": producer,
            "form": form,
            "errors": errors,
            "columns": catalogue_csv.COLUMNS,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def catalogue_export(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    content = spreadsheets.csv_bytes(*catalogue_csv.catalogue_table(producer=producer))
    stamp = timezone.localdate().isoformat()
    return spreadsheets.csv_response(content, f"catalogue-{producer.slug}-{stamp}.csv")
