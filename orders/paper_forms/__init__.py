"""Paper order forms: printed for a cycle and a pickup point, ticked by a household far
from screens, keyed back in by a relay (or a manager) line by line, then placed for the
household through the normal checkout (``orders.checkout.services.place_order``).

Line numbers (``PaperFormLine``) are given per cycle, so the same on the forms of every
point of the cycle: at the first print, in the form's order (category, product, variant),
1, 2, 3...; an offer added later gets the next free number at the next print that shows
it, and stays in its category on the form (its number out of sequence there). A number is
never changed nor given to another offer, so a form printed on Monday keys the same
products on Thursday. The keying screen shows the lines numbered when the form was printed.

Each printed copy is a ``PaperForm``, numbered ``<id>-<check digit>``: the number keyed, or
its QR code scanned, opens that form's keying screen; the order placed from it is kept on
it, so a form keyed a second time is noticed and not placed twice.

May import the base, ``checkout``, ``relays`` and ``printouts``.
"""
