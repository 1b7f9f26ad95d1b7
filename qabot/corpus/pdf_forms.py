"""What a PDF's form XObjects draw, bounded before PDFium draws them (``Forms.check``).

A form XObject is a content stream that other content draws by name (``/Fm1 Do``), and
PDFium parses every form a page draws, and every form those draw, when it loads the page:
a form of 733 bytes that draws itself twice grew past 7.7 GB in 16 s and aborted the
process (no warning), and 22 forms each drawing the next twice (4.7 KB) took 6.6 GB. A
form of a few MB drawn 100,000 times is parsed 100,000 times. ``pdf_streams`` counts the
``Do`` operators of each form, and of each page's content, by name, as their streams
inflate a chunk at a time (``Forms.counting``); here the names are looked up in the
form's ``/Resources``, and what drawing each form costs is added up.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from qabot.corpus import limits

_W = rb"[\x00\t\n\f\r ]"
_NAME = rb"[^\x00\t\n\f\r /\[\]<>(){}%]"  # a character of a name: any but whitespace and delimiters
# "/Fm1 Do", a comment or line breaks between them as PDFium reads them
_DO = re.compile(rb"/(" + _NAME + rb"*)(?:" + _W + rb"|%[^\r\n]*[\r\n])*Do(?!" + _NAME + rb")")
_FORM = re.compile(rb"/Subtype" + _W + rb"*/Form(?!" + _NAME + rb")")
_RESOURCES = re.compile(rb"/Resources" + _W + rb"*(?:(\d+)" + _W + rb"+\d+" + _W + rb"+R)?")
_XOBJECT = re.compile(rb"/XObject" + _W + rb"*(?:<<(.*?)>>|(\d+)" + _W + rb"+\d+" + _W + rb"+R)", re.DOTALL)
_ENTRY = re.compile(rb"/(" + _NAME + rb"+)" + _W + rb"*(\d+)" + _W + rb"+\d+" + _W + rb"+R")
# A dictionary of names for objects alone, "<< /Im1 30 0 R /Fm0 31 0 R >>": what a form's resources' /XObject may be.
_NAMES_ONLY = re.compile(rb"(?:" + _W + rb"*/" + _NAME + rb"+" + _W + rb"*\d+" + _W + rb"+\d+" + _W + rb"+R)*"
                         + _W + rb"*")
_HEADER = re.compile(rb"(\d+)" + _W + rb"+\d+" + _W + rb"+$")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FIRST = re.compile(rb"/First" + _W + rb"+(\d+)")
MAX_NAMES = 100_000  # names counted in all of a file's forms and pages (a real one has a few a page)
# A chunk's end that may yet be "/Name ... Do" with the next chunk: a name (perhaps cut in two), then whitespace and
# comments as long as they go on (70 KB of spaces between a name and its Do is the same Do), then perhaps "D".
_OPEN_END = re.compile(rb"/(" + _NAME + rb"*)((?:" + _W + rb"|%[^\r\n]*[\r\n])*)(%[^\r\n]*)?(D?)\Z")
_OBJECT_READ = 1 << 16  # the most of an object read to find a form's resources in it

_DIGITS = 18  # the most digits of a number a real PDF writes (an offset, a length, an object's number): 10 or so
_NO_NUMBER = 1 << 62  # a number of more digits: no object's, no stream's length (PDFium's object numbers are far under)
_Own = dict[int, dict[bytes, int] | None]  # a form's number -> its own resources' XObjects by name, if found


def integer(digits: bytes) -> int:
    """The number ``digits`` write; one of more than ``_DIGITS`` digits is ``_NO_NUMBER``, never converted (Python refuses
    past 4,300 digits, and takes time quadratic in them)."""
    return int(digits) if len(digits) <= _DIGITS else _NO_NUMBER


def is_form(dictionary: bytes) -> bool:
    """Whether a stream's dictionary makes it a form XObject (``/Subtype /Form``, its name escaped or not)."""
    return bool(_FORM.search(_unescape(dictionary)))


def first_object(dictionary: bytes) -> int:
    """Where an object stream's objects begin in it (its ``/First``), or 0."""
    found = _FIRST.search(dictionary)
    return integer(found[1]) if found else 0


class Forms:
    """The form XObjects of one PDF, by object number: what each, and each page's content, draws by name.

    ``pdf_streams`` makes one where the file has forms, counts names in the streams it inflates
    (``counting``), hands it the objects of its object streams (``keep``), then ``check``s it.
    """

    def __init__(self, dictionaries: dict[int, bytes]) -> None:
        self.dictionaries = dictionaries  # a form's number -> its dictionary, where its resources are
        self.draws: dict[int, Counter[bytes | None]] = {}  # a stream's number -> its Do count by name
        self.kept: dict[int, bytes] = {}  # objects of object streams that may be resources or a list of XObjects
        self.anywhere: dict[bytes, set[int]] = {}  # a name -> every form some dictionary of the file gives it to
        self.names_left = MAX_NAMES

    def counting(self, chunks: Iterator[bytes], number: int) -> Iterator[bytes]:
        """``chunks`` as they are, counting the ``Do`` operators in them by name for stream ``number``; past
        ``MAX_NAMES`` names in all, a new name is counted under ``None`` (any form)."""
        drawn = self.draws.setdefault(number, Counter())
        carry = b""
        for chunk in chunks:
            yield chunk
            text = carry + chunk
            cut = text.rfind(b"/")
            end = _OPEN_END.match(text, cut) if cut >= 0 else None
            if end is None:  # nothing at the end that the next chunk could make a Do of
                self._count(text, drawn)
                carry = b""
                continue
            self._count(text[:cut], drawn)
            # Held short: the name, whether it is whole (what followed it), an open comment, a "D".
            name, between, comment, d = end.groups()
            carry = b"/" + name + (b" " if between or comment or d else b"") + (b"%" if comment else b"") + d
        self._count(carry, drawn)

    def _count(self, text: bytes, drawn: Counter[bytes | None]) -> None:
        for name in _DO.findall(text):
            name = _unescape(name)
            if name not in drawn and self.names_left <= 0:
                name = None
            elif name not in drawn:
                self.names_left -= 1
            drawn[name] += 1

    def keep(self, objects: bytes, first: int) -> None:
        """Keep what an object stream holds of forms' resources: the objects in it that name an ``/XObject`` or
        refer by name to a form, and every name any dictionary in it gives a form."""
        numbers = [integer(n) for n in re.findall(rb"\d+", objects[:first])]
        offsets = [first + offset for offset in numbers[1::2]]
        for number, start, end in zip(numbers[::2], offsets, [*offsets[1:], len(objects)], strict=False):
            text = objects[start:end]
            if len(text) <= _OBJECT_READ and (b"/XObject" in text or self._refers(text) or _names_only(text)):
                self.kept[number] = text
        self._entries(objects)

    def _refers(self, text: bytes) -> bool:
        return any(integer(digits) in self.dictionaries for _, digits in _ENTRY.findall(text))

    def _entries(self, text: bytes) -> None:
        for entry in _ENTRY.finditer(text):  # one at a time: a file's every "/F1 5 0 R" is never held
            name, drawn = entry[1], integer(entry[2])
            if drawn in self.dictionaries:
                limits.check()
                self.anywhere.setdefault(_unescape(name), set()).add(drawn)

    def check(self, data: bytes, sizes: dict[int, int], pages: list[list[int]], bound: limits.ReaderLimits
              ) -> None:
        """Raise ``OverLimit`` where a form draws itself (through others or not), or a page's content with what it
        draws inflates past ``max_inflated_mb``.

        What drawing a form costs is its own inflated content, and for each name it draws, how
        many times it draws it, times what drawing that form costs. A name is looked up in the
        form's own ``/Resources`` (in it, or an object of the file or of an object stream); one it
        has none for (PDFium then looks in the page's), and a name a page draws, may be any form
        some dictionary of the file gives that name: the costliest of them is counted.
        """
        self._entries(data)  # every name a dictionary outside the object streams gives a form
        most = bound.max_inflated_mb * limits.MB
        own = _own_names(data, self.kept, self.dictionaries)
        costs: dict[int, int] = {}
        for form in self.dictionaries:
            if form not in costs:
                self._cost(form, costs, sizes, own, int(most) + 1)
        largest = max(costs.values(), default=0)
        for page in pages:
            limits.check()
            total = 0
            for number in page:
                total += sizes.get(number, 0)
                for name, count in self.draws.get(number, {}).items():
                    total += count * (largest if name is None else self._price(self.anywhere.get(name, ()), costs))
            if total > most:
                raise limits.OverLimit(f"a page's content and the forms it draws inflate to more than "
                                       f"{bound.max_inflated_mb:g} MB, over the limit (QABOT_READER_MAX_INFLATED_MB)")

    def _cost(self, form: int, costs: dict[int, int], sizes: dict[int, int], own: _Own, most: int) -> None:
        """What drawing ``form`` costs, and each form it draws, into ``costs`` (each at most ``most``): depth
        first, on a stack of its own, so that a chain of forms as long as a file may hold is no recursion."""
        stack = [self._frame(form, own)]
        drawing = {form}
        while stack:
            limits.check()
            number, drawn, pending = stack[-1]
            waiting = next((candidate for candidate in pending if candidate not in costs), None)
            if waiting in drawing:
                raise limits.OverLimit(f"a form in it (object {waiting}) draws itself, which PDFium would draw "
                                       "until it runs out of memory")
            if waiting is not None:
                stack.append(self._frame(waiting, own))
                drawing.add(waiting)
                continue
            total = sizes.get(number, 0) + sum(count * self._price(drawn[name], costs)
                                               for name, count in self.draws.get(number, {}).items())
            costs[number] = min(total, most)
            drawing.discard(number)
            stack.pop()

    def _frame(self, form: int, own: _Own) -> tuple[int, dict[bytes | None, set[int]], Iterator[int]]:
        """A form, the forms each name it draws may be (its own resources' form, or any form some dictionary gives
        that name), and all of them, to be costed first."""
        if None in self.draws.get(form, {}):
            raise limits.OverLimit(f"its forms and pages draw more than {MAX_NAMES:,} XObjects by name, more than "
                                   "qabot counts")
        names = own[form]
        drawn: dict[bytes | None, set[int]] = {}
        for name in self.draws.get(form, {}):
            if names is not None and name in names:
                drawn[name] = {names[name]} & self.dictionaries.keys()
            else:
                drawn[name] = self.anywhere.get(name, set())  # type: ignore[arg-type]
        return form, drawn, (candidate for candidates in drawn.values() for candidate in candidates)

    @staticmethod
    def _price(candidates: set[int] | tuple[()], costs: dict[int, int]) -> int:
        return max((costs.get(candidate, 0) for candidate in candidates), default=0)


def _own_names(data: bytes, kept: dict[int, bytes], dictionaries: dict[int, bytes]
               ) -> _Own:
    """Each form's XObjects by name in its own ``/Resources``, or ``None`` where it has none or they cannot be
    found. Its resources and their ``/XObject`` may be in its dictionary, or objects of the file or of an object
    stream (``kept``): the file's are found by their headers, in one pass for all a step needs."""
    unescaped = {form: _unescape(text) for form, text in dictionaries.items()}
    resources: dict[int, bytes | int | None] = {}
    for form, text in unescaped.items():
        found = _RESOURCES.search(text)
        resources[form] = None if found is None else integer(found[1]) if found[1] else text[found.end():]
    texts = _objects(data, kept, {r for r in resources.values() if isinstance(r, int)})
    listed: dict[int, bytes | int | None] = {}
    for form, where in resources.items():
        text = texts.get(where) if isinstance(where, int) else where
        found = _XOBJECT.search(text) if text is not None else None
        listed[form] = None if found is None else found[1] if found[1] is not None else integer(found[2])
    texts = _objects(data, kept, {x for x in listed.values() if isinstance(x, int)})
    names: _Own = {}
    for form, where in listed.items():
        inner = texts.get(where) if isinstance(where, int) else where
        inner = _unescape(inner) if inner is not None else inner
        names[form] = None if inner is None else {name: integer(n) for name, n in _ENTRY.findall(inner)}
    return names


def _objects(data: bytes, kept: dict[int, bytes], wanted: set[int]) -> dict[int, bytes]:
    """The text of the objects numbered ``wanted`` (the first ``_OBJECT_READ`` bytes of each): kept from an object
    stream, or found in the file by its header (``N 0 obj``)."""
    texts = {number: kept[number] for number in wanted if number in kept}
    wanted = wanted - texts.keys()
    for found in re.finditer(rb"(?<!end)obj(?!" + _NAME + rb")", data) if wanted else ():
        limits.check()
        number = object_number(data, found.start())
        if number in wanted and number not in texts:
            end = data.find(b"endobj", found.end(), found.end() + _OBJECT_READ)
            texts[number] = bytes(data[found.end() : end if end >= 0 else found.end() + _OBJECT_READ])
    return texts


def object_number(data: bytes, at: int) -> int | None:
    """The number of the object whose ``obj`` keyword is at ``at`` ("12 0 obj"), or None."""
    header = _HEADER.search(data, max(0, at - 32), at)
    return integer(header[1]) if header else None


def _names_only(text: bytes) -> bool:
    """Whether an object is a dictionary of names for objects alone (a form's ``/XObject``, which may name images only:
    kept, or its names would be looked up as any form's, the form itself among them)."""
    inside = text.strip(b"\x00\t\n\f\r ")
    return inside.startswith(b"<<") and inside.endswith(b">>") and _NAMES_ONLY.fullmatch(inside, 2, len(inside) - 2) is not None


def _unescape(text: bytes) -> bytes:
    """A name's ``#xx`` escapes as the characters they stand for (``/F#6frm`` is ``/Form``)."""
    if b"#" not in text:  # most names: nothing to do, and no copy
        return text
    return _ESCAPE.sub(lambda escape: bytes((int(escape[1], 16),)), text)
