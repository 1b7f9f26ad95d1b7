"""Typed values that cross module and API boundaries.

``Document`` and ``Passage`` flow from the corpus loader through chunking into the
index; ``Citation``, ``Excerpt`` and ``Answer`` are what ``QABot.ask`` returns. All are
pydantic models, so they validate on the way in and serialise with
``model_dump_json()`` on the way out.

Offsets are character offsets (Python ``str`` indices) into the source text: the
file as ``Path.read_text(encoding="utf-8")`` returns it, the ``"text"`` field of a
``.jsonl`` document, or the text a reader extracted from a PDF, HTML page, Word file
or chat export (which the index stores). ``source_text[start:end]`` is always exactly
the quoted text.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

STORED_MAX = 2**31 - 1  # a paragraph's numbers are stored as 32-bit integers (``qabot.index.embedded.store``)


class Document(BaseModel):
    """One loaded document: a whole .txt/.md file, a line of a .jsonl file, a PDF, a page, a channel export."""

    model_config = ConfigDict(frozen=True)

    doc_id: str
    source: str = Field(description="file path relative to the corpus folder, '/'-separated")
    title: str | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    text: str = Field(description="the full source text that offsets point into")
    body_start: int = Field(0, description="offset where the body begins, after any front matter")
    paragraphs: tuple[Paragraph, ...] | None = Field(
        None, description="the reader's own paragraphs for text it derived, or those load_file found in plain text; "
                          "None: to be found in the text"
    )


class Paragraph(BaseModel):
    """A paragraph (or heading) of a document, as exact offsets into its text.

    The optional fields say where a paragraph of derived text came from, for its
    citation: a PDF page, an HTML heading's id, a chat message's link, author and time.
    """

    model_config = ConfigDict(frozen=True)

    start: int
    end: int
    number: int = Field(ge=0, le=STORED_MAX, description="1-based paragraph number within the document; 0 for headings")
    section: str | None = None
    heading: bool = Field(False, description="a heading, or an author's sign-off: structure, not passage text")
    duplicate: bool = Field(False, description="repeats an earlier paragraph; not indexed")
    page: int | None = Field(None, ge=0, le=STORED_MAX, description="1-based page of a paged document (PDF)")
    page_label: str | None = Field(None, description="the page's printed label where it has one ('iv', '22')")
    anchor: str | None = Field(None, description="id of the element to link to (an HTML heading's id)")
    url: str | None = Field(None, description="a link of the paragraph's own (a chat message's jump link)")
    author: str | None = Field(None, description="who wrote it, where that varies by paragraph (a chat message)")
    date: str | None = Field(None, description="when, as ISO 8601, where that varies by paragraph")
    group: int | None = Field(
        None, ge=0, le=STORED_MAX,
        description="consecutive paragraphs with the same group are kept in one passage where they fit"
    )
    role: str | None = Field(
        None, description="in a chat's exchange: 'asks' (a message of the asker), 'answers' (a reply to the asker "
        "from someone else), 'accepted' (an answer the asker marked), 'thanked' (an answer the asker's thanks "
        "replies to) or 'bot' (a bot's message)"
    )
    reply_to: int | None = Field(
        None, ge=0, le=STORED_MAX,
        description="in a chat's exchange: the number of the message of the same exchange it replies to (a Discord reply)"
    )


class Passage(BaseModel):
    """A retrievable unit: whole sentences of one paragraph, at most ``max_chars`` long.

    ``sentences`` holds the (start, end) offsets of the sentence units inside the
    passage; they are the candidates for the highlight.
    """

    model_config = ConfigDict(frozen=True)

    doc_id: str
    source: str
    title: str | None = None
    section: str | None = None
    paragraph: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]]
    page: int | None = None


class Citation(BaseModel):
    """Where an excerpt came from, precisely enough for a reader to check it."""

    source: str = Field(description="the document's file name, relative to the corpus folder")
    doc_id: str = Field(description="file name for .txt/.md; the '_id' of a .jsonl line")
    title: str | None = None
    section: str | None = None
    paragraph: int = Field(description="1-based paragraph number within the document")
    location: str = Field(description="readable place, e.g. '§ Early years, ¶ 12'")
    start: int = Field(description="offset of the excerpt's first character in the source text")
    end: int = Field(description="offset just past the excerpt's last character")
    url: str | None = None
    page: int | None = Field(None, description="1-based page of the highlight, in a paged document (PDF)")
    page_label: str | None = Field(None, description="that page's printed label, where the document defines one")
    author: str | None = Field(None, description="the author of the quoted paragraph, where it has its own (a chat message)")
    date: str | None = Field(None, description="when the quoted paragraph was written, where it says (a chat message)")
    link: str | None = Field(
        None, description="a link that opens the source at the highlight: url#anchor:~:text=..., or the message's own link"
    )


class Excerpt(BaseModel):
    """A verbatim excerpt of the corpus, with the sentence(s) that answer highlighted."""

    text: str = Field(description="verbatim source text, at most 600 characters")
    highlight: str = Field(description="the sentence(s) of text that best answer, at most 300 characters (400 for "
                           "a sentence opening with a pronoun and the one before it that names it)")
    highlight_start: int = Field(description="offset of the highlight within text")
    highlight_end: int = Field(description="text[highlight_start:highlight_end] == highlight")
    score: float
    citation: Citation
    passage_id: int = Field(description="row of the best-matching passage in the index")


class Answer(BaseModel):
    """The result of one question.

    ``answered`` is False when nothing in the corpus answers; ``excerpts`` may then
    still hold the closest passages, which front-ends offer only as such.
    """

    question: str
    query: str = Field(description="the text actually searched, after follow-up resolution")
    answered: bool
    confidence: float = Field(0.0, description="how well the best excerpt answers; answered = confidence >= threshold")
    excerpts: list[Excerpt]


class RankedDocument(NamedTuple):
    """A document and how well its passages match a question (``QABot.rank_documents``)."""

    doc_id: str
    score: float


class SourceInfo(BaseModel):
    """One indexed corpus file, for listings such as ``/sources``."""

    source: str
    title: str | None = None
    documents: int
    passages: int


class PassageContext(BaseModel):
    """The whole paragraph around an excerpt, with its neighbours, for reading on."""

    citation: Citation
    before: list[str]
    paragraph: str
    after: list[str]


_Model = TypeVar("_Model", bound=BaseModel)


def validated_again(model: _Model) -> _Model:
    """``model`` validated anew from the values it holds: ``model_copy(update=...)`` and ``model_construct`` skip
    pydantic's checks (a library caller's ``Document`` or ``Excerpt`` so made). Raises pydantic's ``ValidationError``
    (``first_problem`` words it)."""
    return type(model).model_validate(_held(model))


def _held(value: Any) -> Any:
    """A model's values as they are, its nested models' too (their ``__dict__``: nothing serialised, nothing copied)."""
    if isinstance(value, BaseModel):
        values = value.__dict__
        if any(isinstance(v, BaseModel | list | tuple) for v in values.values()):
            return {name: _held(v) for name, v in values.items()}
        return values
    if isinstance(value, list | tuple) and any(isinstance(v, BaseModel) for v in value):
        return [_held(v) for v in value]
    return value


def first_problem(exc: ValidationError) -> str:
    """What ``validated_again`` found wrong first, in one line: where, why, and what it got ("paragraphs.0.author:
    Input should be a valid string (got int)")."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']} (got {type(problem['input']).__name__})"
