"""SMS to households: the order confirmation, the reminder the day before pickup and "the
shop is open", for the households that chose them.

- ``backends/``: who carries the SMS, chosen by ``settings.SMS_BACKEND`` like Django's
  e-mail backends (console, in-memory for tests, Twilio's HTTP API).
- ``gsm.py``: how long a text is in SMS terms (GSM-7 or UCS-2), and a text fitted to GSM-7.
- ``texts.py``: the SMS themselves, built by the outbox when they leave (``orders.outbox``,
  channel "sms": owed once, sent once, retried), in the household's language.
- ``services.py``: who chose which SMS (``set_sms_choices``), what a step owes, STOP.
- ``views.py``: the STOP link of each SMS, the provider's inbound webhook (a reply STOP),
  and each hub's SMS per month.
"""
