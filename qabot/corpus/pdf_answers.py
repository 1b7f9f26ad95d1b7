"""A filled PDF form's answers that a page's text does not hold, counted so that the PDF reader can say so.

A filled form draws each answer (a field's ``/V``) by its widget, apart from the page's
content, which alone is read: ``unread_answers`` counts the text and choice fields whose
answer the page's text does not hold.
"""

from __future__ import annotations

import ctypes
from typing import Any

from qabot.corpus import limits

_FIELD_DEPTH = 8  # a widget's form fields looked up, up its /Parent chain (a real form nests two or three deep)


def unread_answers(raw: Any, page: object, text: str) -> int:
    """How many of a page's text and choice fields hold an answer (``/V``, the widget's or its field's) that its text
    does not: a filled form draws them by their widgets, apart from the page's content, which alone is read."""
    count, read = 0, " ".join(text.split())
    for number in limits.checked(range(raw.FPDFPage_GetAnnotCount(page))):  # a page may list millions
        chain = [raw.FPDFPage_GetAnnot(page, number)]  # the widget, then its field and the fields above (/Parent)
        try:
            if not chain[0] or raw.FPDFAnnot_GetSubtype(chain[0]) != raw.FPDF_ANNOT_WIDGET:
                continue
            while len(chain) < _FIELD_DEPTH and (above := raw.FPDFAnnot_GetLinkedAnnot(chain[-1], b"Parent")):
                chain.append(above)
            value = next((v for a in chain if (v := _string(raw, a, b"V").strip())), "")  # both are inherited
            kind = next((k for a in chain if (k := _string(raw, a, b"FT"))), "")
            count += bool(value) and kind in ("Tx", "Ch") and " ".join(value.split()) not in read
        finally:
            for opened in chain:
                if opened:
                    raw.FPDFPage_CloseAnnot(opened)
    return count


def _string(raw: Any, annot: object, key: bytes) -> str:
    """An annotation's string (or name) value of ``key``; "" where it has none."""
    size = raw.FPDFAnnot_GetStringValue(annot, key, None, 0)
    if size <= 2:  # a UTF-16 NUL alone
        return ""
    buffer = ctypes.create_string_buffer(size)
    raw.FPDFAnnot_GetStringValue(annot, key, ctypes.cast(buffer, ctypes.POINTER(raw.FPDF_WCHAR)), size)
    return buffer.raw[: size - 2].decode("utf-16-le", "replace")
