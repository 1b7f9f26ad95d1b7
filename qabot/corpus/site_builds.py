"""What a documentation generator writes beside a site's pages that is no document of its own: Sphinx copies each
page's source into ``_sources/`` (``api.rst.txt``, for the page's "Show Source" link). Read as text, the answers
quoted the reStructuredText (``.. warning::``, ``:param str url:``) without a link, ahead of the page itself, whose
copy of the same text was then left out as a near duplicate. Such a folder is skipped with a line that says why."""

from __future__ import annotations

import os

# What every Sphinx HTML build holds at its top, beside _sources/: the search index and the inventory of its objects.
_SPHINX_BUILD = ("searchindex.js", "objects.inv")


def explain(path: str) -> str | None:
    """Why a folder of a site's build is not read (Sphinx's ``_sources/``, beside its search index), else None."""
    if os.path.basename(path) != "_sources" or not os.path.isdir(path):
        return None
    parent = os.path.dirname(path)
    if any(os.path.isfile(os.path.join(parent, marker)) for marker in _SPHINX_BUILD):
        return "the sources Sphinx copied beside its pages (the pages are read)"
    return None
