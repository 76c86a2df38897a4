"""What households keep for themselves: their data (``my_data``: download, delete the
account), their calendar of pickups (``ical``), the "the shop is open" e-mail they chose
(``alerts``), and the views of these.

May import the base, ``checkout`` and ``printouts``.
"""
