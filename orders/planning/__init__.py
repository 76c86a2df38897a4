"""The manager's week: order cycles (``cycles``: create, edit, publish, close now,
cancel, clone; what is offered, where and when) and the weekly schedules that create them
(``schedules``), with their forms, views and urls.

May import the base, ``checkout``, ``billing``, ``emails``, ``printouts`` and
``weekly_baskets``; the worker's tick builds on it.
"""
