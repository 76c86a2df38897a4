"""Solidarity prices: three tiers a household chooses privately, the hub's fund that pays
the producers the difference, and the cap on what the fund gives per cycle."""
