"""Finding the files of a corpus folder, hashing them, and reading text files' front matter.

A corpus file is any file below the folder whose suffix has a reader (see
``qabot.corpus.READERS``). Hidden files and folders (``.git``, ``.DS_Store``) are ignored
silently; other file types are skipped with a warning that names them.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from qabot.corpus.front_matter import FRONT_MATTER_KEYS, META_LINE, is_yaml_map, toml_fields, unquote, yaml_fields
from qabot.corpus.walk import walk
from qabot.errors import CorpusFolderError
from qabot.text import blank, lines

log = logging.getLogger(__name__)

Warn = Callable[[str], None]


@dataclass(frozen=True)
class CorpusFile:
    """A file of the corpus folder that qabot will index."""

    path: Path
    name: str  # relative to the corpus folder, '/'-separated: the citation's ``source``

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


def refuse_as_index(corpus_dir: Path, index_dir: Path) -> None:
    """The corpus folder itself as the index folder is an error; checked before an engine is made, so that nothing
    of an index (its write lock, the model's export) is written among the documents first."""
    if Path(os.path.realpath(index_dir)) == corpus_dir.resolve():
        raise CorpusFolderError(f"corpus folder {str(corpus_dir)!r} is also the index folder; give the index a "
                                "folder of its own (--index or QABOT_INDEX_DIR)")


def find_files(
    corpus_dir: Path, suffixes: Collection[str], warn: Warn | None = None, *, external_links: bool = False,
    index_dir: Path | None = None, explain: Callable[[str], str | None] | None = None,
    unlisted: Callable[[str, str], None] | None = None,
) -> list[CorpusFile]:
    """Every file below ``corpus_dir`` with one of ``suffixes``, sorted by path.

    Hidden files and folders are ignored silently, and so is ``index_dir`` where it lies
    inside the corpus folder (qabot's own files are no documents); the corpus folder
    itself as the index folder is an error. Everything else that cannot be read
    is skipped with a one-line warning that names it: another file type, a folder that
    cannot be listed, a FIFO or device, a broken link or a loop of links, and a link (to a file or a
    folder) that leads outside ``corpus_dir``, unless ``external_links`` allows it.
    ``explain`` may say why a folder is not read, or better why a file of another type is not (a
    chat exporter's media folder, a CSV chat export), or why a file of a type that is read is no document
    (a site generator's search page). ``unlisted`` hears each folder that could not
    be listed, or not wholly (its name, "." for the corpus folder, and why): what it holds is unknown,
    not gone.
    """
    warn = warn or log.warning
    if not corpus_dir.exists():
        raise CorpusFolderError(f"corpus folder {str(corpus_dir)!r} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusFolderError(f"corpus path {str(corpus_dir)!r} is not a folder")
    root = corpus_dir.resolve()
    own = Path(os.path.realpath(index_dir)) if index_dir is not None else None
    if index_dir is not None:
        refuse_as_index(corpus_dir, index_dir)

    def relative(path: str | Path) -> str:
        return display_name(Path(os.path.relpath(path, corpus_dir)).as_posix())

    def allowed(path: Path) -> str | None:
        """Why a link may not be followed, or None."""
        target = Path(os.path.realpath(path))
        if not target.exists():
            try:
                os.stat(path)
            except OSError as exc:
                if exc.errno == errno.ELOOP:  # links that lead to each other, or a chain too long to follow
                    return f"a loop of links ({exc.strerror})"
            return "a broken link"
        if not external_links and not target.is_relative_to(root):
            return f"a link to {target}, outside the corpus folder (QABOT_CORPUS_EXTERNAL_LINKS=true follows it)"
        return None

    def failed(error: OSError, name: str | None = None) -> None:
        name = name or relative(error.filename or corpus_dir)
        warn(f"skipping {name}: cannot be read ({error.strerror or error})")
        if unlisted is not None and not isinstance(error, FileNotFoundError):  # one that vanished: so did its files
            unlisted(name.removesuffix("/"), error.strerror or str(error))

    found: list[tuple[tuple[str, ...], CorpusFile]] = []
    linked: list[tuple[tuple[str, ...], CorpusFile]] = []  # links to files, kept where no other name reads the file
    seen_dirs = {root}
    reals = {str(corpus_dir): root}

    def real_of(path: Path) -> Path:  # its parent's and its name: realpath looks up every part of a path, each time
        if (real := reals.get(str(path))) is None:
            parent = reals.get(str(path.parent))
            real = parent / path.name if parent is not None and not os.path.islink(path) else Path(os.path.realpath(path))
            reals[str(path)] = real
        return real

    def folder_reason(path: Path) -> str | None:
        reason = allowed(path) if path.is_symlink() else explain and explain(str(path))
        if reason is None:
            real = real_of(path)
            if real in seen_dirs:
                return ""  # a link to a folder already read: its files are indexed once
            seen_dirs.add(real)
        return reason

    def file_reason(path: str) -> str | None:
        # os.path on strings, not pathlib: this runs for every file of the folder at every check.
        reason = allowed(Path(path)) if os.path.islink(path) else None
        if reason is None and not os.path.isfile(path):
            reason = "not a regular file"
        elif reason is None and os.path.splitext(path)[1].lower() not in suffixes:
            reason = (explain and explain(path)) or f"{UNKNOWN_TYPE} (qabot reads {describe(suffixes)})"
        elif reason is None and explain is not None:
            reason = explain(path)  # a page a site's generator made (its search page), which is no document
        return reason

    def decide(path: Path) -> bool:
        """Whether to read the folder at ``path`` (a link's target once); why not is warned about."""
        try:
            reason = folder_reason(path)
        except OSError as exc:  # a path too long, a folder that vanished
            failed(exc, f"{relative(path)}/")
            return False
        if reason:
            warn(f"skipping {relative(path)}/: {reason}")
        return reason is None

    # Every real folder is read before any link to a folder, however deep either lies, so that a folder
    # is read under its own name: a link to it is no second copy, and does not carry it into another
    # folder (which would put it in that folder's scopes, and take it out of its own).
    links: list[Path] = []
    tops = [corpus_dir]
    while tops:
        for folder, dirs, names in walk(tops.pop(), failed):
            kept = []
            for name in sorted(dirs):
                path = Path(folder) / name
                if name.startswith(".") or (own is not None and real_of(path) == own):
                    continue
                if os.path.islink(path):
                    links.append(path)
                elif decide(path):
                    kept.append(name)
            dirs[:] = kept
            within = Path(os.path.relpath(folder, corpus_dir)).parts  # the folder's path inside the corpus, once
            within = () if within == (".",) else within
            here = Path(folder)
            for name in names:
                if name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                try:
                    reason = file_reason(path)
                except OSError as exc:
                    reason = f"cannot be read ({exc.strerror or exc})"
                if reason:
                    warn(f"skipping {relative(path)}: {reason}")
                    continue
                parts = (*within, name)
                (linked if os.path.islink(path) else found).append(
                    (parts, CorpusFile(path=here / name, name=display_name("/".join(parts)))))
        while links and not tops:  # the next link that leads to a folder not read yet
            link = min(links)
            links.remove(link)
            if decide(link):
                tops.append(link)
    found.extend(_first_of_each_file(found, linked, real_of, warn))
    files, names = [], set()
    for _, file in sorted(found, key=lambda item: item[0]):
        if file.name in names:  # "caf\xe9.txt", and a file whose name is not UTF-8 shown so: one source, one file
            warn(f"skipping {file.name}: another file's name reads the same (a byte that is not UTF-8 shows as "
                 "\\xNN); rename one of them")
            continue
        names.add(file.name)
        files.append(file)
    return files


def _first_of_each_file(found: list[tuple[tuple[str, ...], CorpusFile]], linked: list[tuple[tuple[str, ...], CorpusFile]],
                        real_of: Callable[[Path], Path], warn: Warn) -> Iterable[tuple[tuple[str, ...], CorpusFile]]:
    """The links to files that are no second copy: a file is read once, under its own name where the corpus holds it
    (as a linked folder is), so a link does not carry it into another folder's scopes; else under its first link."""
    if not linked:
        return
    names = {real_of(file.path.parent) / file.path.name: file.name for _, file in found}
    first_links: dict[Path, str] = {}
    for parts, file in sorted(linked, key=lambda item: item[0]):
        real = Path(os.path.realpath(file.path))
        if (other := names.get(real)) is not None:
            warn(f"skipping {file.name}: a link to {other}, which is read under its own name")
        elif (first := first_links.get(real)) is not None:
            warn(f"skipping {file.name}: a link to the file {first} links to, which is read under that name")
        else:
            first_links[real] = file.name
            yield parts, file


def display_name(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (kept by the OS as surrogates) shown as \\xNN."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def describe(suffixes: Collection[str]) -> str:
    """'.jsonl, .md and .txt': the readable types, for messages."""
    shown = sorted(s for s in suffixes if s != ".markdown")
    return ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else "".join(shown)


UNKNOWN_TYPE = "unknown file type"
GROUP_FROM = 4  # files of one unread type from which their warnings are said in one line
_UNREAD = re.compile(rf"skipping (?P<name>.+): {UNKNOWN_TYPE} (?P<why>\(qabot reads [^)]*\))")


def grouped(messages: Iterable[str]) -> list[str]:
    """Skip warnings as a person reads them: a docs folder's 200 images are one line, not 200.

    Files of a type qabot does not read are said in one line per type where there are ``GROUP_FROM`` or more
    of it, with the first names and how many more; every other warning (a file that could not be read, a
    link, a file over a limit) is kept as it is, one line each, in its place.
    """
    out: list[str | list[str]] = []
    by_type: dict[str, list[str]] = {}
    why = ""
    for message in messages:
        match = _UNREAD.fullmatch(message)
        if match is None:
            out.append(message)
            continue
        suffix = os.path.splitext(match["name"])[1].lower()
        why = match["why"]
        if suffix not in by_type:
            by_type[suffix] = []
            out.append(by_type[suffix])
        by_type[suffix].append(match["name"])
    lines = []
    for item in out:
        if isinstance(item, str):
            lines.append(item)
        elif len(item) < GROUP_FROM:
            lines.extend(f"skipping {name}: {UNKNOWN_TYPE} {why}" for name in item)
        else:
            suffix = os.path.splitext(item[0])[1].lower()
            kind = f"{suffix} files" if suffix else "files without a suffix"
            shown = ", ".join(item[:2])
            lines.append(f"skipping {len(item)} {kind} ({shown} and {len(item) - 2} more): {UNKNOWN_TYPE} {why}")
    return lines


# A byte-order mark names its encoding (Notepad's "Unicode" and PowerShell 5's ``>`` write UTF-16 LE with one).
# UTF-8's is kept as the text's first character (it is part of the file's first line); these are not characters.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"),
         (b"\xfe\xff", "utf-16-be"))


def bom_codec(head: bytes) -> str | None:
    """The UTF-16 or UTF-32 codec (``utf-16-le`` ...) whose byte-order mark ``head`` opens with, or None."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), None)


def read_text(file: CorpusFile, warn: Warn) -> str | None:
    """The file's text: UTF-8, or UTF-16 or UTF-32 where a byte-order mark says so; None, with a warning that names
    the file, when it cannot be decoded.

    No other encoding is guessed: a legacy one (Windows-1252, Latin-1, ...) cannot be told reliably from the bytes
    (a short French line reads as Central European as readily), and a quote must be the text as written. Line ends
    are read as ``Path.read_text`` reads them (universal newlines): ``\\r\\n`` and a lone ``\\r`` are ``\\n``, so
    a file saved on Windows or an old Mac has its front matter, lines and paragraphs, and offsets count the text so
    read.
    """
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
        return None
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _newlines(data[len(bom) :].decode(codec))
            except UnicodeDecodeError as exc:
                warn(f"skipping {file.name}: not valid {codec.upper()} text, though it opens with its byte-order "
                     f"mark (byte {exc.start + len(bom)})")
                return None
    try:
        return _newlines(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        warn(f"skipping {file.name}: not valid UTF-8 text (byte {exc.start}); if it is text, save it as UTF-8")
        return None


def _newlines(text: str) -> str:
    """``text`` with its line ends translated as Python's universal newlines mode does (``io.TextIOWrapper``)."""
    return io.StringIO(text, newline=None).read() if "\r" in text else text


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, for the manifest's staleness check; ``OSError`` for what is no regular file now."""
    # Opened without waiting: a file replaced by a FIFO since the folder was listed would hold the open (and the
    # index's write lock) until something wrote to it.
    with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
        regular(path, handle.fileno())
        return hashlib.file_digest(handle, "sha256").hexdigest()


def regular(path: Path, fd: int | None = None) -> None:
    """``OSError`` unless ``path`` (or the open ``fd``) is a regular file: a FIFO or a folder is no document."""
    if not stat.S_ISREG(os.fstat(fd).st_mode if fd is not None else os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))


def digests(files: Iterable[CorpusFile], warn: Warn) -> dict[str, str]:
    """Each file's digest; a file that cannot be read is left out, with a warning that names it."""
    out = {}
    for file in files:
        try:
            out[file.name] = file_digest(file.path)
        except OSError as exc:
            warn(f"skipping {file.name}: cannot be read ({exc.strerror or exc})")
    return out


# -- front matter -----------------------------------------------------------------------

_FENCE = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_FENCE = re.compile(r"\A\ufeff?\+\+\+[ \t]*\n(.*?\n)\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)  # Hugo's


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """Front matter fields and the offset where the body starts (0 when there is none).

    Either fenced by ``---`` lines (YAML, as Jekyll and most generators write it: a text between two rules, which
    opens with no ``key:``, is no front matter but text), TOML fenced
    by ``+++`` lines (Hugo's), or plain ``Key: value`` lines of the known keys (title, author,
    date, url) at the very top, followed by a blank line. A ``+++`` block that is not valid
    TOML is no front matter: its text is the document's.
    """
    fenced = _FENCE.match(text)
    if fenced and is_yaml_map(fenced.group(1).splitlines()):
        return yaml_fields(fenced.group(1).splitlines()), fenced.end()
    fenced = _TOML_FENCE.match(text)
    if fenced and (fields := toml_fields(fenced.group(1))) is not None:
        return fields, fenced.end()
    fields: dict[str, str] = {}
    offset = 0  # a byte-order mark is part of the first line, and of its length
    for line in lines(text):  # from the top, never the whole file split
        match = META_LINE.match(line.lstrip("\ufeff"))
        if not line.strip():
            if fields:
                return fields, offset + len(line) + 1
            break
        if not match or match.group(1).lower() not in FRONT_MATTER_KEYS:
            break
        fields[match.group(1).lower()] = unquote(match.group(2))
        offset += len(line) + 1
    return _mail_headers(text) or ({}, 0)


_MAIL_FIELD = re.compile(r"([A-Za-z][A-Za-z0-9-]*):(?:[ \t](.*))?$")
MAIL_FIELDS = frozenset({"from", "to", "cc", "date", "subject", "message-id"})  # what an e-mail's header holds
_MBOX_FROM = re.compile(r"From \S+ ")  # an mbox file's line before each message's header
# Where a message of an mbox begins: at the start (after a UTF-8 byte-order mark, which a text keeps), or after a blank
# line, its "From <sender> <date>" line and a field.
MBOX_START = re.compile(r"(?:\A|(?<=\A\ufeff)|(?<=\n\n))From \S+ [^\n]*\n[A-Za-z][A-Za-z0-9-]*:[ \t]")
_MAIL_HEADER_LINES = 200
MAX_ENCODED_HEADER = 10_000  # characters of a header whose encoded words (RFC 2047's "=?UTF-8?Q?...?=") are decoded


def _mail_headers(text: str) -> tuple[dict[str, str], int] | None:
    """An e-mail's header at the top of a text, as front matter: the subject is the title, the sender's name the
    author, the date (ISO 8601 where it parses) the date.

    The header is "From: Ana <ana@x.org>", "Subject: ..." and so on down to the first blank
    line, a line opening with a space or tab going on with the field before; an mbox's
    "From ana@x.org Tue ..." line may come first, where no other message follows (``qabot.corpus.mbox``
    reads those). None where the top is no such header: it must hold nothing but fields, two
    of them at least among From, To, Cc, Date, Subject and Message-ID, and a body after it.
    """
    fields: dict[str, str] = {}
    offset, name = 0, ""
    for n, line in enumerate(lines(text)):
        bare = line.lstrip("\ufeff") if n == 0 else line
        if not line.strip():
            break
        if n >= _MAIL_HEADER_LINES:
            return None
        if n == 0 and _MBOX_FROM.match(bare):
            if MBOX_START.search(text, len(line)):
                return None  # an mbox of many messages (a list's archive): one of them does not name it
            offset += len(line) + 1
            continue
        if line[:1] in (" ", "\t") and name:
            fields[name] += " " + line.strip()
        elif match := _MAIL_FIELD.match(bare):
            name = match.group(1).lower()
            fields.setdefault(name, (match.group(2) or "").strip())
        else:
            return None
        offset += len(line) + 1
    else:
        return None  # no blank line after it: no body
    offset += len(line) + 1
    if len(MAIL_FIELDS.intersection(fields)) < 2 or blank(text[offset : offset + 4096]):
        return None  # not an e-mail's header, or one without a body: read as the text it is
    return mail_meta(fields.get("subject", ""), fields.get("from", ""), fields.get("date", "")), offset


def mail_meta(subject: str, sender: str, date: str) -> dict[str, str]:
    """An e-mail's header fields as a document's: its subject (RFC 2047's ``=?UTF-8?Q?...?=`` words decoded) the
    title, its sender's name (else address) the author, its date as ISO 8601 (as written where it does not parse);
    those it has."""
    from email.header import decode_header, make_header
    from email.utils import parseaddr, parsedate_to_datetime

    def decoded(value: str) -> str:
        # No encoded word: nothing to decode (and 4× faster than decode_header's Header). Nor in one longer than any
        # real header: decode_header joins its words a byte string at a time (200,000 of them took over a minute).
        if "=?" not in value or len(value) > MAX_ENCODED_HEADER:
            return " ".join(value.split())
        try:
            return " ".join(str(make_header(decode_header(value))).split())
        except (ValueError, LookupError, UnicodeError):
            return " ".join(value.split())

    name, address = parseaddr(decoded(sender))
    try:
        when = parsedate_to_datetime(date).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):  # "Date: Tue, 3 Mar 99999999999999999999 ..."
        when = date.strip()
    meta = {"title": decoded(subject), "author": name or address, "date": when}
    return {key: value for key, value in meta.items() if value}
