"""Invoice pages: a cycle's for its hub's managers, a household's own."""

from django.urls import path

from . import invoices_views as views

app_name = "invoices"

CYCLE = "hubs/<slug:hub_slug>/cycles/<id:cycle_pk>/invoices/"

urlpatterns = [
    path(CYCLE, views.cycle_invoices, name="cycle"),
    path(f"{CYCLE}final/", views.confirm_final, name="confirm_final"),
    path(f"{CYCLE}invoices.zip", views.invoices_zip, name="zip"),
    path(f"{CYCLE}sales-journal.csv", views.sales_journal, name="journal"),
    path(f"{CYCLE}<id:pk>/", views.invoice_pdf, name="invoice_pdf"),
    path(f"{CYCLE}<id:pk>/credit-note/", views.credit_note_new, name="credit_note_new"),
    path(f"{CYCLE}credit-notes/<id:pk>/", views.credit_note_pdf, name="credit_note_pdf"),
    path("orders/invoices/<id:pk>/", views.my_invoice, name="my_invoice"),
    path("orders/credit-notes/<id:pk>/", views.my_credit_note, name="my_credit_note"),
    path("orders/o/<str:token>/invoice/", views.invoice_by_token, name="by_token"),
    path(
        "orders/o/<str:token>/credit-notes/<id:pk>/",
        views.credit_note_by_token,
        name="credit_note_by_token",
    ),
]
