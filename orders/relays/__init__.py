"""Ordering for someone else: relays of a hub and the people a household names.

A relay (``foodhub.hubs.models.Relay``, or a manager of the hub) makes the record of a
household that has neither e-mail nor password, with its recorded consent, and orders for
it; a household with an account names a person who may order for it, and withdraws that
right whenever it wants. Either way the right is an ``OrderingRight`` and every order keeps
who placed it (``Order.placed_by``, and each change's author in its events).
"""
