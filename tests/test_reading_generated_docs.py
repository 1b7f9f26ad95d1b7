"""Pages that documentation generators write: rustdoc's API pages (as docs.rs serves them) and mdBook's books.

The rustdoc page is the real one (``tests/data/formats/html/rustdoc-option.html``, see
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
    return _one(FORMATS / "html" / "rustdoc-option.html")


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
    assert [anchor for _, anchor in examples] == ["examples", "examples-8", "examples-9", "examples-11", "examples-22"]
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
