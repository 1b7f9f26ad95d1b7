"""The numbers of a Word file's numbered lists, as Word shows them ("1.", "a)", "2.1."), for ``qabot.corpus.docx``.

python-docx reads a paragraph's text, not the number Word draws before it: that comes from
the file's numbering definitions (``word/numbering.xml``). A paragraph is in a list through
its own ``w:numPr`` (a list instance and a level) or its style's (``List Number``, a heading
style linked to an outline list); ``w:numId`` 0 takes it out of one. Each level has a start,
a format and a text (``%1.``, ``%1.%2.``, ``(%3)``). Lists that share a definition go on with
each other's numbers unless one restarts: a list's level override (``w:lvlOverride``) gives
it a start (``w:startOverride``) or a level of its own (``w:lvl``: its start, format and text),
and the list starts that level again where it is first used. A level starts again after an
item of a level above it, as in Word, unless its ``w:lvlRestart`` says it never does (0) or
only after a level further up (its number, from 1). Decimal, letters (to "zzzz") and roman
numerals are written as Word writes them; other formats (ordinals, words, other scripts) as decimals. A
bullet, or a level without a number, gives no label: its glyph is a symbol font's
character, not text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_LEVELS = 9
_MAX_LETTERS = 26 * 4  # "zzzz"; past it, a decimal: a list of a million items would write labels of 38,000 letters
_PLACEHOLDER = re.compile(r"%([1-9])")
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _w(tag: str) -> str:
    return f"{_NS}{tag}"


def _val(element: Any, *path: str) -> str | None:
    """The ``w:val`` of the element at ``path`` below ``element``, or None."""
    for tag in path:
        element = element.find(_w(tag)) if element is not None else None
    return element.get(_w("val")) if element is not None else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


@dataclass(frozen=True, slots=True)
class _Level:
    start: int
    fmt: str
    text: str
    legal: bool  # w:isLgl: the levels above are written as decimals
    style: str | None  # the paragraph style that takes this level (w:pStyle)
    restart: int | None  # w:lvlRestart: restarted after an item of this level (1-based) or above; 0, never; None,
    # after any level above it


def roman(number: int) -> str:
    """``number`` (1 to 3999) in lower-case roman numerals, as Word and browsers write a list's: 4 is "iv"."""
    out, rest = "", number
    for value, digits in _ROMAN:
        count, rest = divmod(rest, value)
        out += digits * count
    return out


def _format(number: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter") and 0 < number <= _MAX_LETTERS:  # Word: a ... z, aa ... zz, aaa ...
        letter = "abcdefghijklmnopqrstuvwxyz"[(number - 1) % 26] * ((number - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 0 < number < 4000:
        return roman(number).upper() if fmt == "upperRoman" else roman(number)
    if fmt == "decimalZero":
        return f"{number:02d}"
    return str(number)


class Numbering:
    """The numbering definitions of one Word file, and the counters of its lists as its paragraphs are read in
    order: ``label(paragraph)`` gives each its number and moves the count on."""

    def __init__(self, word: Any) -> None:
        self._abstract: dict[str, dict[int, _Level]] = {}  # w:abstractNumId -> its levels
        self._links: dict[str, str] = {}  # w:abstractNumId -> the numbering style it takes its levels from
        self._nums: dict[str, tuple[str, dict[int, tuple[int | None, _Level | None]]]] = {}  # w:numId -> its
        # abstractNumId, and the overrides of its levels: a start (w:startOverride), a level of its own (w:lvl)
        self._levels: dict[str, dict[int, _Level]] = {}  # w:numId -> its levels, overrides applied
        self._styles: dict[str, tuple[str | None, str | None]] = {}  # style id -> (numId, ilvl), basedOn followed
        self._counters: dict[str, list[int | None]] = {}  # abstractNumId -> the current number of each level
        self._started: set[str] = set()  # numIds whose overrides have restarted their list
        numbering = _part(word)
        if numbering is None:
            return
        for abstract in numbering.iterchildren(_w("abstractNum")):
            key = abstract.get(_w("abstractNumId")) or ""
            self._abstract[key] = {_int(lvl.get(_w("ilvl")), 0): self._level(lvl) for lvl in abstract.iterchildren(_w("lvl"))}
            if link := _val(abstract, "numStyleLink"):
                self._links[key] = link
        for num in numbering.iterchildren(_w("num")):
            overrides = {_int(o.get(_w("ilvl")), 0): (
                _int(start, 1) if (start := _val(o, "startOverride")) is not None else None,
                self._level(lvl) if (lvl := o.find(_w("lvl"))) is not None else None,
            ) for o in num.iterchildren(_w("lvlOverride"))}
            self._nums[num.get(_w("numId")) or ""] = (_val(num, "abstractNumId") or "", overrides)
        self._read_styles(word)

    @staticmethod
    def _level(lvl: Any) -> _Level:
        restart = _val(lvl, "lvlRestart")
        return _Level(start=_int(_val(lvl, "start"), 1), fmt=_val(lvl, "numFmt") or "decimal",
                      text=_val(lvl, "lvlText") or "", legal=lvl.find(_w("isLgl")) is not None,
                      style=_val(lvl, "pStyle"), restart=_int(restart, 1) if restart is not None else None)

    def _num_levels(self, num: str, abstract_id: str) -> dict[int, _Level]:
        """The levels of list ``num``: its abstract list's, each overridden by the num's own level or start."""
        if (levels := self._levels.get(num)) is None:
            levels = dict(self._abstract.get(abstract_id, {}))
            for at, (start, own) in self._nums[num][1].items():
                level = own or levels.get(at)
                if level is not None:
                    levels[at] = replace(level, start=start) if start is not None else level
            self._levels[num] = levels
        return levels

    def _read_styles(self, word: Any) -> None:
        own: dict[str, tuple[str | None, str | None, str | None]] = {}  # style id -> numId, ilvl, basedOn
        for style in word.styles.element.iterchildren(_w("style")):
            num_pr = style.find(f"{_w('pPr')}/{_w('numPr')}")
            own[style.get(_w("styleId")) or ""] = (_val(num_pr, "numId"), _val(num_pr, "ilvl"), _val(style, "basedOn"))
        for style_id in own:
            num = level = None
            seen: set[str] = set()
            at: str | None = style_id
            while at in own and at not in seen and (num is None or level is None):
                seen.add(at)
                num, level = num or own[at][0], level or own[at][1]
                at = own[at][2]
            self._styles[style_id] = (num, level)

    def label(self, paragraph: Any) -> str:
        """The number Word shows before ``paragraph`` (a ``w:p``), "" where it shows none; counts it in its list."""
        if not self._nums:
            return ""
        p_pr = paragraph.find(_w("pPr"))
        style = _val(p_pr, "pStyle")
        num, level = _val(p_pr, "numPr", "numId"), _val(p_pr, "numPr", "ilvl")
        style_num, style_level = self._styles.get(style or "", (None, None))
        num = num if num is not None else style_num
        if num is None or num == "0" or num not in self._nums:
            return ""
        abstract_id, overrides = self._nums[num]
        abstract_id = self._resolve(abstract_id)
        levels = self._num_levels(num, abstract_id)
        ilvl = _int(level if level is not None else style_level, -1)
        if ilvl < 0:  # the level whose w:pStyle is the paragraph's style, else the first
            ilvl = next((n for n, lvl in levels.items() if style and lvl.style == style), 0)
        if not 0 <= ilvl < _LEVELS or ilvl not in levels:
            return ""
        counters = self._counters.setdefault(abstract_id, [None] * _LEVELS)
        if num not in self._started:  # a list whose levels are overridden starts them again, at their start
            self._started.add(num)
            for at in overrides:
                if 0 <= at < _LEVELS:
                    counters[at] = None
        current = counters[ilvl]
        counters[ilvl] = levels[ilvl].start if current is None else current + 1
        for below in range(ilvl + 1, _LEVELS):  # a level starts again after an item above it, as its w:lvlRestart says
            restart = levels[below].restart if below in levels else None
            if restart is None or ilvl < restart:
                counters[below] = None
        lvl = levels[ilvl]
        if lvl.fmt in ("bullet", "none"):
            return ""

        def number(match: re.Match[str]) -> str:
            at = int(match.group(1)) - 1
            above = levels.get(at)
            if above is None:
                return ""
            value = counters[at] if counters[at] is not None else above.start
            return _format(value, "decimal" if lvl.legal and at < ilvl else above.fmt)

        return " ".join(_PLACEHOLDER.sub(number, lvl.text).split())

    def _resolve(self, abstract_id: str) -> str:
        """The abstract list whose levels and numbers a list takes: its own, or the one its numbering style
        (``w:numStyleLink``) links it to."""
        if abstract_id in self._links:
            num, _ = self._styles.get(self._links[abstract_id], (None, None))
            linked = self._nums.get(num or "", ("", {}))[0]
            if linked and linked not in self._links:
                return linked
        return abstract_id


def _part(word: Any) -> Any:
    """The root element of the file's numbering part, or None where it has none (python-docx would make one)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    try:
        part = word.part.part_related_by(RT.NUMBERING)
    except KeyError:
        return None
    return getattr(part, "element", None)
