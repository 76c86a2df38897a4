"""The demo world: a Lille-area installation to try Foodhub with, as data and a loader.

- ``data/*.toml``: what the demo says. Places (world.toml), people (people.toml), farms and
  their catalogues (producers.toml), the shape of each hub's weeks (cycles.toml), the public
  pages' words (pages.toml, portraits.toml). Edit these to change the demo.
- ``files.py`` reads them into plain records; ``world.py`` (``load_demo_data``),
  ``cycles.py`` and ``pages.py`` (``load_demo_pages``) turn the records into rows through
  the apps' own models and services; ``photos.py`` draws the pages' photos.
- ``management/commands``: ``load_demo_data`` and ``load_demo_pages``, run by ``make run``.

It sits at the top of the import graph: it may import any app (accounts, hubs, producers,
orders, pickup_points, content), and no app imports it.
"""
