"""French text as people read it: searching and sorting without regard to accents, case
or ligatures.

One place for the rule, used by every list, document and search of the project, whatever
the app (it depends on nothing): "oeufs" finds "Œufs", "pate" finds "Pâté", and Élodie
sorts between Denis and Fabien, not after Zoé.
"""

import unicodedata

# Letters that no Unicode decomposition splits, but French readers do.
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})


def folded(text: str) -> str:
    """Lower case without accents or ligatures: "Œufs d'Émile" -> "oeufs d'emile".

    Only the accents (combining marks) go: letters of other scripts stay, so a name in
    Cyrillic or Arabic is still found and sorted by its own letters.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return bare.casefold()


def french_sort_key(name: str) -> tuple[str, str]:
    """Alphabetical order as French readers expect: accents, case and ligatures do not
    change where a name goes (Élodie between Denis and Fabien, Œufs among the O), and
    break ties only."""
    return (" ".join(folded(name).split()), name)
