"""A channel DiscordChatExporter exported in parts (``--partition``) reads as the one channel it is.

The chat is real: a day of the Ubuntu help channel from ``tests/data/chat-extra``, made into
an export by that folder's ``make_exports.py`` (as ``../shared/eval/chat-dev``'s are), then cut
into parts the way DiscordChatExporter cuts it: the first part under the export's own name,
then `` [part 2]``, `` [part 3]`` (``MessageExporter.GetPartitionFilePath``), each a whole export.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from itertools import pairwise
from pathlib import Path

from qabot.corpus import CorpusFile, load_file

CHAT_EXTRA = Path(__file__).parent / "data" / "chat-extra"
NAME = "Ubuntu Help - Support - ubuntu-2015-05-08 [{channel}]{part}.json"
SPLITS = (1000, 1150, 1263, 1400)  # the slice of the day, cut into three parts: a reply crosses the cut at 1263


@cache
def _day() -> str:
    spec = importlib.util.spec_from_file_location("chat_extra_exports", CHAT_EXTRA / "make_exports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    export, _ = module.build_export("2015-05-08.train-c", "ubuntu-2015-05-08")
    return json.dumps(export)


def _export(messages: list[dict]) -> dict:
    export = json.loads(_day())
    return {**export, "messages": messages, "messageCount": len(messages)}


def _messages() -> list[dict]:
    return json.loads(_day())["messages"][SPLITS[0] : SPLITS[-1]]


def _write_parts(folder: Path, messages: list[dict] | None = None) -> list[Path]:
    """The slice written as DiscordChatExporter writes a partitioned export: one file per part."""
    messages = _messages() if messages is None else messages
    channel = _export([])["channel"]["id"]
    folder.mkdir(exist_ok=True)
    paths = []
    for n, (lo, hi) in enumerate(pairwise(SPLITS), start=1):
        path = folder / NAME.format(channel=channel, part=f" [part {n}]" if n > 1 else "")
        path.write_text(json.dumps(_export(messages[lo - SPLITS[0] : hi - SPLITS[0]]), indent=2), encoding="utf-8")
        paths.append(path)
    return paths


def _crossing(paths: list[Path]) -> list[tuple[dict, dict]]:
    """(question, reply): the replies in the third part to someone else's message in the second."""
    second, third = (json.loads(p.read_text(encoding="utf-8"))["messages"] for p in paths[1:3])
    by_id = {m["id"]: m for m in second}
    return [(by_id[m["reference"]["messageId"]], m) for m in third
            if m.get("reference") and m["reference"]["messageId"] in by_id
            and by_id[m["reference"]["messageId"]]["author"]["id"] != m["author"]["id"]]


def _ids(document) -> list[str]:
    return [p.url.rsplit("/", 1)[1] for p in document.paragraphs]


def _quoted(bot, question: str, holding: str) -> tuple[object, set[str]]:
    """The best excerpt for ``question`` from the exchange holding message ``holding``, checked to quote its source
    verbatim and to link the message it highlights; and the ids of that exchange's messages."""
    index = bot.index
    for excerpt in bot.ask(question, k=10).excerpts:
        row = index.passages([excerpt.passage_id])[excerpt.passage_id]
        exchange = {p.url.rsplit("/", 1)[1] for p in index.paragraphs(row.doc)}
        if holding in exchange:
            break
    else:
        raise AssertionError(f"no excerpt from the exchange of message {holding}")
    assert index.text(row.doc, excerpt.citation.start, excerpt.citation.end) == excerpt.text
    highlighted = index.paragraph_at(row.doc, excerpt.citation.start + excerpt.highlight_start)
    assert excerpt.citation.link == highlighted.url and excerpt.citation.author == highlighted.author
    return excerpt, exchange


def test_a_reply_across_the_cut_is_quoted_in_its_questions_exchange(tmp_path: Path, fake_bot_for) -> None:
    paths = _write_parts(tmp_path / "corpus")
    [(question, reply)] = _crossing(paths)
    bot = fake_bot_for(tmp_path / "corpus", answer_threshold=0.0)
    excerpt, exchange = _quoted(bot, reply["content"], reply["id"])
    # One exchange: the reply is quoted in the document of its question's exchange, which begins in the part
    # before it; that part is the document's source, and its id is the exchange's first message's.
    assert {question["id"], reply["id"]} <= exchange
    first = excerpt.citation.doc_id.split("-")[1]
    assert excerpt.citation.source == paths[1].name and first in {
        m["id"] for m in json.loads(paths[1].read_text(encoding="utf-8"))["messages"]}
    index = bot.index
    row = index.passages([excerpt.passage_id])[excerpt.passage_id]
    shown = {p.url.rsplit("/", 1)[1]: p for p in index.paragraphs(row.doc)}
    for message in (question, reply):  # verbatim, each with its own link, author and time
        paragraph = shown[message["id"]]
        said = f"{message['author']['nickname']}: {message['content'].strip()}"
        assert index.text(row.doc, paragraph.start, paragraph.end) == said
        assert (paragraph.author, paragraph.date) == (message["author"]["nickname"], message["timestamp"])


def test_the_parts_give_the_exchanges_the_whole_export_gives(tmp_path: Path) -> None:
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    whole = tmp_path / "whole.json"
    whole.write_text(json.dumps(_export(_messages())), encoding="utf-8")
    expected = list(load_file(CorpusFile(whole, whole.name), _no_warning))
    paths = _write_parts(tmp_path / "corpus")
    [unit] = units([CorpusFile(p, p.name) for p in reversed(paths)], [CorpusFile(p, p.name) for p in paths])
    assert [f.name for f in unit] == [p.name for p in paths]  # in the order DiscordChatExporter wrote them
    got = list(load_files(unit, _no_warning))
    assert [d.model_copy(update={"source": whole.name}) for d in got] == expected
    # Each exchange's source is the part its first message is in.
    part_of_message = {m["id"]: p.name for p in paths for m in json.loads(p.read_text(encoding="utf-8"))["messages"]}
    assert all(d.source == part_of_message[_ids(d)[0]] for d in got)
    assert {d.source for d in got} == {p.name for p in paths}
    # Read one by one, as before, the reply across the cut would begin an exchange of its own.
    [(question, reply)] = _crossing(paths)
    alone = list(load_file(CorpusFile(paths[2], paths[2].name), _no_warning))
    assert next(d for d in alone if reply["id"] in _ids(d)).doc_id.endswith(f"-{reply['id']}")
    assert any(question["id"] in _ids(d) and reply["id"] in _ids(d) for d in got)


def test_editing_or_removing_one_part_updates_its_channel(tmp_path: Path, fake_bot_for) -> None:
    corpus = tmp_path / "corpus"
    paths = _write_parts(corpus)
    [(question, reply)] = _crossing(paths)
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    # The reply (in the third part) is edited: the exchange it answers, a document of the second part, is
    # written again, and nothing quotes the old words.
    export = json.loads(paths[2].read_text(encoding="utf-8"))
    new = "flash the official ubuntu-mate image for the pi, then resize the partition with gparted"
    export["messages"] = [{**m, "content": new} if m["id"] == reply["id"] else m for m in export["messages"]]
    paths[2].write_text(json.dumps(export, indent=2), encoding="utf-8")
    assert bot.refresh().updated
    excerpt, exchange = _quoted(bot, new, reply["id"])
    assert new in excerpt.text and excerpt.citation.source == paths[1].name
    assert {question["id"], reply["id"]} <= exchange
    assert reply["content"] not in " ".join(e.text for e in bot.ask(reply["content"], k=5).excerpts)
    # The third part is removed: its own exchanges go, and the second part's exchange loses the reply.
    paths[2].unlink()
    assert bot.refresh().updated
    assert {s.source for s in bot.sources()} == {p.name for p in paths[:2]}
    assert new not in " ".join(e.text for e in bot.ask(new, k=5).excerpts)
    excerpt, exchange = _quoted(bot, question["content"], question["id"])
    assert question["id"] in exchange and reply["id"] not in exchange and excerpt.citation.source == paths[1].name


def test_only_a_channels_parts_are_joined(tmp_path: Path) -> None:
    from qabot.corpus.export_parts import part_of, units

    def files(*names: str) -> list[CorpusFile]:
        return [CorpusFile(tmp_path / name, name) for name in names]

    assert part_of("a/Club - help [1] [part 12].json") == ("a/Club - help [1].json", 12)
    assert part_of("a/Club - help [1].json") == ("a/Club - help [1].json", 1)
    found = files("x [part 10].json", "x.json", "x [part 2].json", "y [part 2].json", "sub/x [part 3].json",
                  "notes [part 2].txt", "notes.txt")
    assert [[f.name for f in unit] for unit in units(files("x [part 2].json", "y [part 2].json"), found)] == [
        ["x.json", "x [part 2].json", "x [part 10].json"], ["y [part 2].json"]]
    # A part removed: the parts still there are read again, as their channel is another one now.
    assert [[f.name for f in unit] for unit in units([], found, ["x [part 3].json", "gone.json"])] == [
        ["x.json", "x [part 2].json", "x [part 10].json"]]
    assert [[f.name for f in unit] for unit in units(files("notes.txt"), found)] == [["notes.txt"]]


def test_parts_of_another_channel_are_read_on_their_own(tmp_path: Path) -> None:
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    paths = _write_parts(tmp_path / "corpus")
    other = json.loads(paths[2].read_text(encoding="utf-8"))
    other["channel"] = {**other["channel"], "id": "499787287727930000"}  # a file renamed by hand, not a part
    paths[2].write_text(json.dumps(other), encoding="utf-8")
    [(_, reply)] = _crossing(paths)
    [unit] = units([CorpusFile(p, p.name) for p in paths], [CorpusFile(p, p.name) for p in paths])
    got = list(load_files(unit, _no_warning))
    assert {d.source for d in got if d.doc_id.startswith("499787287727930000-")} == {paths[2].name}
    assert next(d for d in got if reply["id"] in _ids(d)).doc_id == f"499787287727930000-{reply['id']}"


def _no_warning(message: str) -> None:
    raise AssertionError(message)



def test_a_broken_part_is_skipped_alone_and_the_others_read_as_one(tmp_path: Path) -> None:
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    paths = _write_parts(tmp_path / "corpus")
    paths[1].write_text(paths[1].read_text(encoding="utf-8")[:-300], encoding="utf-8")  # cut short
    warnings: list[str] = []
    [unit] = units([CorpusFile(p, p.name) for p in paths], [CorpusFile(p, p.name) for p in paths])
    got = list(load_files(unit, warnings.append))
    assert [w.split(": ")[0] for w in warnings] == [f"skipping {paths[1].name}"] and "not valid JSON" in warnings[0]
    assert {d.source for d in got} == {paths[0].name, paths[2].name}


def test_a_channel_over_a_limit_is_skipped_whole_and_its_caller_told_which_parts(tmp_path: Path) -> None:
    from qabot.corpus import ReaderLimits, load_files
    from qabot.corpus.export_parts import units

    paths = _write_parts(tmp_path / "corpus")
    files = [CorpusFile(p, p.name) for p in paths]
    [unit] = units(files, files)
    warnings: list[str] = []
    skipped: list[str] = []
    got = list(load_files(unit, warnings.append, ReaderLimits(max_text_mb=0.01), skipped=skipped.extend))
    assert got == [] and skipped == [p.name for p in paths]  # so that an update takes back what it was given of it
    assert [w.split(": yields")[0] for w in warnings] == [
        f"skipping {p.name}: its channel's parts, read as one" for p in paths]


# DiscordChatExporter's name for an export given a date range (``--after``/``--before``): the channel's, then the range
MONTH = "Ubuntu Help - Support - ubuntu-2015-05-08 [{channel}] ({range}).json"
CUT = 263  # the slice's message where the first "month" ends: a reply crosses this cut too


def _write_export(path: Path, messages: list[dict], exported_at: str | None) -> Path:
    """An export of ``messages`` written at ``exported_at`` (None: by a DiscordChatExporter before 2.40.1)."""
    export = _export(messages)
    if exported_at is None:
        del export["exportedAt"]
    else:
        export["exportedAt"] = exported_at
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(export, indent=2), encoding="utf-8")
    return path


def _month_name(range_: str) -> str:
    return MONTH.format(channel=_export([])["channel"]["id"], range=range_)


def test_a_channel_exported_month_by_month_is_read_as_one_channel(tmp_path: Path, fake_bot_for) -> None:
    corpus = tmp_path / "corpus"
    messages = _messages()
    may = _write_export(corpus / _month_name("2015-04-01 to 2015-05-08"), messages[:CUT], None)
    june = _write_export(corpus / _month_name("2015-05-08 to 2015-06-01"), messages[CUT:], None)
    asked = {m["id"]: m for m in messages[:CUT]}
    question, reply = next((asked[m["reference"]["messageId"]], m) for m in messages[CUT:]
                           if m.get("reference") and m["reference"]["messageId"] in asked
                           and asked[m["reference"]["messageId"]]["author"]["id"] != m["author"]["id"])
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    excerpt, exchange = _quoted(bot, reply["content"], reply["id"])
    # The question (May's file) and its reply (June's) are one exchange, the document of the file it begins in,
    # and the reply is cited with its own author, time and link.
    assert {question["id"], reply["id"]} <= exchange and excerpt.citation.source == may.name
    index = bot.index
    row = index.passages([excerpt.passage_id])[excerpt.passage_id]
    paragraph = next(p for p in index.paragraphs(row.doc) if p.url.endswith(f"/{reply['id']}"))
    assert (paragraph.author, paragraph.date) == (reply["author"]["nickname"], reply["timestamp"])
    assert paragraph.url == f"https://discord.com/channels/{_export([])['guild']['id']}/" \
                            f"{_export([])['channel']['id']}/{reply['id']}"
    assert {s.source for s in bot.sources()} == {may.name, june.name}


def test_a_message_in_two_exports_of_its_channel_is_read_once(tmp_path: Path) -> None:
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    messages = _messages()
    edited = messages[CUT // 2]["id"]
    newer = [{**m, "content": m["content"] + " (edited)"} if m["id"] == edited else m for m in messages]
    corpus = tmp_path / "corpus"
    # An older partial export and a fresh full one of the same channel, side by side; a third overlaps them both.
    older = _write_export(corpus / _month_name("2015-04-01 to 2015-05-08"), messages[:CUT], "2015-05-08T20:00:00+00:00")
    full = _write_export(corpus / f"Ubuntu Help - Support - ubuntu-2015-05-08 [{_export([])['channel']['id']}].json",
                         newer, "2015-06-02T10:00:00+00:00")
    middle = _write_export(corpus / _month_name("2015-05-01 to 2015-06-01"), messages[CUT // 3 : CUT + 40], None)
    files = [CorpusFile(p, p.name) for p in (older, full, middle)]
    [unit] = units(files[:1], files)
    got = list(load_files(unit, _no_warning))
    whole = _write_export(tmp_path / "whole.json", newer, None)
    expected = list(load_file(CorpusFile(whole, whole.name), _no_warning))
    # Each message once, in the exchanges the fresh export alone gives, with its newest text.
    assert [d.model_copy(update={"source": whole.name}) for d in got] == expected
    assert {d.source for d in got} == {full.name}


def test_a_message_two_exports_give_different_times_is_still_read_once(tmp_path: Path) -> None:
    """Two exports of one channel whose copies of a message disagree about when it was sent (a file edited by hand, or
    by a tool that rewrote its times): the copies were not side by side in the channel's order, and both were quoted,
    each cited by the same link (and with that file's messages out of order, others too)."""
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    messages = _messages()
    moved = messages[CUT // 2]["id"]
    later = messages[CUT // 2 + 30]["timestamp"]
    retimed = [{**m, "timestamp": later} if m["id"] == moved else m for m in messages[:CUT]]
    corpus = tmp_path / "corpus"
    paths = [_write_export(corpus / _month_name("2015-04-01 to 2015-05-08"), retimed, None),
             _write_export(corpus / _month_name("2015-05-01 to 2015-06-01"), messages, None)]
    files = [CorpusFile(p, p.name) for p in paths]
    [unit] = units(files, files)
    cited = [link for d in load_files(unit, _no_warning) for link in _ids(d)]
    assert sorted(cited) == sorted(m["id"] for m in messages)  # each message once


def test_a_message_twice_in_one_export_is_read_once(tmp_path: Path) -> None:
    """One file holding a message twice (two exports joined by hand, a tool that wrote a page again): across a
    channel's files each message was read once, but within one file every copy was quoted, the same link cited twice,
    and a later copy read as a message sent again."""
    messages = _messages()
    doubled = [*messages[:CUT], *messages[CUT // 2 : CUT], messages[CUT], *messages[CUT:]]  # a stretch again, one twice
    path = _write_export(tmp_path / "doubled.json", doubled, None)
    whole = _write_export(tmp_path / "whole.json", messages, None)
    got = list(load_file(CorpusFile(path, path.name), _no_warning))
    expected = list(load_file(CorpusFile(whole, whole.name), _no_warning))
    assert sorted(link for d in got for link in _ids(d)) == sorted(m["id"] for m in messages)  # each message once
    assert [d.model_copy(update={"source": whole.name}) for d in got] == expected


def test_removing_or_adding_an_overlapping_export_leaves_no_orphan_or_duplicate(tmp_path: Path, fake_bot_for) -> None:
    corpus = tmp_path / "corpus"
    messages = _messages()
    older = _write_export(corpus / _month_name("2015-04-01 to 2015-05-08"), messages[:CUT], "2015-05-08T20:00:00+00:00")
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    alone = sum(s.documents for s in bot.sources())
    full = _write_export(corpus / f"Ubuntu Help - Support - ubuntu-2015-05-08 [{_export([])['channel']['id']}].json",
                         messages, "2015-06-02T10:00:00+00:00")
    assert bot.refresh().updated
    whole = _write_export(tmp_path / "whole.json", messages, None)
    everything = len(list(load_file(CorpusFile(whole, whole.name), _no_warning)))
    assert {s.source: s.documents for s in bot.sources()} == {full.name: everything}
    message = messages[10]
    quoted = [e for e in bot.ask(message["content"], k=10).excerpts if e.citation.link.endswith(f"/{message['id']}")]
    assert len(quoted) <= 1
    full.unlink()
    assert bot.refresh().updated
    assert {s.source: s.documents for s in bot.sources()} == {older.name: alone}


def test_a_channels_exports_in_one_folder_are_read_together(tmp_path: Path) -> None:
    from qabot.corpus.export_parts import channel_of, units

    def names(*given: str) -> list[CorpusFile]:
        return [CorpusFile(tmp_path / name, name) for name in given]

    help_, other = "help [381889648827301889]", "help [381889648827301890]"
    assert channel_of(f"a/Club - {help_} (2024-05-01 to 2024-06-01) [part 2].json") == "a/[381889648827301889]"
    assert channel_of(f"Club - Support - {help_} (after 2024-06-01).json") == "[381889648827301889]"
    assert channel_of("help-may.json") == "help-may.json"  # renamed by hand: its own, as before
    assert channel_of("report [2024].json") == "report [2024].json"  # no snowflake: no channel
    found = names(f"a/{help_} (2024-05-01 to 2024-06-01).json", f"a/{help_}.json",
                  f"a/{help_} (after 2024-06-01) [part 2].json", f"a/{help_} (after 2024-06-01).json",
                  f"b/{help_}.json", f"a/{other}.json")
    together = [f"a/{help_} (2024-05-01 to 2024-06-01).json", f"a/{help_} (after 2024-06-01).json",
                f"a/{help_} (after 2024-06-01) [part 2].json"]
    assert [[f.name for f in unit] for unit in units(names(f"a/{help_}.json"), found)] == [
        [*together, f"a/{help_}.json"]]
    # Another folder (another scope, perhaps) or another channel: read on its own.
    assert [[f.name for f in unit] for unit in units(names(f"b/{help_}.json", f"a/{other}.json"), found)] == [
        [f"b/{help_}.json"], [f"a/{other}.json"]]
    left = [file for file in found if file.name != f"a/{help_}.json"]  # removed: the others are read again
    assert [[f.name for f in unit] for unit in units([], left, [f"a/{help_}.json"])] == [together]


def test_load_corpus_reads_a_channels_files_as_the_index_does(tmp_path: Path) -> None:
    from qabot.corpus import find_files, load_corpus

    messages = _messages()
    corpus = tmp_path / "corpus"
    _write_export(corpus / _month_name("2015-04-01 to 2015-05-08"), messages[:CUT], None)
    _write_export(corpus / _month_name("2015-05-01 to 2015-06-01"), messages[CUT // 2 :], None)
    (corpus / "notes.txt").write_text("The mirror is at archive.ubuntu.com.\n", encoding="utf-8")
    got = list(load_corpus(find_files(corpus), _no_warning))
    whole = _write_export(tmp_path / "whole.json", messages, None)
    expected = list(load_file(CorpusFile(whole, whole.name), _no_warning))
    assert [d.text for d in got if d.source != "notes.txt"] == [d.text for d in expected]
    assert [d.source for d in got].count("notes.txt") == 1


def test_a_channels_exports_with_a_message_of_a_hostile_id_are_read(tmp_path: Path) -> None:
    from qabot.corpus import load_files
    from qabot.corpus.export_parts import units

    messages = _messages()
    hostile = [{**m, "id": "7" * 5000} if n == 5 else m for n, m in enumerate(messages[:CUT])]  # no int() of it
    paths = [_write_export(tmp_path / _month_name("2015-04-01 to 2015-05-08"), hostile, None),
             _write_export(tmp_path / _month_name("2015-05-01 to 2015-06-01"), messages[CUT // 2 :], None)]
    files = [CorpusFile(p, p.name) for p in paths]
    [unit] = units(files, files)
    warnings: list[str] = []
    got = list(load_files(unit, warnings.append))
    assert {d.source for d in got} == {p.name for p in paths}
    # That message is skipped (no jump link can end with its id), and named; every other is read, as one channel.
    assert warnings == [f"{paths[0].name}: skipping message 6: its 'id' is not a Discord id"]
    assert sum(len(d.paragraphs) for d in got) == len(messages) - 1


def test_one_message_dated_far_away_leaves_the_rest_of_its_export_in_order(tmp_path: Path) -> None:
    # Whether an export was written newest first was told by its first two messages' times alone: the first dated
    # 9999 (edited by hand, or a broken exporter), the whole export was read backwards, each reply before what it
    # answers. Discord's ids grow with every message: they tell.
    messages = _messages()
    path = tmp_path / "channel.json"
    path.write_text(json.dumps(_export(messages)), encoding="utf-8")
    expected = [_ids(d) for d in load_file(CorpusFile(path, path.name), _no_warning)]
    for when in ("9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"):
        moved = 0 if when.startswith("9999") else 1
        path.write_text(json.dumps(_export([{**m, "timestamp": when} if n == moved else m
                                            for n, m in enumerate(messages)])), encoding="utf-8")
        got = [_ids(d) for d in load_file(CorpusFile(path, path.name), _no_warning)]
        assert [ids for ids in got if messages[moved]["id"] not in ids] == [
            ids for ids in expected if messages[moved]["id"] not in ids]
