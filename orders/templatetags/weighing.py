"""One row of the weighing page, written in Python: a page has a row a line, a thousand of
them on a big week (``BENCH weigh_page_ms``), and the same row comes back alone when a
weight is saved. What does not change from row to row (words, separators, the CSRF
field) is prepared once per page (``_Rows``)."""

from decimal import Decimal
from html import escape

from django import template
from django.utils import formats, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


class _Rows:
    """The parts of a row that are the same on the whole page, in its language."""

    def __init__(self, context):
        self.page_url = escape(context["page_url"])
        self.show_names = context["show_names"]
        self.csrf = escape(str(context.get("csrf_token", "")))
        self.decimal = formats.get_format("DECIMAL_SEPARATOR")
        self.thousands = formats.get_format("THOUSAND_SEPARATOR")
        self.english = (translation.get_language() or "fr").startswith("en")
        self.kg = escape(_("kg"))
        self.save = escape(_("Save"))
        self.confirm = escape(_("Confirm this weight"))
        self.unit = {
            count: ngettext(
                "%(quantity)s unit, about %(estimate)s kg",
                "%(quantity)s units, about %(estimate)s kg",
                count,
            )
            for count in (1, 2)
        }
        self.weighed = _("Weighed: %(price)s (estimate %(estimate)s).")
        self.estimate = _("Estimate %(estimate)s.")

    def number(self, value: Decimal, places: int) -> str:
        """As ``number_format(value, places, force_grouping=True)`` does, faster."""
        text = f"{value:,.{places}f}"
        return text.replace(",", "\0").replace(".", self.decimal).replace("\0", self.thousands)

    def euros(self, amount: Decimal) -> str:
        """As the ``euros`` filter writes an amount."""
        number = self.number(amount, 2)
        return f"€{number}" if self.english else f"{number}\u00a0€"

    def weight(self, kg: Decimal) -> str:
        """A weight without useless zeros: 3, 1,5, 0,125."""
        text = self.number(kg, 3).rstrip("0")
        return text[: -len(self.decimal)] if text.endswith(self.decimal) else text

    def row(self, line, state: dict) -> str:
        pk, weighed = line.pk, line.actual_weight is not None
        error, confirmation = state.get("error", ""), state.get("confirmation", "")
        classes = "weigh-row"
        if weighed:
            classes += " is-weighed"
        if error:
            classes += " has-error"
        if confirmation:
            classes += " needs-confirmation"
        if state.get("typed"):
            value = escape(state["typed"])
        else:
            value = self.number(line.actual_weight, 3) if weighed else ""
        # What is delivered (after a shortage, fewer pieces than ordered) is weighed; most
        # lines deliver what was ordered, read as it is (a thousand rows).
        if line.delivered_quantity is None:
            quantity, kg, estimate = line.quantity, line.estimated_weight, line.total
        else:
            quantity, kg = line.delivered_quantity, line.final_estimated_weight
            estimate = line.full_final_estimate
        what = escape(
            self.unit[1 if quantity == 1 else 2]
            % {"quantity": quantity, "estimate": self.weight(kg)}
        )
        if error:
            status = f'<span class="error">{escape(error)}</span>'
        elif confirmation:
            status = escape(confirmation)
        elif weighed:
            status = escape(
                self.weighed
                % {"price": self.euros(line.full_final_total), "estimate": self.euros(estimate)}
            )
        else:
            status = escape(self.estimate % {"estimate": self.euros(estimate)})
        if confirmation:
            button = (
                '<input type="hidden" name="confirm" value="on">'
                f'<button type="submit" class="weigh-confirm">{self.confirm}</button>'
            )
        else:
            button = f'<button type="submit" class="secondary">{self.save}</button>'
        order = line.order
        who = f"<strong>{escape(order.full_name)}</strong> " if self.show_names else ""
        url = f"{self.page_url}{pk}/"
        invalid = ' aria-invalid="true"' if error else ""
        return (
            f'<li id="line-{pk}" class="{classes}">\n'
            f'<form method="post" action="{url}" hx-post="{url}" hx-target="#line-{pk}" '
            'hx-swap="outerHTML" hx-trigger="change, submit" hx-sync="this:drop" novalidate>'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.csrf}">\n'
            f'<label for="weight-{pk}">{who}<span class="muted">{escape(order.number)}</span>'
            f"<br>{what}</label>\n"
            f'<span class="weigh-input"><input id="weight-{pk}" name="weight" type="text" '
            'inputmode="decimal" autocomplete="off" enterkeyhint="next" size="7" '
            f'value="{value}" aria-describedby="status-{pk}"{invalid}> {self.kg}</span>\n'
            f"{button}\n"
            f'<span id="status-{pk}" class="weigh-status">{status}</span>\n</form></li>'
        )


@register.simple_tag(takes_context=True)
def weighing_row(context, line):
    """The row of ``line``: who and what, its weight field and button, what it costs. The
    context gives the page's address (``page_url``), whether the households' names are
    shown (``show_names``) and the state of the row just posted (``row``: its ``error``,
    the ``confirmation`` it asks for, the weight ``typed``)."""
    rows = context.render_context.get(_Rows)
    if rows is None:
        rows = context.render_context[_Rows] = _Rows(context)
    state = context.get("row") or {}
    return mark_safe(rows.row(line, state if state.get("pk") == line.pk else {}))  # noqa: S308 - escaped above


@register.filter
def estimated(rows) -> bool:
    """Whether a list of priced rows (``pricing.PricedRow``) holds a line sold by weight,
    whose price is an estimate until it is weighed."""
    return any(row.per_kg is not None for row in rows)
