"""Pages that documentation generators write: rustdoc's API pages (as docs.rs serves them) and mdBook's books.

The rustdoc page is the real one (``tests/data/formats/rustdoc/enum.Option.html``, see
SOURCES.md), cut down to a few of its items with their markup as rustdoc wrote it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qabot.corpus import CorpusFile, document_paragraphs, load_file
from qabot.models import Document, Paragraph
from tests.documents import FORMATS


def _one(path: Path) -> Document:
    warnings: list[str] = []
    docs = list(load_file(CorpusFile(path, path.name), warnings.append))
    assert len(docs) == 1 and not warnings, warnings
    return docs[0]


@pytest.fixture(scope="module")
def option() -> Document:
    return _one(FORMATS / "rustdoc" / "enum.Option.html")


def _paragraph(doc: Document, starts: str) -> Paragraph:
    return next(p for p in document_paragraphs(doc) if doc.text[p.start : p.end].startswith(starts))


def test_rustdoc_a_short_example_is_read(option: Document) -> None:
    # Its "Run" button is an empty link beside the code: trafilatura took the block for links, and dropped it.
    texts = [option.text[p.start : p.end] for p in document_paragraphs(option)]
    assert ("let x: Option<u32> = Some(2);\nassert_eq!(x.is_some(), true);\n"
            "let x: Option<u32> = None;\nassert_eq!(x.is_some(), false);") in texts
    assert 'let x = Some("air");\nassert_eq!(x.unwrap(), "air");' in texts


def test_rustdoc_furniture_beside_a_title_is_not_text(option: Document) -> None:
    # The version an item is stable since and its "Source" link sit beside its signature, the copy-path button in the
    # page's title, the sidebar's headings around the content: none of it is the documentation.
    texts = [option.text[p.start : p.end] for p in document_paragraphs(option)]
    for furniture in ("Source", "1.0.0", "Copy item path", "In std::option", "§", "ⓘ"):
        assert not any(furniture in text for text in texts), furniture
    assert "pub const fn is_some(&self) -> bool" in texts


def test_rustdoc_text_made_of_links_to_items_is_read(option: Document) -> None:
    # Every type name in a signature or a sentence links to the item's page: trafilatura took such a block for a
    # block of links (navigation), and dropped as_pin_mut's signature and its one-line documentation.
    assert "Converts from Pin<&mut Option<T>> to Option<Pin<&mut T>>." in option.text
    assert "pub const fn as_pin_mut(self: Pin<&mut Option<T>>) -> Option<Pin<&mut T>>" in option.text


def test_rustdoc_each_method_is_a_section_with_its_anchor(option: Document) -> None:
    # rustdoc writes a method's signature as an <h4> in the <summary> of the <details> that folds its documentation:
    # read as a summary's text, it started no section, and unwrap's documentation was cited as the section
    # "Recommended Message Style" (the last heading in expect's documentation, above it), its link to #recommended-...
    unwraps = [p for p in document_paragraphs(option) if option.text[p.start : p.end].startswith(
        "Returns the contained Some value, consuming the self value.")]
    assert [(p.section, p.anchor) for p in unwraps] == [
        ("pub const fn expect(self, msg: &str) -> T", "method.expect"),
        ("pub const fn unwrap(self) -> T", "method.unwrap")]
    clone = _paragraph(option, "fn clone(&self) -> Option<T>")
    assert (clone.heading, clone.anchor) == (True, "method.clone")
    impl = _paragraph(option, "impl<T> Option<T>")
    assert (impl.heading, impl.anchor) == (True, "impl-Option%3CT%3E")
    signatures = [option.text[p.start : p.end] for p in document_paragraphs(option) if not p.heading]
    assert "pub const fn unwrap(self) -> T" not in signatures  # a heading, not a paragraph too


def test_headings_of_the_same_text_each_link_to_their_own_anchor(option: Document) -> None:
    # Each method's documentation has its "Examples" (rustdoc's ids: examples, examples-8, ...): every one was linked
    # to the first, as anchors were found by a heading's text.
    examples = [(p.section, p.anchor) for p in document_paragraphs(option) if p.heading and p.section == "Examples"]
    assert [anchor for _, anchor in examples] == [
        "examples", "examples-8", "examples-9", "examples-11", "examples-17", "examples-22"]
    code = _paragraph(option, 'let x = Some("air");')
    assert (code.section, code.anchor) == ("Examples", "examples-9")  # unwrap's


def test_rustdoc_a_where_clause_is_parted_from_the_signature(option: Document, tmp_path: Path) -> None:
    # rustdoc writes a where clause as a <div> in the signature's <h4>, and in a declaration's <pre>, where a
    # browser starts it on a line of its own: read without a break, "-> T" and "where" ran together ("Twhere").
    method = _paragraph(option, "Returns the contained Some value or computes it from a closure.")
    assert method.section == "pub fn unwrap_or_else<F>(self, f: F) -> T where F: FnOnce() -> T,"
    assert _paragraph(option, "impl<T> Clone for Option<T>").section == "impl<T> Clone for Option<T> where T: Clone,"
    page = tmp_path / "struct.Vec.html"  # the declaration on std's page of Vec, as rustdoc 1.95 wrote it
    page.write_text(
        '<html><head><meta name="generator" content="rustdoc"><title>Vec in std::vec - Rust</title></head><body>'
        '<main><div class="width-limiter"><section id="main-content" class="content" tabindex="-1">'
        '<div class="main-heading"><h1>Struct <span class="struct">Vec</span></h1></div><pre class="rust item-decl">'
        '<code>pub struct Vec&lt;T, A = <a class="struct" href="../alloc/struct.Global.html" title="struct '
        'std::alloc::Global">Global</a>&gt;<div class="where">where\n    A: <a class="trait" href="../alloc/trait.'
        'Allocator.html" title="trait std::alloc::Allocator">Allocator</a>,</div>{ <span class="comment">/* private '
        'fields */</span> }</code></pre><details class="toggle top-doc" open><summary class="hideme"><span>Expand '
        'description</span></summary><div class="docblock"><p>A contiguous growable array type, written as <code>'
        'Vec&lt;T&gt;</code>, short for ‘vector’.</p></div></details></section></div></main></body></html>',
        encoding="utf-8")
    texts = _one(page).text.split("\n\n")
    assert "pub struct Vec<T, A = Global>\nwhere\n    A: Allocator,\n{ /* private fields */ }" in texts


def test_rustdoc_a_trait_method_s_summary_is_read(option: Document) -> None:
    # A trait implementation's method has its trait's summary as text right in a <div class="docblock">, with a
    # "Read more" link to the trait: trafilatura reads no <div> of text on a page with enough paragraphs.
    clone = _paragraph(option, "Returns a duplicate of the value.")
    assert (option.text[clone.start : clone.end], clone.section) == (
        "Returns a duplicate of the value.", "fn clone(&self) -> Option<T>")
    assert "Performs copy-assignment from source." in option.text
    assert "source" not in [option.text[p.start : p.end] for p in document_paragraphs(option)]


def test_rustdoc_a_stability_note_is_read_whole(option: Document) -> None:
    # "This is a nightly-only experimental API" (or "Deprecated since ...") is text right in a <div class="stab">:
    # trafilatura read only its <code>, and "result_option_map_or_default" was a paragraph of its own.
    note = _paragraph(option, "This is a nightly-only experimental API.")
    assert option.text[note.start : note.end] == (
        "This is a nightly-only experimental API. (result_option_map_or_default #138099)")
    signature = "pub const fn map_or_default<U, F>(self, f: F) -> U where U: Default, F: FnOnce(T) -> U,"
    assert (note.section, note.anchor) == (signature, "method.map_or_default")


def test_rustdoc_a_source_page_is_its_code_without_line_numbers(tmp_path: Path) -> None:
    # rustdoc's view of a source file (src/std/random.rs.html, cut after line 14), as `cargo doc` writes one for
    # every file: its <body> has the class "src", and each line opens with its number as a link.
    page = tmp_path / "random.rs.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="generator" content="rustdoc"><title>'
        'random.rs - source</title></head><body class="rustdoc src"><a class="skip-main-content" href="#main-content">'
        'Skip to main content</a><nav class="sidebar"><div class="src-sidebar-title"><h2>Files</h2></div></nav><div '
        'class="sidebar-resizer" title="Drag to resize sidebar"></div><main><section id="main-content" class="content"'
        ' tabindex="-1"><div class="main-heading"><h1><div class="sub-heading">std/</div>random.rs</h1><rustdoc-toolbar>'
        '</rustdoc-toolbar></div><div class="example-wrap digits-2"><pre class="rust"><code><a href=#1 id=1 data-'
        'nosnippet>1</a><span class="doccomment">//! Random value generation.\n<a href=#2 id=2 data-nosnippet>2</a>\n'
        '<a href=#3 id=3 data-nosnippet>3</a></span><span class="attr">#[unstable(feature = <span class="string">'
        '"random"</span>, issue = <span class="string">"130703"</span>)]\n<a href=#4 id=4 data-nosnippet>4</a></span>'
        '<span class="kw">pub use </span>core::random::<span class="kw-2">*</span>;\n<a href=#5 id=5 data-nosnippet>5'
        '</a>\n<a href=#6 id=6 data-nosnippet>6</a><span class="kw">use </span><span class="kw">crate</span>::sys::'
        'random <span class="kw">as </span>sys;\n<a href=#7 id=7 data-nosnippet>7</a>\n<a href=#8 id=8 data-nosnippet>'
        '8</a><span class="doccomment">/// The default random source.\n<a href=#9 id=9 data-nosnippet>9</a>///\n<a '
        'href=#10 id=10 data-nosnippet>10</a>/// This asks the system for random data suitable for cryptographic '
        'purposes\n<a href=#11 id=11 data-nosnippet>11</a>/// such as key generation. If security is a concern, '
        'consult the platform\n<a href=#12 id=12 data-nosnippet>12</a>/// documentation below for the specific '
        'guarantees your target provides.\n<a href=#13 id=13 data-nosnippet>13</a>///\n<a href=#14 id=14 data-'
        'nosnippet>14</a>/// The high quality of randomness provided by this source means it can be quite\n</span>'
        '</code></pre></div></section></main></body></html>', encoding="utf-8")
    code = _one(page).text.split("\n\n")[-1]
    assert code.startswith('//! Random value generation.\n#[unstable(feature = "random", issue = "130703")]\n'
                           "pub use core::random::*;\nuse crate::sys::random as sys;\n/// The default random source.")


def _mdbook(path: Path, main: str) -> Path:
    """A page as mdBook writes it (the Rust book's chrome, cut down), around ``main``."""
    path.write_text(
        '<!DOCTYPE HTML>\n<html lang="en" class="light sidebar-visible" dir="ltr">\n<head>\n<!-- Book generated using '
        'mdBook -->\n<meta charset="UTF-8">\n<title>Storing Lists of Values with Vectors - The Rust Programming Language'
        '</title>\n</head>\n<body>\n<div id="mdbook-body-container">\n<nav id="mdbook-sidebar" class="sidebar" aria-'
        'label="Table of contents">\n<ol class="chapter"><li class="chapter-item expanded "><a href="ch08-00-common-'
        'collections.html"><strong aria-hidden="true">8.</strong> Common Collections</a></li></ol>\n</nav>\n<div id="'
        'mdbook-page-wrapper" class="page-wrapper">\n<div class="page">\n<div id="mdbook-content" class="content">\n'
        f'<main>\n{main}</main>\n<nav class="nav-wrapper" aria-label="Page navigation"><a rel="prev" href="ch08-00-'
        'common-collections.html" class="mobile-nav-chapters previous" title="Previous chapter"></a></nav>\n</div>\n'
        '</div>\n</div>\n</div>\n</body>\n</html>\n', encoding="utf-8")
    return path


def test_mdbook_the_lines_a_code_block_hides_are_not_read(tmp_path: Path) -> None:
    # mdBook shows a Rust example without the lines that only make it compile (`# fn main() {` in the Markdown),
    # written as <span class="boring">: the page shows them only when the reader asks. The Rust book's own markup.
    doc = _one(_mdbook(tmp_path / "ch08-01-vectors.html", (
        '<h2 id="storing-lists-of-values-with-vectors"><a class="header" href="#storing-lists-of-values-with-vectors">'
        "Storing Lists of Values with Vectors</a></h2>\n<p>The first collection type we’ll look at is <code>Vec&lt;T&gt;"
        "</code>, also known as a vector.\nVectors allow you to store more than one value in a single data structure "
        "that\nputs all the values next to each other in memory. Vectors can only store values\nof the same type. They "
        "are useful when you have a list of items, such as the\nlines of text in a file or the prices of items in a "
        'shopping cart.</p>\n<h3 id="creating-a-new-vector"><a class="header" href="#creating-a-new-vector">Creating a '
        "New Vector</a></h3>\n<p>To create a new, empty vector, we call the <code>Vec::new</code> function, as shown in"
        '\nListing 8-1.</p>\n<figure class="listing" id="listing-8-1">\n<pre class="playground"><code class="language-'
        'rust edition2024"><span class="boring">fn main() {\n</span>    let v: Vec&lt;i32&gt; = Vec::new();\n<span '
        'class="boring">}</span></code></pre>\n<figcaption><a href="#listing-8-1">Listing 8-1</a>: Creating a new, '
        "empty vector to hold values of type <code>i32</code></figcaption>\n</figure>\n<p>We must add a type "
        "annotation, like this:</p>\n"  # from ch03-02-data-types.html
        '<pre class="playground"><code class="language-rust edition2024"><span class="boring">#![allow(unused)]\n'
        '</span><span class="boring">fn main() {\n</span>let guess: u32 = "42".parse().expect("Not a number!");\n'
        '<span class="boring">}</span></code></pre>\n')))
    texts = [doc.text[p.start : p.end] for p in document_paragraphs(doc)]
    assert "let v: Vec<i32> = Vec::new();" in texts
    assert 'let guess: u32 = "42".parse().expect("Not a number!");' in texts
    assert "fn main" not in doc.text and "#![allow(unused)]" not in doc.text
    assert "Listing 8-1: Creating a new, empty vector to hold values of type i32" in texts


def test_mdbook_a_listing_keeps_the_name_of_its_file(tmp_path: Path) -> None:
    # The Rust book says which file a listing goes in with a <span> right in the listing's <figure>, beside its code.
    doc = _one(_mdbook(tmp_path / "ch09-02-recoverable-errors-with-result.html", (
        '<h2 id="recoverable-errors-with-result"><a class="header" href="#recoverable-errors-with-result">Recoverable '
        "Errors with Result</a></h2>\n<p>Most errors aren’t serious enough to require the program to stop entirely. "
        "Sometimes when a function fails, it’s for a reason that you can easily interpret\nand respond to. For "
        "example, if you try to open a file and that operation fails\nbecause the file doesn’t exist, you might want "
        "to create the file instead of\nterminating the process.</p>\n<p>Let’s call a function that returns a <code>"
        "Result</code> value because the function could\nfail. In Listing 9-3, we try to open a file.</p>\n<figure "
        'class="listing" id="listing-9-3">\n<span class="file-name">Filename: src/main.rs</span>\n<pre class="'
        'playground"><code class="language-rust edition2024">use std::fs::File;\n\nfn main() {\n    let '
        'greeting_file_result = File::open("hello.txt");\n}</code></pre>\n<figcaption><a href="#listing-9-3">Listing '
        "9-3</a>: Opening a file</figcaption>\n</figure>\n<p>The return type of <code>File::open</code> is a <code>"
        "Result&lt;T, E&gt;</code>. The generic parameter <code>T</code>\nhas been filled in by the implementation of "
        "<code>File::open</code> with the type of the\nsuccess value, <code>std::fs::File</code>, which is a file "
        "handle. The type of <code>E</code> used in\nthe error value is <code>std::io::Error</code>. This return type "
        "means the call to\n<code>File::open</code> might succeed and return a file handle that we can read from or\n"
        "write to. The function call also might fail: For example, the file might not\nexist, or we might not have "
        "permission to access the file. The <code>File::open</code>\nfunction needs to have a way to tell us whether "
        "it succeeded or failed and at\nthe same time give us either the file handle or error information. This\n"
        "information is exactly what the <code>Result</code> enum conveys.</p>\n<p>In the case where <code>File::open"
        "</code> succeeds, the value in the variable\n<code>greeting_file_result</code> will be an instance of <code>"
        "Ok</code> that contains a file handle.\nIn the case where it fails, the value in <code>greeting_file_result"
        "</code> will be an\ninstance of <code>Err</code> that contains more information about the kind of error that"
        "\noccurred.</p>\n")))
    texts = [doc.text[p.start : p.end] for p in document_paragraphs(doc)]
    listing = texts.index("Listing 9-3: Opening a file")
    assert texts[listing - 2 : listing] == [
        "Filename: src/main.rs", 'use std::fs::File;\nfn main() {\n    let greeting_file_result = File::open("hello.txt");\n}']


def test_a_heading_put_back_goes_before_its_own_section_when_two_open_alike() -> None:
    # trafilatura drops the headings of SQLite's pages (no <main>), and each is put back before the block that
    # follows it on the page, found by the start of its text: where two sections open alike (API documentation's
    # "Returns a reference to the value ..."), the second's heading went before the first's text, which was then
    # cited under it. The SQLite page of WAL, with its two sections' opening sentences made to start alike.
    from qabot.corpus import html

    page = (FORMATS / "html" / "wal.html").read_text(encoding="utf-8")
    opening = "This part of the page says how the write-ahead log is kept in step with the database"
    for section, end in (('<h2 id="checkpointing">', "by checkpoints."), ('<h2 id="concurrency">', "by locks.")):
        start = page.index("<p>", page.index(section))
        page = f"{page[:start]}<p>{opening} {end}</p>{page[page.index('</p>', start) + 4 :]}"
    doc = html.document("wal.html", page.encode("utf-8"))
    assert doc is not None
    found = [(doc.text[p.start : p.end], p.section) for p in document_paragraphs(doc)
             if doc.text[p.start : p.end].startswith(opening)]
    assert found == [(f"{opening} by checkpoints.", "2.1. Checkpointing"), (f"{opening} by locks.", "2.2. Concurrency")]


def test_mediawiki_sections_are_named_without_edit_links_and_linked_to_their_own_anchors(tmp_path: Path) -> None:
    """MediaWiki (Wikipedia before 2024, and the wikis on MediaWiki up to 1.41) writes a section's heading as
    ``<h2><span class="mw-headline" id="History">History</span><span class="mw-editsection">[edit]</span></h2>``:
    each section was named "History[edit]", and linked to the page's first heading (``#firstHeading``), the id
    being on a <span> in the heading, not on the heading itself."""
    path = tmp_path / "Observatory.html"
    path.write_text(
        '<html><head><title>Observatory - Wikipedia</title></head><body><div id="content">'
        '<h1 id="firstHeading" class="firstHeading">Observatory</h1><div id="mw-content-text">'
        "<p>An observatory is a location used for observing terrestrial, marine, or celestial events. Astronomy, "
        "climatology, geology and meteorology are examples of disciplines for which observatories were built.</p>"
        '<h2><span class="mw-headline" id="History">History</span><span class="mw-editsection">'
        '<span class="mw-editsection-bracket">[</span><a href="/w/index.php?title=Observatory&amp;action=edit&amp;'
        'section=1" title="Edit section: History">edit</a><span class="mw-editsection-bracket">]</span></span></h2>'
        "<p>The earliest observatories were built in antiquity to track the movements of the sun and moon for "
        "calendars and for agriculture in river valleys.</p>"
        '<h3><span class="mw-headline" id="Space-based_observatories">Space-based observatories</span>'
        '<span class="mw-editsection"><span class="mw-editsection-bracket">[</span><a href="/w/index.php?action=edit'
        '&amp;section=2">edit</a><span class="mw-editsection-bracket">]</span></span></h3>'
        "<p>Space-based observatories are telescopes or other instruments located in outer space, many in orbit "
        "around the Earth, above the atmosphere that blurs images.</p></div></div></body></html>")
    doc = _one(path)
    cited = [(p.section, p.anchor) for p in document_paragraphs(doc) if not p.heading]
    assert cited == [("Observatory", "firstHeading"), ("History", "History"),
                     ("Space-based observatories", "Space-based_observatories")]
    assert "edit" not in doc.text



_MKDOCS_MODAL = ('<div class="modal" id="mkdocs_{name}_modal" tabindex="-1" role="dialog" aria-labelledby="{name}Label" '
                 'aria-hidden="true"><div class="modal-dialog"><div class="modal-content"><div class="modal-header">'
                 '<h4 class="modal-title" id="{name}Label">{title}</h4><button type="button" class="btn-close" '
                 'data-bs-dismiss="modal" aria-label="Close"></button></div><div class="modal-body">{body}</div>'
                 '<div class="modal-footer"></div></div></div></div>')


@pytest.mark.parametrize("content", [
    '<h1 id="search-tips">Search tips</h1><p>Type the date as 2024-03-01.</p>',
    ('<h1 id="skyfetch">Skyfetch</h1><p>Skyfetch fetches images.</p><h2 id="batches">Batches</h2><p>A batch holds '
     '100 images.</p><h2 id="install">Install</h2><p>Run pip.</p>'),
])
def test_mkdocs_theme_s_dialogs_and_table_of_contents_are_not_read_on_a_short_page(tmp_path: Path, content) -> None:
    """MkDocs' own theme (its default) writes two Bootstrap modals after every page's content, shown only at a
    click: the search box ("From here you can search these documents") and the keyboard shortcuts ("n | Next
    page"), and its table of contents in a ``<div role="complementary">``. On a short page they were read as its
    last sections, "Search" and "Keyboard Shortcuts", every page's alike. Cut down from the pages MkDocs 1.6
    writes."""
    path = tmp_path / "index.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Skyfetch</title></head><body>'
        '<div class="navbar fixed-top navbar-expand-lg"><div class="container"><a class="navbar-brand" href="..">'
        'Skyfetch</a><div id="navbar-collapse" class="navbar-collapse collapse"><ul class="nav navbar-nav"><li '
        'class="nav-item"><a href=".." class="nav-link">Skyfetch</a></li><li class="nav-item"><a href="search-tips/" '
        'class="nav-link">Search tips</a></li></ul><ul class="nav navbar-nav ms-md-auto"><li class="nav-item"><a '
        'href="#" class="nav-link" data-bs-toggle="modal" data-bs-target="#mkdocs_search_modal"><i class="fa '
        'fa-search"></i> Search</a></li><li class="nav-item"><a rel="next" href="search-tips/" class="nav-link">Next '
        '<i class="fa fa-arrow-right"></i></a></li></ul></div></div></div><div class="container"><div class="row">'
        '<div class="col-md-3"><div class="navbar-expand-md bs-sidebar hidden-print affix" role="complementary">'
        '<div id="toc-collapse" class="navbar-collapse collapse card bg-body-tertiary"><ul class="nav flex-column">'
        '<li class="nav-item" data-bs-level="1"><a href="#skyfetch" class="nav-link">Skyfetch</a><ul class="nav '
        'flex-column"><li class="nav-item" data-bs-level="2"><a href="#batches" class="nav-link">Batches</a></li>'
        '</ul></li></ul></div></div></div><div class="col-md-9" role="main">' + content + '</div></div></div>'
        '<footer class="col-md-12"><hr><p>Documentation built with <a href="https://www.mkdocs.org/">MkDocs</a>.</p>'
        "</footer>"
        + _MKDOCS_MODAL.format(name="search", title="Search", body="<p>From here you can search these documents. "
                               'Enter your search terms below.</p><form><input type="search"></form>')
        + _MKDOCS_MODAL.format(name="keyboard", title="Keyboard Shortcuts", body='<table class="table"><thead><tr>'
                               "<th>Keys</th><th>Action</th></tr></thead><tbody><tr><td><kbd>?</kbd></td><td>Open "
                               "this help</td></tr><tr><td><kbd>n</kbd></td><td>Next page</td></tr></tbody></table>")
        + "</body></html>")
    from lxml import html as lxml_html

    doc = _one(path)
    shown = [text.strip() for text in lxml_html.fromstring(content).itertext()]
    assert [doc.text[p.start : p.end] for p in document_paragraphs(doc)] == shown


def test_a_short_page_of_the_read_the_docs_theme_is_its_text_not_its_navigation(tmp_path: Path) -> None:
    """The Read the Docs theme (MkDocs' ``readthedocs``, as Sphinx's sphinx_rtd_theme lays it out) holds a page's
    text in a ``<div role="main">``, not a ``<main>``: a page of a sentence was read as one paragraph of the whole
    page, its menu, breadcrumbs and "« Previous" link with it. Cut down from the page MkDocs 1.6 writes."""
    path = tmp_path / "index.html"
    path.write_text(
        '<!DOCTYPE html><html class="writer-html5" lang="en"><head><meta charset="utf-8"><title>Search tips - '
        'Skyfetch</title></head><body class="wy-body-for-nav" role="document"><div class="wy-grid-for-nav"><nav '
        'data-toggle="wy-nav-shift" class="wy-nav-side stickynav"><div class="wy-side-scroll"><div class="wy-side-'
        'nav-search"><a href=".." class="icon icon-home"> Skyfetch</a><div role="search"><form id="rtd-search-form" '
        'action="../search.html" method="get"><input type="text" name="q" placeholder="Search docs"></form></div>'
        '</div><div class="wy-menu wy-menu-vertical" role="navigation" aria-label="Navigation menu"><ul><li class='
        '"toctree-l1"><a class="reference internal" href="..">Skyfetch</a></li></ul><ul class="current"><li class='
        '"toctree-l1 current"><a class="reference internal current" href="#">Search tips</a></li></ul></div></div>'
        '</nav><section data-toggle="wy-nav-shift" class="wy-nav-content-wrap"><nav class="wy-nav-top" role='
        '"navigation"><a href="..">Skyfetch</a></nav><div class="wy-nav-content"><div class="rst-content"><div '
        'role="navigation" aria-label="breadcrumbs navigation"><ul class="wy-breadcrumbs"><li><a href=".." class='
        '"icon icon-home" aria-label="Docs"></a></li><li class="breadcrumb-item active">Search tips</li></ul><hr/>'
        '</div><div role="main" class="document" itemscope="itemscope" itemtype="http://schema.org/Article"><div '
        'class="section" itemprop="articleBody"><h1 id="search-tips">Search tips</h1><p>Type the date as '
        '2024-03-01.</p></div></div><footer><div class="rst-footer-buttons" role="navigation" aria-label="Footer '
        'Navigation"><a href=".." class="btn btn-neutral float-left" title="Skyfetch"><span class="icon icon-circle-'
        'arrow-left"></span> Previous</a></div><hr/><div role="contentinfo"></div>Built with <a href="https://www.'
        'mkdocs.org/">MkDocs</a>.</footer></div></div></section></div><div class="rst-versions" role="note" '
        'aria-label="Versions"><span class="rst-current-version"><span><a href="..">&laquo; Previous</a></span>'
        "</span></div></body></html>")
    doc = _one(path)
    assert [(doc.text[p.start : p.end], p.anchor) for p in document_paragraphs(doc)] == [
        ("Search tips", "search-tips"), ("Type the date as 2024-03-01.", "search-tips")]


def test_docsy_a_section_s_list_of_its_pages_is_not_read_and_leaves_its_page_in_order(tmp_path: Path) -> None:
    """Docsy (Hugo's documentation theme: Kubernetes', gRPC's, OpenTelemetry's docs) ends every section's page with
    a list of the section's pages and their descriptions (``<div class="section-index">``): trafilatura read it first,
    as the page's opening section ("Example Page"), and lost the page's own headings to it. Cut down from the page
    Docsy 0.10 writes for a section's ``_index.md``."""
    path = tmp_path / "index.html"
    path.write_text(
        '<!doctype html><html lang="en" class="no-js"><head><meta charset="utf-8"><meta name="generator" content='
        '"Hugo 0.125.4"><title>Getting Started | Skyfetch</title></head><body class="td-section"><header><nav class='
        '"td-navbar js-navbar-scroll"><a class="navbar-brand" href="/"><span class="navbar-brand__name">Skyfetch'
        '</span></a><ul class="navbar-nav"><li class="nav-item"><a class="nav-link" href="/docs/"><span>'
        'Documentation</span></a></li></ul></nav></header><div class="container-fluid td-outer"><div class="td-main">'
        '<div class="row flex-xl-nowrap"><aside class="col-12 col-md-3 col-xl-2 td-sidebar d-print-none"><nav class='
        '"td-sidebar-nav collapse" id="td-section-nav"><ul class="td-sidebar-nav__section"><li><a href="/docs/'
        'getting-started/" class="td-sidebar-link"><span class="td-sidebar-nav-active-item">Getting Started</span>'
        '</a></li></ul></nav></aside><main class="col-12 col-md-9 col-xl-8 ps-md-5" role="main"><nav aria-label='
        '"breadcrumb" class="td-breadcrumbs"><ol class="breadcrumb"><li class="breadcrumb-item"><a href="/docs/">'
        'Documentation</a></li></ol></nav><div class="td-content"><h1>Getting Started</h1><div class="lead">What '
        'you need to know to try skyfetch.</div><header class="article-meta"></header><h2 id="prerequisites">'
        'Prerequisites<a class="td-heading-self-link" href="#prerequisites" aria-label="Heading self-link"></a></h2>'
        "<p>Skyfetch needs Python 3.10 or newer and about two gigabytes of free disk space for the image cache.</p>"
        '<h2 id="setup">Setup<a class="td-heading-self-link" href="#setup" aria-label="Heading self-link"></a></h2>'
        "<p>Set the archive's token in the SKYFETCH_TOKEN environment variable before the first fetch.</p><div "
        'class="section-index"><hr class="panel-line"><div class="entry"><h5><a href="/docs/getting-started/example-'
        'page/">Example Page</a></h5><p>A short lead description about this content page.</p></div></div><div '
        'class="td-page-meta__lastmod">Last modified March 26, 2024: <a href="https://github.com/example/skyfetch/'
        'commit/a1b2c3d">Fix the token (a1b2c3d)</a></div></div></main></div></div><footer class="td-footer row '
        'd-print-none"><span class="td-footer__copyright">&copy; 2024 The Skyfetch Authors</span></footer></div>'
        "</body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading] == [
        ("Getting Started", "What you need to know to try skyfetch."),
        ("Prerequisites", ("Skyfetch needs Python 3.10 or newer and about two gigabytes of free disk space for the "
                           "image cache.")),
        ("Setup", "Set the archive's token in the SKYFETCH_TOKEN environment variable before the first fetch.")]


def test_docsy_a_note_s_title_names_no_section(tmp_path: Path) -> None:
    # Docsy's alert shortcode writes a Bootstrap alert, its title an <h4 class="alert-heading">: what followed the note
    # in its section was cited as in a section "Warning".
    path = tmp_path / "install.html"
    path.write_text(
        '<!doctype html><html lang="en"><head><meta name="generator" content="Hugo 0.125.4"><title>Install | Skyfetch'
        '</title></head><body class="td-page"><main class="col-12 col-md-9 col-xl-8 ps-md-5" role="main"><div '
        'class="td-content"><h1>Install</h1><h2 id="with-pip">With pip<a class="td-heading-self-link" href="#with-pip"'
        ' aria-label="Heading self-link"></a></h2><p>Install the package from PyPI with pip, in a virtual environment '
        'of its own.</p><div class="alert alert-warning" role="alert"><h4 class="alert-heading">Warning</h4>The archive'
        " refuses more than a hundred images per batch from one address.</div><p>Then check the installed version "
        "with skyfetch --version, which prints the release number.</p></div></main></body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, p.anchor, doc.text[p.start : p.end]) for p in document_paragraphs(doc)][-3:] == [
        ("With pip", "with-pip", "Warning"),
        ("With pip", "with-pip", "The archive refuses more than a hundred images per batch from one address."),
        ("With pip", "with-pip", ("Then check the installed version with skyfetch --version, which prints the "
                                  "release number."))]


def test_just_the_docs_table_of_contents_is_not_read(tmp_path: Path) -> None:
    # Just the Docs (Jekyll) puts kramdown's table of contents in a <details> whose summary is "Table of contents":
    # the links were dropped, but the summary was a paragraph of the page, under its title.
    path = tmp_path / "installation.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Installation | Skyfetch</title><meta '
        'name="generator" content="Jekyll v4.3.3" /></head><body><a class="skip-to-main" href="#main-content">Skip to '
        'main content</a><div class="side-bar"><nav aria-label="Main" id="site-nav" class="site-nav"><ul class="nav-'
        'list"><li class="nav-list-item"><a href="/" class="nav-list-link">Home</a></li></ul></nav></div><div '
        'class="main" id="top"><div class="main-content-wrap"><div id="main-content" class="main-content"><main><h1 '
        'id="installation"><a href="#installation" class="anchor-heading" aria-labelledby="installation"><svg '
        'viewBox="0 0 16 16" aria-hidden="true"><use xlink:href="#svg-link"></use></svg></a> Installation</h1><p '
        'class="fs-6 fw-300">Skyfetch runs on Linux and macOS with Python 3.10 or newer.</p><details open=""><summary '
        'class="text-delta">Table of contents</summary><ol id="markdown-toc"><li><a href="#with-pip" id="markdown-toc-'
        'with-pip">With pip</a></li></ol></details><h2 id="with-pip"><a href="#with-pip" class="anchor-heading" '
        'aria-labelledby="with-pip"><svg viewBox="0 0 16 16" aria-hidden="true"><use xlink:href="#svg-link"></use>'
        "</svg></a> With pip</h2><p>Install the released package in a virtual environment of its own.</p></main>"
        "</div></div></div></body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading] == [
        ("Installation", "Skyfetch runs on Linux and macOS with Python 3.10 or newer."),
        ("With pip", "Install the released package in a virtual environment of its own.")]


@pytest.mark.parametrize("icon", ['<i class="fa icon-warning" title="Warning"></i>', '<div class="title">Warning</div>',
                                  '<img src="_images/icons/warning.png" alt="Warning">'])
def test_asciidoctor_a_note_keeps_its_label_as_a_paragraph_of_its_own(tmp_path: Path, icon: str) -> None:
    # Asciidoctor (and Antora, which builds on it) writes an admonition as a table: its label in an icon cell (a font
    # icon's title with icons=font, as Antora's UI has it; a <div class="title"> without; an image's alt with
    # icons=image), its text in the next. Antora's "Warning" was lost, and the others' read "Warning | Deleting ...".
    path = tmp_path / "cache.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="generator" content="Antora 3.1.7">'
        '<title>Configure the cache :: Skyfetch Docs</title></head><body class="article"><div class="body"><main '
        'class="article"><article class="doc"><h1 class="page">Configure the cache</h1><div class="sect1"><h2 id="_'
        'limits"><a class="anchor" href="#_limits"></a>Limits</h2><div class="sectionbody"><div class="paragraph"><p>'
        "The cache grows until it reaches the size set by the cache limit option, then the oldest images go first.</p>"
        f'</div><div class="admonitionblock warning"><table><tr><td class="icon">{icon}</td><td class="content">'
        "Deleting the cache folder while a fetch runs corrupts the images being written.</td></tr></table></div><div "
        'class="paragraph"><p>Set the limit in the configuration file under the cache section, in megabytes.</p></div>'
        "</div></div></article></main></div></body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, p.anchor, doc.text[p.start : p.end]) for p in document_paragraphs(doc)][-3:] == [
        ("Limits", "_limits", "Warning"),
        ("Limits", "_limits", "Deleting the cache folder while a fetch runs corrupts the images being written."),
        ("Limits", "_limits", "Set the limit in the configuration file under the cache section, in megabytes.")]


@pytest.mark.parametrize("sidebar", [
    '<div class="sidebarblock"><div class="content"><div class="title">Why a limit?</div><div class="paragraph"><p>',
    '<div class="sidebar"><p class="first sidebar-title">Why a limit?</p><p class="last">'])
def test_a_sidebar_block_of_the_text_is_read(tmp_path: Path, sidebar: str) -> None:
    # Asciidoctor's sidebar block (****), and a docutils sidebar directive as Sphinx wrote it before docutils 0.18 (a
    # <div>, not an <aside>), are text of the page, but their class says "sidebar": trafilatura deleted them whole.
    path = tmp_path / "guide.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta name="generator" content="Asciidoctor '
        '2.0.20"><title>Skyfetch Guide</title></head><body class="article"><div id="header"><h1>Skyfetch Guide</h1>'
        '</div><div id="content"><div class="sect1"><h2 id="_limits">Limits</h2><div class="sectionbody"><div class='
        '"paragraph"><p>The fetcher stops after the number of images its limit option gives, whatever the archive '
        'still holds.</p></div><div class="paragraph"><p>Without a limit, a fetch runs until the archive has nothing '
        'newer than the date it was given, which may take hours on a first run.</p></div><div class="paragraph"><p>'
        f"The limit counts only the images fetched, not those found in the cache already.</p></div>{sidebar}The archive allows a thousand images per day to each token, so a limit keeps "
        "a nightly job under that.</p></div></div></div></div></div></body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc)][-2:] == [
        ("Limits", "Why a limit?"),
        ("Limits", ("The archive allows a thousand images per day to each token, so a limit keeps a nightly job "
                    "under that."))]


def _asciidoctor_page(path: Path, content: str, after: str = "") -> Path:
    """A page as Asciidoctor writes a standalone document: its header, content, footnotes and footer side by side."""
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta name="generator" content="Asciidoctor '
        '2.0.20"><title>Skyfetch Guide</title></head><body class="article"><div id="header"><h1>Skyfetch Guide</h1>'
        f'</div><div id="content">{content}</div>{after}<div id="footer"><div id="footer-text">Version 2.1<br>Last '
        "updated 2024-05-02 10:00:00 UTC</div></div></body></html>", encoding="utf-8")
    return path


def test_asciidoctor_a_footnote_is_read(tmp_path: Path) -> None:
    # Asciidoctor writes a document's footnotes after its content, in a <div id="footnotes"> beside <div id="content">,
    # which trafilatura takes for the page's main content: every footnote of the page was lost.
    path = _asciidoctor_page(tmp_path / "guide.html", (
        '<div class="sect1"><h2 id="_options">Options</h2><div class="sectionbody"><div class="paragraph"><p>The '
        "fetcher reads its options from the command line and from its configuration file, the command line first."
        '</p></div><div class="paragraph"><p>An option given twice takes its last value, as most command-line tools '
        'do.</p></div><div class="paragraph"><p>An option the fetcher does not know stops it before it fetches '
        "anything, with a message that names the option.</p></div></div></div>"), (
        '<div id="footnotes"><hr><div class="footnote" id="_footnotedef_1"><a href="#_footnoteref_1">1</a>. The '
        "configuration file is skyfetch.toml, in your home folder.</div></div>"))
    doc = _one(path)
    assert [doc.text[p.start : p.end] for p in document_paragraphs(doc)][-1] == (
        "1. The configuration file is skyfetch.toml, in your home folder.")


def test_asciidoctor_a_footnote_s_marker_is_not_text(tmp_path: Path) -> None:
    # Asciidoctor's marker is a <sup> with its brackets around the link ("[<a href=#_footnotedef_1>1</a>]"): it was read
    # into the sentence ("... the command line first.[1]"), where other generators' markers are taken out.
    path = _asciidoctor_page(tmp_path / "guide.html", (
        '<div class="sect1"><h2 id="_options">Options</h2><div class="sectionbody"><div class="paragraph"><p>The '
        "fetcher reads its options from the command line and from its configuration file, the command line first."
        '<sup class="footnote">[<a id="_footnoteref_1" class="footnote" href="#_footnotedef_1" title="View footnote.">'
        '1</a>]</sup></p></div><div class="paragraph"><p>An option given twice takes its last value, as most '
        "command-line tools do.</p></div></div></div>"))
    doc = _one(path)
    assert next(doc.text[p.start : p.end] for p in document_paragraphs(doc) if not p.heading) == (
        "The fetcher reads its options from the command line and from its configuration file, the command line first.")


def test_docsy_the_feedback_widget_is_not_read(tmp_path: Path) -> None:
    # Docsy ends every page, where a site enables its feedback (Kubernetes' docs do), with "Feedback", "Was this page
    # helpful?", its Yes and No buttons and the two replies a click shows: a section "Feedback" of every page.
    path = tmp_path / "install.html"
    path.write_text(
        '<!doctype html><html lang="en"><head><meta name="generator" content="Hugo 0.125.4"><title>Install | Skyfetch'
        '</title></head><body class="td-page"><main class="col-12 col-md-9 col-xl-8 ps-md-5" role="main"><div '
        'class="td-content"><h1>Install</h1><div class="lead">How to install Skyfetch on your machine.</div><h2 id="'
        'with-pip">With pip</h2><p>Install the package from PyPI with pip, in a virtual environment of its own, on '
        "Linux or macOS.</p><p>Then check the installed version with skyfetch --version, which prints the release "
        'number and exits.</p><div class="d-print-none"><h2 class="feedback--title">Feedback</h2><p class="feedback--'
        'question">Was this page helpful?</p><button class="btn btn-primary mb-4 feedback--answer feedback--answer-yes">'
        'Yes</button><button class="btn btn-primary mb-4 feedback--answer feedback--answer-no">No</button><p class="'
        'feedback--response feedback--response-yes">Glad to hear it! Please <a href="https://github.com/skyfetch/'
        'skyfetch/issues/new">tell us how we can improve</a>.</p><p class="feedback--response feedback--response-no">'
        'Sorry to hear that. Please <a href="https://github.com/skyfetch/skyfetch/issues/new">tell us how we can '
        "improve</a>.</p></div></div></main></body></html>", encoding="utf-8")
    doc = _one(path)
    assert [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading] == [
        ("Install", "How to install Skyfetch on your machine."),
        ("With pip", "Install the package from PyPI with pip, in a virtual environment of its own, on Linux or macOS."),
        ("With pip", ("Then check the installed version with skyfetch --version, which prints the release number "
                      "and exits."))]


_MIRRORS = ("<p>Skyfetch downloads from the mirror nearest to you, found from the round-trip time of a first request."
            "</p><p>Set <code>mirror</code> in the configuration file to choose one yourself.</p>")


def _mirrors_page(path: Path, generator: str, body: str) -> list[tuple[str | None, str]]:
    """(section, text) of each paragraph of a manual's page on mirrors, ``body`` around its text, that says
    ``generator`` wrote it."""
    path.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>Mirrors'
        f'</title><meta name="Generator" content="{generator}"></head><body lang="en">'
        + body.format(text=_MIRRORS) + "</body></html>", encoding="utf-8")
    doc = _one(path)
    return [(p.section, doc.text[p.start : p.end]) for p in document_paragraphs(doc) if not p.heading]


def _mirrors_text(section: str) -> list[tuple[str | None, str]]:
    return [(section, ("Skyfetch downloads from the mirror nearest to you, found from the round-trip time of a first "
                       "request.")),
            (section, "Set mirror in the configuration file to choose one yourself.")]


_TEXINFO_NODE = {
    # Texinfo 6 (makeinfo): the links to the node's neighbours in a <div class="header">, an empty <span id> before
    # the heading, and the menu of its sub-nodes as a <ul class="section-toc">.
    "makeinfo": ('<div class="section" id="Mirrors"><div class="header"><p>Next: <a href="Proxies.html" accesskey="n" '
                 'rel="next">Proxies</a>, Previous: <a href="Install.html" accesskey="p" rel="prev">Install</a>, Up: <a '
                 'href="Usage.html" accesskey="u" rel="up">Usage</a> &nbsp; [<a href="Index.html" title="Index" '
                 'rel="index">Index</a>]</p></div><hr><span id="Choosing-a-mirror"></span><h3 class="section">2.3 '
                 'Choosing a mirror</h3><ul class="section-toc"><li><a href="#Timeouts" accesskey="1">Timeouts</a></li>'
                 "</ul>{text}</div>"),
    # Texinfo 7 (texi2any): the same links in a <div class="nav-panel">, the menu a <ul class="mini-toc">.
    "texi2any": ('<div class="section-level-extent" id="Mirrors"><div class="nav-panel"><p>Next: <a href="Proxies.'
                 'html" accesskey="n" rel="next">Proxies</a>, Previous: <a href="Install.html" accesskey="p" rel="prev">'
                 'Install</a>, Up: <a href="Usage.html" accesskey="u" rel="up">Usage</a> &nbsp; [<a href="Index.html" '
                 'title="Index" rel="index">Index</a>]</p></div><h3 class="section" id="Choosing-a-mirror"><span>2.3 '
                 'Choosing a mirror<a class="copiable-link" href="#Choosing-a-mirror"> &para;</a></span></h3><ul '
                 'class="mini-toc"><li><a href="#Timeouts" accesskey="1">Timeouts</a></li></ul>{text}</div>'),
}


@pytest.mark.parametrize("generator", sorted(_TEXINFO_NODE))
def test_texinfo_a_node_s_links_to_its_neighbours_and_its_menu_are_not_read(tmp_path: Path, generator: str) -> None:
    # Every page of a Texinfo manual (GNU's, libffi's) as makeinfo writes it opens with "Next: ..., Previous: ...,
    # Up: ... [Index]": it was the first paragraph of every page, and a page of a heading and a menu was one
    # paragraph of the links, the heading and the menu run together.
    path = tmp_path / "Mirrors.html"
    assert _mirrors_page(path, generator, _TEXINFO_NODE[generator]) == _mirrors_text("2.3 Choosing a mirror")
    menu = tmp_path / "Usage.html"  # a node of only a heading and a menu: its heading alone, or no document
    menu.write_text(path.read_text(encoding="utf-8").replace(_MIRRORS, ""), encoding="utf-8")
    assert [doc.text for doc in load_file(CorpusFile(menu, menu.name), lambda _: None)] in (
        [], ["2.3 Choosing a mirror"])


def test_node_js_a_code_block_keeps_its_lines_without_its_copy_button_and_each_variant_on_its_own(
        tmp_path: Path) -> None:
    # Node.js' API documentation writes a copy button inside each code block, and a block written both as an ES
    # module and as CommonJS as two <code>s in one <pre>, a toggle showing one. The button's "copy" ended the code's
    # text, so the block lost all its lines (one line of code run together), and the variants ran into each other.
    path = tmp_path / "fs.html"
    path.write_text(
        '<!DOCTYPE html><html lang="en"><head><title>File system | Node.js v20.20.2 Documentation</title></head><body '
        'class="alt apidoc" id="api-section-fs"><div id="content" class="clearfix"><div role="main" id="column1" '
        'class="interior"><div id="apicontent"><section><h3>Promise example<span><a class="mark" href="#promise-'
        'example" id="promise-example">#</a></span></h3><p>Promise-based operations return a promise that is fulfilled '
        'when the asynchronous operation is complete.</p><pre class="with-47-chars"><input class="js-flavor-toggle" '
        'type="checkbox" checked aria-label="Show modern ES modules syntax"><code class="language-js mjs"><span class='
        '"hljs-keyword">import</span> { unlink } <span class="hljs-keyword">from</span> <span class="hljs-string">'
        "'node:fs/promises'</span>;\n\n<span class=\"hljs-keyword\">try</span> {\n  <span class=\"hljs-keyword\">await"
        "</span> unlink('/tmp/hello');\n} <span class=\"hljs-keyword\">catch</span> (error) {\n  console.error(error."
        'message);\n}</code><code class="language-js cjs"><span class="hljs-keyword">const</span> { unlink } = require('
        "'node:fs/promises');\n\nunlink('/tmp/hello');</code><button class=\"copy-button\">copy</button></pre><p>The "
        "callback form takes a completion callback function as its last argument.</p></section></div></div></div>"
        "</body></html>", encoding="utf-8")
    doc = _one(path)
    assert [doc.text[p.start : p.end] for p in document_paragraphs(doc) if not p.heading] == [
        "Promise-based operations return a promise that is fulfilled when the asynchronous operation is complete.",
        ("import { unlink } from 'node:fs/promises';\ntry {\n  await unlink('/tmp/hello');\n} catch (error) {\n  "
         "console.error(error.message);\n}\nconst { unlink } = require('node:fs/promises');\nunlink('/tmp/hello');"),
        "The callback form takes a completion callback function as its last argument."]


_DOCBOOK_CHAPTER = {
    # DocBook's XSL stylesheets (Valgrind's, PostgreSQL's manuals): the links to the neighbours in a <div
    # class="navheader"> and "navfooter", the chapter's contents in a <div class="toc"> under its title.
    "DocBook XSL Stylesheets V1.79.2": (
        '<div class="navheader"><table width="100%" summary="Navigation header"><tr><th colspan="3" align="center">'
        'Chapter 2. Mirrors</th></tr><tr><td width="20%" align="left"><a accesskey="p" href="install.html">Prev</a>'
        '</td><th width="60%" align="center">Skyfetch Manual</th><td width="20%" align="right"><a accesskey="n" '
        'href="proxies.html">Next</a></td></tr></table><hr></div><div class="chapter"><div class="titlepage"><div>'
        '<div><h2 class="title"><a name="mirrors"></a>Chapter 2. Mirrors</h2></div></div></div><div class="toc"><p>'
        '<b>Table of Contents</b></p><dl class="toc"><dt><span class="sect1"><a href="mirrors.html#choosing">2.1. '
        'Choosing a mirror</a></span></dt></dl></div><div class="list-of-tables"><p><b>List of Tables</b></p><dl><dt>'
        '2.1. <a href="mirrors.html#mirror-list">Mirrors</a></dt></dl></div>{text}</div><div class="navfooter"><hr>'
        '<table width="100%" summary="Navigation footer"><tr><td width="40%" align="left"><a accesskey="p" href="'
        'install.html">Prev</a> </td><td width="20%" align="center"> </td><td width="40%" align="right"> <a '
        'accesskey="n" href="proxies.html">Next</a></td></tr><tr><td width="40%" align="left" valign="top">Chapter 1. '
        'Installing </td><td width="20%" align="center"><a accesskey="h" href="index.html">Home</a></td><td '
        'width="40%" align="right" valign="top"> Chapter 3. Proxies</td></tr></table></div>'),
    # The older DSSSL stylesheets (freedesktop.org's specifications), in capitals.
    "Modular DocBook HTML Stylesheet Version 1.79": (
        '<DIV CLASS="NAVHEADER"><TABLE SUMMARY="Header navigation table" WIDTH="100%"><TR><TH COLSPAN="3" '
        'ALIGN="center">Skyfetch Manual</TH></TR><TR><TD WIDTH="10%" ALIGN="left"><A HREF="install.html" ACCESSKEY='
        '"P">Prev</A></TD><TD WIDTH="80%" ALIGN="center"></TD><TD WIDTH="10%" ALIGN="right"><A HREF="proxies.html" '
        'ACCESSKEY="N">Next</A></TD></TR></TABLE><HR ALIGN="LEFT" WIDTH="100%"></DIV><DIV CLASS="CHAPTER"><H1><A '
        'NAME="MIRRORS"></A>Chapter 2. Mirrors</H1><DIV CLASS="TOC"><DL><DT><B>Table of Contents</B></DT><DT>2.1. <A '
        'HREF="mirrors.html#CHOOSING">Choosing a mirror</A></DT></DL></DIV>{text}</DIV><DIV CLASS="NAVFOOTER"><HR '
        'ALIGN="LEFT" WIDTH="100%"><TABLE SUMMARY="Footer navigation table" WIDTH="100%"><TR><TD WIDTH="33%" '
        'ALIGN="left"><A HREF="install.html" ACCESSKEY="P">Prev</A></TD><TD WIDTH="34%" ALIGN="center"><A HREF="'
        'index.html" ACCESSKEY="H">Home</A></TD><TD WIDTH="33%" ALIGN="right"><A HREF="proxies.html" ACCESSKEY="N">'
        'Next</A></TD></TR><TR><TD WIDTH="33%" ALIGN="left">Installing</TD><TD WIDTH="34%" ALIGN="center">&nbsp;</TD>'
        '<TD WIDTH="33%" ALIGN="right">Proxies</TD></TR></TABLE></DIV>'),
}


@pytest.mark.parametrize("generator", sorted(_DOCBOOK_CHAPTER))
def test_docbook_a_chapter_s_contents_and_links_to_its_neighbours_are_not_read(tmp_path: Path, generator: str) -> None:
    # DocBook opens a chapter's page with its table of contents: its title, "Table of Contents" (and "List of
    # Tables"), was a paragraph of every chapter, and on a page of little text the contents and the "Prev" and "Next"
    # links were read, or outweighed the text.
    assert _mirrors_page(tmp_path / "mirrors.html", generator, _DOCBOOK_CHAPTER[generator]) == _mirrors_text(
        "Chapter 2. Mirrors")
