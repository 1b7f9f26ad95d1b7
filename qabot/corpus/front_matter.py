"""The fields of a document's front matter that a citation uses (title, author, date, url), for
``qabot.corpus.files``: YAML's, read line by line at its top level without a YAML parser, and TOML's (Hugo's)."""

from __future__ import annotations

import datetime
import re

FRONT_MATTER_KEYS = ("title", "author", "date", "url")
# Each matched in a time linear in the line's length: no lazy ".*?" before trailing spaces, which backtracks over
# every run of spaces in a long line ("title: a" and a megabyte of spaces took minutes). Values are stripped after.
META_LINE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*:\s*(.*)$")
_YAML_ITEM = re.compile(r"[ \t]*-[ \t]+(?![\w-]+:(?:\s|$))(.+)")  # a list's item, not a map's ("- name: Ana")
_YAML_KEY = re.compile(r"""(?:[^\s:#"'][^:\n]*|"[^"\n]*"[ \t]*|'[^'\n]*'[ \t]*):(?:[ \t]|$)""")  # "title:", "'a b':"
_BLOCK_SCALAR = re.compile(r"[>|][+-]?\d?")  # YAML's folded (">") or literal ("|") text on the lines below


def is_yaml_map(lines: list[str]) -> bool:
    """Whether the lines between two ``---`` lines are a YAML map, as front matter is: its first line but blank
    ones and comments is a key's (``title: ...``). A text's paragraph between two rules is not."""
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), None)
    return first is None or (not first[:1].isspace() and _YAML_KEY.match(first) is not None)


def yaml_fields(lines: list[str]) -> dict[str, str]:
    """The known keys of YAML front matter at its top level (a nested map's ``seo:`` over ``  title: ...`` is not the
    page's title): a value on the key's line, its items where it is a list (``[Ana, Ben]``, or ``- Ana`` lines
    under it) joined by commas, or the indented lines under a block scalar's ``>`` or ``|``, joined."""
    fields: dict[str, str] = {}
    key: str | None = None  # a known key whose value is on the lines under it
    listed, values = False, []  # whether those lines are a list's items ("- Ana"), and their values
    for line in [*lines, ""]:
        if key is not None:
            if listed and (item := _YAML_ITEM.fullmatch(line)):
                values.append(unquote(item.group(1)))
                continue
            if not listed and line[:1].isspace():
                values.append(line.strip())
                continue
            if value := (", " if listed else " ").join(v for v in values if v):
                fields[key] = value
            key = None
        match = META_LINE.match(line)
        if match is None or line[:1].isspace() or (name := match.group(1).lower()) not in FRONT_MATTER_KEYS:
            continue
        value = match.group(2).strip()
        if not value or _BLOCK_SCALAR.fullmatch(value):
            key, listed, values = name, not value, []
        elif value.startswith("[") and value.endswith("]"):
            fields[name] = ", ".join(v for item in value[1:-1].split(",") if (v := unquote(item)))
        else:
            fields[name] = unquote(value)
    return fields


def toml_fields(block: str) -> dict[str, str] | None:
    """The known keys of a TOML block, read with ``tomllib`` (a date as ISO 8601); None where it is not TOML."""
    import tomllib

    try:
        table = tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None
    fields = {}
    for key, value in table.items():
        if key.lower() in FRONT_MATTER_KEYS and isinstance(value, str | int | float | datetime.date | datetime.time):
            text = value.isoformat() if isinstance(value, datetime.date | datetime.time) else str(value).strip()
            if text:
                fields[key.lower()] = text
    return fields


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value
