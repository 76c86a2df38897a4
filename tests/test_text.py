"""French searching and sorting: accents, case and ligatures do not count."""

from foodhub.text import folded, french_sort_key


def test_folding_drops_accents_case_and_ligatures():
    assert folded("Œufs frais") == "oeufs frais"
    assert folded("PÂTÉ de campagne") == "pate de campagne"
    assert folded("Cœur de bœuf") == "coeur de boeuf"
    assert folded("Ex æquo") == "ex aequo"


def test_folding_keeps_letters_of_other_scripts():
    assert folded("Мария") == "мария"
    assert folded("مريم") == "مريم"


def test_french_order_puts_accented_names_among_their_letters():
    names = ["Zoé", "Œuvre", "Émile", "Denis", "Fabien", "éric", "Olivier", "Pascal"]
    assert sorted(names, key=french_sort_key) == [
        "Denis", "Émile", "éric", "Fabien", "Œuvre", "Olivier", "Pascal", "Zoé",
    ]  # fmt: skip
