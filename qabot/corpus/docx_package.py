"""Opening a Word file whose relationships name a part its zip does not hold, as Word does.

Word repairs such a file (a ``word/styles.xml`` or ``docProps/core.xml`` that a tool left
out) and opens it; python-docx raises ``KeyError`` ("There is no item named ... in the
archive"). The file is opened again from a copy of its package, made in memory, whose
relationships no longer name the missing parts, and a warning names them. python-docx
makes its own default for a part it needs (the styles). A file whose main document is the
part missing has nothing to read: its error stands.

The copy is made only where that error was raised, from a package whose unpacked size
``qabot.corpus.limits`` already bounded.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from typing import Any

from qabot.corpus.files import CorpusFile, Warn

_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MAIN = "/officeDocument"  # how the type of the relationship to the main document ends


def open_word(file: CorpusFile, warn: Warn) -> Any:
    """python-docx's document of ``file``, read without the parts its relationships name and its zip lacks."""
    import docx

    try:
        return docx.Document(str(file.path))
    except KeyError:
        repaired, missing = _without_missing(file.path)
        if repaired is None:
            raise
    word = docx.Document(repaired)
    them = "them" if len(missing) > 1 else "it"
    parts = "parts" if len(missing) > 1 else "part"
    verb = "are" if len(missing) > 1 else "is"
    warn(f"{file.name}: its {parts} {', '.join(missing)} {verb} missing; read without {them}")
    return word


def _without_missing(path: Path) -> tuple[io.BytesIO | None, list[str]]:
    """A copy of the package whose relationships name no missing part, and the parts missing (in order of name);
    no copy where none is missing, or where the main document is."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    missing: set[str] = set()
    copy = io.BytesIO()
    with zipfile.ZipFile(path) as package, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        names = set(package.namelist())
        for name in package.namelist():
            data = package.read(name)
            if name.endswith(".rels"):
                rels = etree.fromstring(data, parser)
                # The part these relationships are of: "word/_rels/document.xml.rels" is word/document.xml's.
                base = posixpath.dirname(posixpath.dirname(name))
                for rel in list(rels.iter(_RELATIONSHIP)):
                    target = rel.get("Target") or ""
                    if rel.get("TargetMode") == "External" or not target:
                        continue
                    part = posixpath.normpath(posixpath.join("/" + base, target)).lstrip("/")
                    if part not in names:
                        if (rel.get("Type") or "").endswith(_MAIN):
                            return None, []
                        missing.add(part)
                        rels.remove(rel)
                data = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)
            out.writestr(name, data)
    copy.seek(0)
    return (copy if missing else None), sorted(missing)


def archived_page(data: bytes) -> bytes:
    """The HTML page of a web archive (MIME HTML, ``.mht``) that a package holds as a part, or nothing."""
    import email
    from email import policy

    for item in email.message_from_bytes(data, policy=policy.default).walk():
        if item.get_content_type() == "text/html":
            content = item.get_content()
            return content.encode("utf-8") if isinstance(content, str) else content
    return b""
