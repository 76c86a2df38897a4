"""A producer's own week: for each cycle of each hub it sells through, what was ordered of
it so far, what it will be paid, and where and when to deliver (``selectors``), on the
page "this week" under the producer's address (``views``).

May import the base.
"""
