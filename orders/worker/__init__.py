"""The worker's minute (``scheduler``: the tick, and the resumable steps of closing a
cycle) and its health as managers see it (``health``).

The top of ``orders``: it may import every room, and none imports it (Huey finds the tick
through ``orders.tasks``).
"""
