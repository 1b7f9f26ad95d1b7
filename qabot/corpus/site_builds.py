"""What a documentation generator writes beside a site's pages that is no document of its own: Sphinx copies each
page's source into ``_sources/`` (``api.rst.txt``, for the page's "Show Source" link). Read as text, the answers
quoted the reStructuredText (``.. warning::``, ``:param str url:``) without a link, ahead of the page itself, whose
copy of the same text was then left out as a near duplicate. Such a folder is skipped with a line that says why.

So are the pages a generator makes of no text a user wrote, which read as a page of links or of furniture and
outranked the real pages: Sphinx's general index (``genindex.html``, by letter ``genindex-A.html``), a domain's
module index (``py-modindex.html``) and its highlighted copy of each module's source (``_modules/``, for
``sphinx.ext.viewcode``), which quoted a docstring from the code ahead of the page that documents it, and what
its theme copies (``_static/``: styles, scripts, and their licences as text, ``furo.js.LICENSE.txt``); and any
generator's search page (``search.html``: Sphinx, MkDocs' readthedocs theme; ``search/index.html``: Sphinx's
dirhtml builder, Docusaurus) and page-not-found page (``404.html``: MkDocs, Docusaurus, Starlight, VitePress), and
the data some write beside them (MkDocs' ``search/search_index.json``, VitePress' ``hashmap.json``), which was read
as a chat export that it is not. So are the pages Javadoc writes in every build: its help page ("How This API
Document Is Organized", the same in every build), its index (``index-all.html``, or by letter in ``index-files/``)
and its lists and tree of the classes and packages, which quote each member's first sentence ahead of the class's
own page; and Doxygen's: its legend of its graphs (the same in every build), its lists of files, classes and
members, and its highlighted copy of each file's source (``fetch_8h_source.html``). Each is known by its name where
it lies at the top of a build, beside what the generator writes there; a
page of the same name elsewhere, or one a user named ``search-tips.html``, is read."""

from __future__ import annotations

import os
import re

# What every Sphinx HTML build holds at its top, beside _sources/: the search index and the inventory of its objects.
_SPHINX_BUILD = ("searchindex.js", "objects.inv")
# What every Javadoc build holds at its top: the list of its packages (modules' since Java 10, "package-list" before).
_JAVADOC_BUILD = ("element-list", "package-list")
_DOXYGEN_BUILD = ("doxygen.css",)  # what every Doxygen build holds at its top
# And what other generators write at the top of theirs: MkDocs' search index, VitePress' map of its pages' scripts,
# Pagefind's index (Starlight's search), a sitemap (MkDocs, Docusaurus; Astro's is sitemap-index.xml).
_SITE_BUILD = (*_SPHINX_BUILD, *_JAVADOC_BUILD, *_DOXYGEN_BUILD, "search/search_index.json", "hashmap.json",
               "pagefind", "sitemap.xml", "sitemap.xml.gz", "sitemap-index.xml")
# Javadoc's pages of no text of the user's: its help, its index, and its lists and trees of classes and packages
# (Java 8's frames' too).
_JAVADOC_PAGES = re.compile(r"help-doc|index-all|all(?:classes|packages)-index|allclasses-(?:frame|noframe)|"
                            r"overview-(?:tree|frame)")
# Doxygen's pages of no text of the user's: the legend of its graphs, its lists of files, namespaces and classes and
# of their members (split by kind or letter: "functions_func", "globals_0x61"), its class hierarchy, and each file's
# highlighted source.
_DOXYGEN_PAGES = re.compile(r"graph_legend|(?:globals|functions|namespacemembers)(?:_\w+)?|annotated|classes|"
                            r"hierarchy|inherits|files|namespaces|\w+_source")
# Sphinx's generated indices: the general index (whole, or split: genindex-all, genindex-A ...) and a domain's
# module index ("py-modindex"; "modindex" before Sphinx 1.0).
_SPHINX_INDEX = re.compile(r"genindex(?:-[^./]+)?|(?:[a-z]+-)?modindex")
_SITE_PAGES = {"search": "the search page", "404": "the page-not-found page"}
# The folders of a Sphinx build that hold no page: each page's source, the highlighted source code of each module,
# and what the theme needs (styles, scripts, fonts, and the licences of its scripts, as .txt: furo.js.LICENSE.txt).
_SPHINX_FOLDERS = {"_sources": "the sources", "_modules": "the highlighted source code",
                   "_static": "the styles, scripts and images (and their licences)"}


def explain(path: str) -> str | None:
    """Why a folder of a site's build (Sphinx's ``_sources/``, ``_modules/``, ``_static/``, beside its search index),
    or a page a site's generator made (its index, search and page-not-found pages, at the top of its build) is not
    read, else None. Cheap for any other path: its name is looked at before the folder is."""
    name = os.path.basename(path)
    if name == "index-files" and os.path.isdir(path) and _holds(os.path.dirname(path), _JAVADOC_BUILD):
        return "the index Javadoc split by letter (the pages are read)"
    if name in _SPHINX_FOLDERS:
        if not os.path.isdir(path) or not _holds(os.path.dirname(path), _SPHINX_BUILD):
            return None
        return f"{_SPHINX_FOLDERS[name]} Sphinx copied beside its pages (the pages are read)"
    stem, suffix = os.path.splitext(name)
    if suffix.lower() == ".json":
        return _data(path, name)
    if suffix.lower() not in (".html", ".htm"):
        return None
    top = os.path.dirname(path)
    if stem == "index":  # a page in a folder of its own: Sphinx's dirhtml builder, Docusaurus, MkDocs
        stem, top = os.path.basename(top), os.path.dirname(top)
    if _SPHINX_INDEX.fullmatch(stem) and _holds(top, _SPHINX_BUILD):
        return "the index Sphinx generated from the pages (the pages are read)"
    if _JAVADOC_PAGES.fullmatch(stem) and _holds(top, _JAVADOC_BUILD):
        return "a page Javadoc writes in every build: its help, an index or a tree of the classes (the pages are read)"
    if _DOXYGEN_PAGES.fullmatch(stem) and _holds(top, _DOXYGEN_BUILD):
        return ("a page Doxygen writes in every build: its graphs' legend, a list of files, classes or members, or a "
                "file's source (the pages are read)")
    if stem in _SITE_PAGES and _holds(top, _SITE_BUILD):
        return f"{_SITE_PAGES[stem]} the site's generator wrote (the pages are read)"
    return None


def _data(path: str, name: str) -> str | None:
    """Why a generator's data beside its pages is not read (as a chat export it is not): MkDocs' search index,
    VitePress' map of its pages' scripts (beside its 404.html)."""
    folder = os.path.dirname(path)
    if name == "search_index.json" and os.path.basename(folder) == "search":
        return "the search index MkDocs wrote (the pages are read)"
    if name == "hashmap.json" and _holds(folder, ("404.html",)):
        return "the map of its pages' scripts VitePress wrote (the pages are read)"
    return None


def _holds(folder: str, markers: tuple[str, ...]) -> bool:
    return any(os.path.exists(os.path.join(folder, marker)) for marker in markers)
