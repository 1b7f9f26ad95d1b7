"""Which words are ordinary English: what tells a question's new name ("WireGuard") from its new wording ("vanish").

A question may use a word no passage of the corpus holds for two reasons: it says the
same thing in other words, or it asks about something the corpus never mentions. The
second is a reason to abstain, the first is not. The difference is mostly in the word:
a tool, a package, a product or a number ("wireguard", "cryptsetup", "8080") is not an
ordinary English word, "vanish" and "roughly" are. Ordinary here means a whole word of the
packaged model's WordPiece vocabulary (``vocab.txt`` of all-MiniLM-L6-v2, some 20,000
English words, read once, offline); "flatpak" is split into pieces there, "law" is not.
A word made of one of them is ordinary too: with a common ending ("vanishes", "painless"),
a common prefix ("uninstall", "subfolders") or a British spelling ("analyse").

A word typed with one letter dropped, one too many, one changed or two swapped inside it
("anoher", "dirctly", "coniguration") may be one of them typed in a hurry (``corrections``):
only inside, as names are made of words at their ends ("systemd", "gparted", "kubuntu").
"""

from __future__ import annotations

import string
from functools import lru_cache

_SUFFIXES = ("s", "es", "ed", "ing", "ly", "er", "ers", "less", "ness", "ful", "able", "ment")
_PREFIXES = ("un", "re", "sub", "pre", "non", "dis", "mis", "over")  # "uninstall", "reinstall", "subfolders"
_BRITISH = (("yse", "yze"), ("ise", "ize"), ("ised", "ized"), ("ising", "izing"), ("isation", "ization"))


@lru_cache(maxsize=1)
def ordinary_words() -> frozenset[str]:
    """The whole words of the packaged model's vocabulary (empty where the model package is missing)."""
    from qabot.embedding.model import packaged_model_dir
    from qabot.errors import ModelError

    try:
        vocab = packaged_model_dir() / "vocab.txt"
        lines = vocab.read_text(encoding="utf-8").splitlines()
    except (ModelError, OSError):
        return frozenset()
    return frozenset(w for w in lines if w.isalpha() and not w.startswith("[") and len(w) > 1)


def is_ordinary(word: str) -> bool:
    """Whether ``word`` (folded) is an ordinary English word, or one with a common ending ("vanishes")."""
    known = ordinary_words()
    if not known or _known(word, known):
        return True
    word = next((word[: -len(gb)] + us for gb, us in _BRITISH if word.endswith(gb)), word)  # "analyse"
    return _known(word, known) or any(
        word.startswith(p) and len(word) - len(p) >= 4 and _known(word[len(p) :], known) for p in _PREFIXES)


def _known(word: str, known: frozenset[str]) -> bool:
    return word in known or any(word.endswith(s) and word[: -len(s)] in known for s in _SUFFIXES)


MISSPELT_FROM = 6  # letters of the shortest word read as a typo: shorter ones are too often another word or a name


@lru_cache(maxsize=4096)
def corrections(word: str) -> frozenset[str]:
    """The ordinary words (of the vocabulary) that ``word`` (folded) may be, mistyped once inside it: a letter
    dropped ("anoher"), one too many ("installled"), one changed ("confiquration") or two swapped ("pritns"), its first
    and last letters as they were. None for an ordinary word, or for one shorter than ``MISSPELT_FROM``."""
    known = ordinary_words()
    if len(word) < MISSPELT_FROM or not word.isalpha() or not word.isascii() or not known or is_ordinary(word):
        return frozenset()
    letters = string.ascii_lowercase
    inside = range(1, len(word) - 1)
    edits = {word[:i] + c + word[i:] for i in range(1, len(word)) for c in letters}  # a letter dropped
    edits.update(word[:i] + word[i + 1 :] for i in inside)  # one too many
    edits.update(word[:i] + c + word[i + 1 :] for i in inside for c in letters)  # one changed
    edits.update(word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(1, len(word) - 2))  # two swapped
    return frozenset(edits & known)
