"""What an invoice or a credit note says, and its file: a PDF/A-3 with its EN 16931 XML
inside (Factur-X, profile EN 16931), so that the household's or a company's accounting
software reads it as it is.

1. ``invoice_content(order)`` is plain data: the lines as the household gets them after
   the close (``OrderLine.final_total``: the weight, the quantity delivered), the hub fee,
   and the amounts per VAT rate by the rules of ``orders.pricing`` (prices include VAT;
   the VAT of each rate is worked out once on the rate's total, rule 5).
2. ``cii_xml(document)`` writes the Cross Industry Invoice XML of an issued invoice or
   credit note (type 380 or 381) from its frozen data, with lxml.
3. ``document_pdf(document)`` lays the frozen data out in HTML, through WeasyPrint as
   PDF/A-3b, and embeds the XML with the ``factur-x`` library (``generate_from_binary``).

The legal mentions of a French invoice (CGI art. 242 nonies A) are on the page: seller's
name, address, SIRET and VAT number, the buyer, the date and number, each line's
quantity, unit price excl. VAT, VAT rate and amounts, the totals per rate, and the
payment terms.
"""

import io
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree

from orders.models import CreditNote, Invoice, Order
from orders.pricing import RATE_PLACES, ZERO, money, vat_included

QUANTITY_PLACES = Decimal("0.001")
PRICE_PLACES = Decimal("0.0001")

# Units of the UN/ECE recommendation 20 list, as EN 16931 asks: a piece, a kilogram.
UNIT_CODES = {"piece": "C62", "kg": "KGM"}
INVOICE_TYPE, CREDIT_NOTE_TYPE = "380", "381"


@dataclass(frozen=True)
class Content:
    """An invoice's lines and amounts, as ``IssuedDocument`` stores them (text amounts)."""

    lines: list[dict]
    vat_rows: list[dict]
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal


def _rate(value) -> Decimal:
    return Decimal(value).quantize(RATE_PLACES)


def priced(rows: list[dict]) -> Content:
    """Amounts of ``rows`` (each {"description", "quantity", "unit", "unit_price",
    "vat_rate", "total"}, Decimals, prices incl. VAT): per rate, the VAT contained in the
    rate's total (rule 5 of ``orders.pricing``), and each line's amount excl. VAT, the
    largest line of a rate taking the cent of rounding so that the lines of a rate add up
    to the rate's amount excl. VAT (as EN 16931 checks)."""
    totals: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        totals[_rate(row["vat_rate"])] += row["total"]
    vat_rows = []
    nets = [row["total"] - vat_included(row["total"], row["vat_rate"]) for row in rows]
    for rate, total in sorted(totals.items()):
        vat = vat_included(total, rate)
        vat_rows.append({"rate": rate, "net": total - vat, "vat": vat, "total": total})
        of_rate = [n for n, row in enumerate(rows) if _rate(row["vat_rate"]) == rate]
        largest = max(of_rate, key=lambda n: (rows[n]["total"], -n))
        nets[largest] += (total - vat) - sum(nets[n] for n in of_rate)
    lines = [
        {
            "description": row["description"],
            "quantity": str(row["quantity"]),
            "unit": row["unit"],
            "unit_price": str(row["unit_price"]),
            "vat_rate": str(_rate(row["vat_rate"])),
            "total": str(row["total"]),
            "net": str(net),
            **({"invoice_line": row["invoice_line"]} if "invoice_line" in row else {}),
        }
        for row, net in zip(rows, nets, strict=True)
    ]
    total_vat = sum((row["vat"] for row in vat_rows), ZERO)
    total = sum((row["total"] for row in vat_rows), ZERO)
    return Content(
        lines=lines,
        vat_rows=[{key: str(value) for key, value in row.items()} for row in vat_rows],
        total_excl_vat=total - total_vat,
        total_vat=total_vat,
        total_incl_vat=total,
    )


def invoice_rows(order: Order) -> list[dict]:
    """The order's lines as the household gets them after the close (what came, weighed),
    then the hub fee, in French (an invoice issued in France is written in French)."""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for line in order.lines.all():
            if line.final_quantity == 0:
                continue
            description = f"{line.product_name} — {line.variant_name} ({line.producer_name})"
            if line.actual_weight is not None:
                quantity, unit, unit_price = line.actual_weight, "kg", line.charged_price_per_kg
                description += " — " + _("weighed, %(count)s piece(s)") % {
                    "count": line.final_quantity
                }
            else:
                quantity, unit, unit_price = line.final_quantity, "piece", line.charged_unit_price
            rows.append({
                "description": description, "quantity": quantity, "unit": unit,
                "unit_price": unit_price, "vat_rate": line.vat_rate, "total": line.final_total,
            })  # fmt: skip
        if order.fee_total:
            rows.append({
                "description": _("Hub fee"), "quantity": 1, "unit": "piece",
                "unit_price": order.fee_total, "vat_rate": order.cycle.fee_vat_rate_decimal,
                "total": order.fee_total,
            })  # fmt: skip
    return rows


def invoice_content(order: Order) -> Content:
    return priced(invoice_rows(order))


def seller_of(hub) -> dict:
    return {
        "name": hub.legal_name, "legal_form": hub.legal_form, "trade_name": hub.name,
        "street": hub.legal_street, "postcode": hub.legal_postcode, "city": hub.legal_city,
        "siret": hub.siret, "vat_number": hub.vat_number, "email": hub.contact_email,
    }  # fmt: skip


def buyer_of(order: Order) -> dict:
    customer = order.customer
    return {
        "name": customer.full_name or order.full_name,
        "email": customer.email or order.email,
        "phone": customer.phone or order.phone,
        "customer": customer.pk,
    }


# The XML (UN/CEFACT Cross Industry Invoice D16B, as Factur-X 1.0 carries it)

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
EN16931 = "urn:cen.eu:en16931:2017"


def _el(parent, tag: str, text=None, **attributes):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NSMAP[prefix]}}}{name}", attributes)
    if text is not None:
        element.text = str(text)
    return element


def _date(parent, tag: str, moment) -> None:
    day = timezone.localtime(moment).date() if hasattr(moment, "hour") else moment
    _el(_el(parent, tag), "udt:DateTimeString", day.strftime("%Y%m%d"), format="102")


def _email(party, address: str) -> None:
    _el(_el(party, "ram:URIUniversalCommunication"), "ram:URIID", address, schemeID="EM")


def _amount(value) -> str:
    return str(money(Decimal(value)))


def cii_xml(document: Invoice | CreditNote) -> bytes:
    """The EN 16931 XML of an issued invoice or credit note, from what it froze."""
    is_credit = isinstance(document, CreditNote)
    seller, buyer = document.seller, document.buyer
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(_el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID", EN16931)

    header = _el(root, "rsm:ExchangedDocument")
    _el(header, "ram:ID", document.number)
    _el(header, "ram:TypeCode", CREDIT_NOTE_TYPE if is_credit else INVOICE_TYPE)
    _date(header, "ram:IssueDateTime", document.issued_at)
    if is_credit:
        _el(_el(header, "ram:IncludedNote"), "ram:Content", document.reason)
    if seller.get("legal_form"):
        note = _el(header, "ram:IncludedNote")
        _el(note, "ram:Content", seller["legal_form"])
        _el(note, "ram:SubjectCode", "REG")

    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(document.lines, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", number)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", line["description"])
        quantity = Decimal(line["quantity"])
        net_price = (Decimal(line["net"]) / quantity).quantize(PRICE_PLACES)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", net_price)
        delivery = _el(item, "ram:SpecifiedLineTradeDelivery")
        _el(delivery, "ram:BilledQuantity", quantity, unitCode=UNIT_CODES[line["unit"]])
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", "S")
        _el(tax, "ram:RateApplicablePercent", line["vat_rate"])
        summation = _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
        _el(summation, "ram:LineTotalAmount", _amount(line["net"]))

    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    party = _el(agreement, "ram:SellerTradeParty")
    _el(party, "ram:Name", seller["name"])
    legal = _el(party, "ram:SpecifiedLegalOrganization")
    _el(legal, "ram:ID", seller["siret"], schemeID="0009")  # 0009: a SIRET
    if seller.get("trade_name"):
        _el(legal, "ram:TradingBusinessName", seller["trade_name"])
    address = _el(party, "ram:PostalTradeAddress")
    _el(address, "ram:PostcodeCode", seller["postcode"])
    _el(address, "ram:LineOne", seller["street"])
    _el(address, "ram:CityName", seller["city"])
    _el(address, "ram:CountryID", "FR")
    if seller.get("email"):
        _email(party, seller["email"])
    _el(_el(party, "ram:SpecifiedTaxRegistration"), "ram:ID", seller["vat_number"], schemeID="VA")
    party = _el(agreement, "ram:BuyerTradeParty")
    _el(party, "ram:ID", f"C{buyer['customer']}")
    _el(party, "ram:Name", buyer["name"])
    if buyer.get("email"):
        _email(party, buyer["email"])
    if not is_credit:
        referenced = _el(agreement, "ram:BuyerOrderReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", document.order.number)

    _el(transaction, "ram:ApplicableHeaderTradeDelivery")

    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    for row in document.vat_rows:
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:CalculatedAmount", _amount(row["vat"]))
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:BasisAmount", _amount(row["net"]))
        _el(tax, "ram:CategoryCode", "S")
        _el(tax, "ram:RateApplicablePercent", row["rate"])
    terms = payment_terms(document)
    if terms:
        _el(_el(settlement, "ram:SpecifiedTradePaymentTerms"), "ram:Description", terms)
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(document.total_excl_vat))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(document.total_excl_vat))
    _el(summation, "ram:TaxTotalAmount", _amount(document.total_vat), currencyID="EUR")
    _el(summation, "ram:GrandTotalAmount", _amount(document.total_incl_vat))
    _el(summation, "ram:DuePayableAmount", _amount(document.total_incl_vat))
    if is_credit:
        referenced = _el(settlement, "ram:InvoiceReferencedDocument")
        _el(referenced, "ram:IssuerAssignedID", document.invoice.number)
        issued = _el(referenced, "ram:FormattedIssueDateTime")
        day = timezone.localtime(document.invoice.issued_at).strftime("%Y%m%d")
        _el(issued, "qdt:DateTimeString", day, format="102")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def payment_terms(document) -> str:
    """What the document says of payment, in French: the invoice's note frozen when it was
    issued; a credit note's amount goes to the household's balance with the hub."""
    with translation.override(settings.LANGUAGE_CODE):
        if isinstance(document, CreditNote):
            return _("Credited to your balance with the hub, used for your next orders.")
        note = document.payment_note
        return f"{note} " + _("No discount for early payment.") if note else ""


# The PDF


def document_html(document: Invoice | CreditNote) -> str:
    is_credit = isinstance(document, CreditNote)
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "orders/billing/invoice_pdf.html",
            {
                "doc": document,
                "is_credit": is_credit,
                "lines": [_shown(line) for line in document.lines],
                "vat_rows": [
                    {key: Decimal(value) for key, value in row.items()} for row in document.vat_rows
                ],
                "terms": payment_terms(document),
                "site_name": settings.SITE_NAME,
            },
        )


def _shown(line: dict) -> dict:
    """A frozen line with its amounts as numbers, and its unit price excl. VAT."""
    quantity = Decimal(line["quantity"])
    return {
        **line,
        "quantity": quantity,
        "unit_price": Decimal(line["unit_price"]),
        "unit_price_excl_vat": money(Decimal(line["net"]) / quantity),
        "vat_rate": Decimal(line["vat_rate"]),
        "total": Decimal(line["total"]),
        "net": Decimal(line["net"]),
    }


_fonts = threading.local()


def html_pdf(html: str) -> bytes:
    """HTML through WeasyPrint as PDF/A-3b (what a Factur-X file is made of). The fonts
    are looked up once per thread, not for each invoice (a fifth of a page's time)."""
    from weasyprint import HTML  # imported when a PDF is made: not every process needs it
    from weasyprint.text.fonts import FontConfiguration  # as WeasyPrint above

    if getattr(_fonts, "config", None) is None:
        _fonts.config = FontConfiguration()
    return HTML(string=html).write_pdf(pdf_variant="pdf/a-3b", font_config=_fonts.config)


def document_pdf(document: Invoice | CreditNote, *, check_xsd: bool = False) -> bytes:
    """The Factur-X PDF of an issued document: its page, with its XML embedded. The XML is
    written by ``cii_xml`` from the frozen data, which the tests check against the XSD
    (``check_xsd``), so the worker does not read the schema again for every invoice."""
    import facturx  # imported when a PDF is made: not every process needs it

    pdf = html_pdf(document_html(document))
    kind = _("Credit note") if isinstance(document, CreditNote) else _("Invoice")
    return facturx.generate_from_binary(
        pdf,
        cii_xml(document),
        flavor="factur-x",
        level="en16931",
        check_xsd=check_xsd,
        pdf_metadata={
            "author": document.seller["name"],
            "keywords": "Factur-X",
            "title": f"{kind} {document.number}",
            "subject": f"{kind} {document.number} — {document.seller['name']}",
        },
        lang="fr-FR",
    )


def read_xml(pdf: bytes) -> bytes:
    """The XML embedded in a Factur-X PDF (for the tests and whoever checks a file)."""
    import facturx  # imported when a file is read: not every process needs it

    _name, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    return xml
