"""The collections of a Milvus build, and how qabot's rows map onto them.

Four collections per build (names in ``qabot.index.milvus.config``):

- **passages**: one row per passage. ``id`` packs the document number and the passage's
  place in it (``doc << 20 | ordinal``), so a passage's neighbours are ids either side;
  ``vector`` (FLOAT_VECTOR, inner product on normalised vectors: cosine); ``terms``, the
  passage's BM25 tokens (qabot's own tokenizer, so that both engines count the same
  words), which Milvus's BM25 function turns into the sparse ``bm25`` field; and the
  fields of ``PassageRow``, mapped by their type hints (``str`` to VARCHAR, ``int`` to
  INT64, ``X | None`` nullable, span tuples to an INT64 array), so that a field added to
  ``PassageRow`` (and to ``Passage`` or ``Document``, where the build takes its value
  from, by name) is stored without more code;
- **sentences**: one row per sentence (``passage id << 9 | i``): its vector, its term ids
  and its flags (``chunking.sentence_flags``), what the rerank reads;
- **documents**: each document's text in chunks of ``CHUNK_CHARS`` characters, with the
  paragraphs that start in each chunk (``ParagraphRow``'s fields as JSON columns, mapped
  the same way), its id and digest (what an update compares) and, on chunk 0, the
  document's metadata;
- **terms**: each BM25 token's document frequency, for the rerank's idf weights.

Milvus wants a vector field in every collection: the ones that have none of their own
get a two-dimensional placeholder vector, ``placeholder``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import types
import typing
from typing import Any

import numpy as np

from qabot.errors import IndexStoreError
from qabot.index.engine import ParagraphRow, PassageRow
from qabot.index.milvus.client import Connection
from qabot.index.milvus.config import BuildNames

ORDINAL_BITS = 20  # passages per document: 1,048,576
SENTENCE_BITS = 9  # sentences per passage: 512 (a 600-character passage holds at most 300)
MAX_DOCS = 1 << 34
CHUNK_CHARS = 2000  # document text per row: at most 8,000 bytes, and at most 1,000 paragraphs starting in it
MAX_VARCHAR = 65_535  # bytes (Milvus's limit)
MAX_JSON = 65_536
MAX_ARRAY = 4096
PLACEHOLDER = "placeholder"
BM25_PARAMS = {"bm25_k1": 1.2, "bm25_b": 0.75}  # bm25s's (qabot.index.lexical.LexicalIndex)
SCHEMA_VERSION = 3  # bump when a collection's layout changes by hand: older builds are rebuilt
# 2: document ids and digests, sentence flags, rows numbered per update (no dirty head); 3: the chat flag

_PLAIN = re.compile(r"[a-z]+|[0-9]+")
_SPECIAL_PASSAGE = {"row"}  # the id


def passage_id(doc: int, ordinal: int) -> int:
    return (doc << ORDINAL_BITS) | ordinal


def doc_of(row: int) -> int:
    return row >> ORDINAL_BITS


def sentence_id(row: int, i: int) -> int:
    return (row << SENTENCE_BITS) | i


def chunk_id(doc: int, chunk: int) -> int:
    return (doc << ORDINAL_BITS) | chunk


def bm25_text(tokens: list[str]) -> str:
    """qabot's tokens in a form every Milvus analyzer keeps whole and as they are.

    Plain lowercase words and numbers stay; anything else (a decimal like "1,000.5", a
    word in another script) becomes "0" and its base32 spelling, which the "standard"
    tokenizer of Milvus and of Milvus Lite both see as one word and which no plain token
    can equal (qabot never mixes digits and letters in a token).
    """
    return " ".join(t if _PLAIN.fullmatch(t) else "0" + base32(t) for t in tokens if t)


def base32(token: str) -> str:
    return base64.b32encode(token.encode("utf-8")).decode("ascii").lower().rstrip("=")


# -- generic mapping of row dataclasses -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Column:
    """One dataclass field, as Milvus stores it."""

    name: str
    kind: str  # "int", "bool", "float", "str", "spans" (a tuple of (start, end) pairs), "json"
    nullable: bool


def columns(cls: type, skip: frozenset[str] | set[str] = frozenset()) -> list[Column]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        hint = hints[f.name]
        nullable = False
        if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
            args = [a for a in typing.get_args(hint) if a is not type(None)]
            nullable = len(args) < len(typing.get_args(hint))
            hint = args[0] if len(args) == 1 else Any
        kind = {int: "int", bool: "bool", float: "float", str: "str"}.get(hint, "json")
        if typing.get_origin(hint) is tuple:
            kind = "spans"
        out.append(Column(f.name, kind, nullable))
    return out


PASSAGE_COLUMNS = columns(PassageRow, _SPECIAL_PASSAGE)
PARAGRAPH_COLUMNS = columns(ParagraphRow)


def encode_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "spans":
        return [int(x) for pair in value for x in pair]
    if column.kind in ("int", "bool", "float", "str"):
        return {"int": int, "bool": bool, "float": float, "str": str}[column.kind](value)
    return value


def decode_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.kind == "spans":
        flat = [int(x) for x in value]
        return tuple(zip(flat[0::2], flat[1::2], strict=True))
    if column.kind == "int":
        return int(value)
    return value


def passage_row(entity: dict[str, Any]) -> PassageRow:
    """A stored passage as the core reads it."""
    row = int(entity["id"])
    values = {c.name: decode_value(c, entity.get(c.name)) for c in PASSAGE_COLUMNS}
    return PassageRow(row=row, **values)


PASSAGE_FIELDS = [c.name for c in PASSAGE_COLUMNS]
# What a build's layout is made of: a field added to PassageRow or ParagraphRow changes it,
# and a build of another layout is rebuilt rather than written to (its schema lacks the field).
LAYOUT = f"{SCHEMA_VERSION}:" + hashlib.blake2b(
    repr([dataclasses.astuple(c) for c in PASSAGE_COLUMNS + PARAGRAPH_COLUMNS]).encode(), digest_size=6
).hexdigest()


def encode_paragraphs(rows: list[ParagraphRow]) -> dict[str, list]:
    """Paragraphs as JSON columns; text values are indexes into one list of the distinct strings."""
    strings: dict[str, int] = {}
    out: dict[str, list] = {"_strings": []}
    for column in PARAGRAPH_COLUMNS:
        values = []
        for row in rows:
            value = getattr(row, column.name)
            if column.kind == "str" and value is not None:
                value = strings.setdefault(value, len(strings))
            elif column.kind == "bool":
                value = int(value)
            values.append(value)
        out[column.name] = values
    out["_strings"] = list(strings)
    return out


def decode_paragraphs(stored: dict[str, list]) -> list[ParagraphRow]:
    strings = stored.get("_strings", [])
    count = len(stored[PARAGRAPH_COLUMNS[0].name]) if PARAGRAPH_COLUMNS else 0
    rows = []
    for i in range(count):
        values = {}
        for column in PARAGRAPH_COLUMNS:
            value = stored.get(column.name, [None] * count)[i]
            if column.kind == "str" and value is not None:
                value = strings[value]
            elif column.kind == "bool":
                value = bool(value)
            values[column.name] = value
        rows.append(ParagraphRow(**values))
    return rows


# -- creating the collections -----------------------------------------------------------


def dense_index(factory: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Milvus index and search parameters for a ``QABOT_INDEX_FACTORY`` string."""
    from qabot.index.embedded.dense import SEARCH_PARAMS

    spec = factory.strip()
    if spec.lower() == "flat":
        return {"index_type": "FLAT", "params": {}}, {}
    if match := re.fullmatch(r"HNSW(\d+)", spec, re.IGNORECASE):
        return ({"index_type": "HNSW", "params": {"M": int(match.group(1)), "efConstruction": 200}},
                {"ef": SEARCH_PARAMS["efSearch"]})
    if match := re.fullmatch(r"IVF(\d+),Flat", spec, re.IGNORECASE):
        return ({"index_type": "IVF_FLAT", "params": {"nlist": int(match.group(1))}},
                {"nprobe": SEARCH_PARAMS["nprobe"]})
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", spec):
        return {"index_type": spec, "params": {}}, {}
    raise IndexStoreError(
        f"QABOT_INDEX_FACTORY {factory!r} has no Milvus equivalent: use Flat, HNSW<M>, IVF<nlist>,Flat "
        "or a Milvus index type such as AUTOINDEX"
    )


def _varchar(schema: Any, DataType: Any, name: str, **kw: Any) -> None:
    schema.add_field(name, DataType.VARCHAR, max_length=MAX_VARCHAR, **kw)


def _add_columns(schema: Any, DataType: Any, cols: list[Column]) -> None:
    for c in cols:
        kw = {"nullable": True} if c.nullable else {}
        if c.kind == "str":
            _varchar(schema, DataType, c.name, **kw)
        elif c.kind == "spans":
            schema.add_field(c.name, DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_ARRAY, **kw)
        else:
            dtype = {"int": DataType.INT64, "bool": DataType.BOOL, "float": DataType.DOUBLE}.get(c.kind, DataType.JSON)
            schema.add_field(c.name, dtype, **kw)


def create_build(conn: Connection, names: BuildNames, dimension: int, factory: str) -> None:
    """Create the four collections of a new build, indexed and loaded."""
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    index, _ = dense_index(factory)
    passages = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    passages.add_field("id", DataType.INT64, is_primary=True)
    passages.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    _varchar(passages, DataType, "terms", enable_analyzer=True, analyzer_params={"tokenizer": "standard"})
    passages.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
    _add_columns(passages, DataType, PASSAGE_COLUMNS)
    passages.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                   input_field_names=["terms"], output_field_names=["bm25"]))
    params = conn.client.prepare_index_params()
    params.add_index("vector", metric_type="IP", **index)
    params.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
    params.add_index("doc", index_type="INVERTED")
    conn.call("create_collection", names.passages, schema=passages, index_params=params)

    sentences = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    sentences.add_field("id", DataType.INT64, is_primary=True)
    sentences.add_field("doc", DataType.INT64)
    sentences.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    sentences.add_field("terms", DataType.ARRAY, element_type=DataType.INT64, max_capacity=MAX_ARRAY)
    sentences.add_field("flags", DataType.INT64)
    params = conn.client.prepare_index_params()
    params.add_index("vector", index_type="FLAT", metric_type="IP")  # fetched by id, never searched
    params.add_index("doc", index_type="INVERTED")
    conn.call("create_collection", names.sentences, schema=sentences, index_params=params)

    documents = _keyed_schema(DataType, MilvusClient, int_key=True)
    documents.add_field("doc", DataType.INT64)
    documents.add_field("chunk", DataType.INT64)
    _varchar(documents, DataType, "source")
    _varchar(documents, DataType, "doc_id")
    _varchar(documents, DataType, "digest")
    _varchar(documents, DataType, "text")
    documents.add_field("paragraphs", DataType.JSON)
    documents.add_field("meta", DataType.JSON, nullable=True)
    conn.call("create_collection", names.documents, schema=documents, index_params=_placeholder_index(conn, "doc"))

    terms = _keyed_schema(DataType, MilvusClient, int_key=False)
    terms.add_field("df", DataType.INT64)
    conn.call("create_collection", names.terms, schema=terms, index_params=_placeholder_index(conn))
    for name in names.all:
        conn.call("load_collection", name)


def create_meta(conn: Connection, name: str) -> None:
    from pymilvus import DataType, MilvusClient

    meta = _keyed_schema(DataType, MilvusClient, int_key=False)
    _varchar(meta, DataType, "value")
    conn.call("create_collection", name, schema=meta, index_params=_placeholder_index(conn))
    conn.call("load_collection", name)


def _keyed_schema(DataType: Any, MilvusClient: Any, *, int_key: bool) -> Any:
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    if int_key:
        schema.add_field("id", DataType.INT64, is_primary=True)
    else:
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
    schema.add_field(PLACEHOLDER, DataType.FLOAT_VECTOR, dim=2)
    return schema


def _placeholder_index(conn: Connection, scalar: str | None = None) -> Any:
    params = conn.client.prepare_index_params()
    params.add_index(PLACEHOLDER, index_type="FLAT", metric_type="L2")
    if scalar:
        params.add_index(scalar, index_type="INVERTED")
    return params


PLACEHOLDER_VECTOR = [0.0, 0.0]


def as_vector(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)
