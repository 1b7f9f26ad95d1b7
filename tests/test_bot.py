"""The library contract used by external checks, and bad input through the library."""

from __future__ import annotations

import json
import time
import tracemalloc

import pytest

from qabot import Answer, Citation, Excerpt, QABot, QABotError, QuestionError
from qabot.errors import CorpusError
from tests.conftest import DEFAULT_CORPUS


def test_ask_returns_cited_excerpts(default_bot: QABot) -> None:
    answer = default_bot.ask("Who killed Trotsky?", k=5)
    assert isinstance(answer, Answer) and answer.answered
    assert 1 <= len(answer.excerpts) <= 5
    for ex in answer.excerpts:
        assert isinstance(ex, Excerpt) and isinstance(ex.citation, Citation)
        assert 0 < len(ex.text) <= 600 and 0 < len(ex.highlight) <= 300
        assert ex.highlight in ex.text
        assert ex.text[ex.highlight_start : ex.highlight_end] == ex.highlight
        source = (DEFAULT_CORPUS / ex.citation.source).read_text(encoding="utf-8")
        assert source[ex.citation.start : ex.citation.end] == ex.text
        assert ex.citation.doc_id == ex.citation.source
        assert ex.citation.title is None  # the default files have no front matter
        assert "¶" in ex.citation.location
    scores = [ex.score for ex in answer.excerpts]
    assert scores == sorted(scores, reverse=True)
    assert any("Mercader" in ex.text or "Jacson" in ex.text for ex in answer.excerpts[:3])


def test_answer_serialises_to_json(default_bot: QABot) -> None:
    answer = default_bot.ask("What weapon was used to kill Trotsky?", k=2)
    data = json.loads(answer.model_dump_json())
    assert set(data) >= {"answered", "excerpts"}
    first = data["excerpts"][0]
    assert set(first) >= {"text", "highlight", "score", "citation"}
    assert set(first["citation"]) >= {"source", "doc_id", "title", "location", "start", "end"}
    assert Answer.model_validate_json(answer.model_dump_json()) == answer


def test_k_limits_the_number_of_excerpts(default_bot: QABot) -> None:
    assert len(default_bot.ask("Trotsky in Mexico", k=1).excerpts) == 1
    assert len(default_bot.ask("Trotsky in Mexico", k=8).excerpts) == 8


def test_repeated_captions_never_appear_twice(default_bot: QABot) -> None:
    answer = default_bot.ask("Bolshevik painting by Boris Kustodiev", k=10)
    texts = [ex.text for ex in answer.excerpts]
    assert sum("Kustodiev" in t for t in texts) == 1


def test_small_talk_is_not_answered_however_close_a_message(make_corpus, fake_bot_for) -> None:
    from qabot.search.inputs import says_nothing

    # A chat holds "hello" and "thanks" word for word: the nearest passage is no answer to them.
    corpus = make_corpus({"chat.txt": "Ana: hello\n\nBen: thanks, that fixed the dome motor\n\nAna: anyone here?\n\n"
                                      "Ben: The dome motor needs a new fuse after a power cut.\n"})
    bot = fake_bot_for(corpus, answer_threshold=0.0)  # any confidence would do
    for greeting in ("hello", "Thanks!", "anyone here?", "ok", "what is it?"):
        assert says_nothing(greeting) and not bot.ask(greeting).answered, greeting
    for question in ("What does the dome motor need after a power cut?", "hello, what fixes the dome motor?"):
        assert not says_nothing(question) and bot.ask(question).answered, question
    assert not says_nothing("кто убил Троцкого?")  # words it cannot read are not small talk


def test_an_emoji_a_sign_or_a_link_alone_is_not_answered(make_corpus, fake_bot_for) -> None:
    """A chat's "👍" or "✅", a "?", or a link pasted on its own asks nothing: each was answered with whatever message
    was nearest ("https://example.com/some/page", on chat-dev, with "you can find that easily in the find man page")."""
    from qabot.search.inputs import says_nothing

    corpus = make_corpus({"chat.txt": "Ana: 👍 ✅\n\nBen: see https://example.com/guide www.example.com\n\n"
                                      "Ben: The dome motor needs a new fuse after a power cut.\n"})
    bot = fake_bot_for(corpus, answer_threshold=-1.0)  # any confidence would do: only the rule decides
    for nothing in ("👍", "✅ ✅", "?", "🤔?!", "https://example.com/guide", "<https://example.com/guide>",
                    "www.example.com", "https://example.com/guide thanks!"):
        assert says_nothing(nothing) and not bot.ask(nothing).answered, nothing
    for question in ("What does https://example.com/guide say about the dome motor?", "dome motor fuse 👍"):
        assert not says_nothing(question) and bot.ask(question).answered, question


def test_chat_shorthand_and_small_talk_in_other_languages_is_not_answered(make_corpus, fake_bot_for) -> None:
    """"nvm", "np", "brb" on chat-dev were answered with "ActionParsnip: deepspeed: set a blank keyring ...", "EriC^^:
    ok, np", "TheProvider: brb"; on a French server "bonjour" and "merci beaucoup" with a helper's answer (at 1.10
    and 1.40): small talk was English only, where the chat's own thanks are read in French, German, Spanish too."""
    from qabot.search.inputs import says_nothing

    corpus = make_corpus({"chat.txt": "Ana: nvm, np, brb\n\nBen: bonjour, merci beaucoup! gracias, danke, ciao\n\n"
                                      "Ben: Le moteur du dôme a besoin d'un fusible neuf.\n"})
    bot = fake_bot_for(corpus, answer_threshold=-1.0)  # any confidence would do: only the rule decides
    for nothing in ("nvm", "np", "brb", "tysm", "tnx", "thankyou", "gm all", "bonjour", "salut", "merci beaucoup",
                    "ok merci", "hola", "muchas gracias", "hallo", "danke schön", "vielen dank", "ciao", "grazie mille",
                    "obrigado", "привет", "спасибо", "tack så mycket", "kiitos", "dziękuję", "hvala", "ありがとう",
                    "谢谢"):
        assert says_nothing(nothing) and not bot.ask(nothing).answered, nothing
    for question in ("bonjour, de quoi le moteur du dôme a-t-il besoin ?", "np.array shape?", "merci fusible moteur"):
        assert not says_nothing(question) and bot.ask(question).answered, question


def test_checking_the_bot_is_there_is_not_answered(make_corpus, fake_bot_for) -> None:
    """"hi, anyone around?", "are you online?", "hello? is this thing on?", "testing 1 2 3" were answered on chat-dev
    (with "nacc: !ask | scorpion", "varunendra: roamer, the author of that UEFI guide is online right now", "tenshi:
    test"), and a greeting drawn out ("heyyy", "hiii @qabot") was not small talk. A question in a code block is one."""
    from qabot.search.inputs import says_nothing

    corpus = make_corpus({"chat.txt": "Ana: anyone around? is this thing on\n\nBen: test 1 2 3, I am online\n\n"
                                      "Ben: The dome motor needs a new fuse after a power cut.\n"})
    bot = fake_bot_for(corpus, answer_threshold=-1.0)  # any confidence would do: only the rule decides
    for nothing in ("hi, anyone around?", "are you online?", "hello? is this thing on?", "testing 1 2 3", "heyyy",
                    "hiii @qabot", "hellooo?", "thxxx", "you there? are you working?"):
        assert says_nothing(nothing) and not bot.ask(nothing).answered, nothing
    for question in ("Is the dome motor working after a power cut?", "```what does the dome motor need?```",
                     "test the dome motor fuse", "is the dome online?", "can you turn the dome motor on?"):
        assert not says_nothing(question) and bot.ask(question).answered, question
    for follow_up in ("is it working?", "is it online?", "what's that thing?"):  # about what the conversation named
        assert not says_nothing(follow_up, "dome motor fuse " + follow_up), follow_up


def test_a_thanks_to_the_bot_as_a_server_says_it_is_not_answered(make_corpus, fake_bot_for) -> None:
    """"thank u", "thanks man", "much appreciated" and a Dutch "bedankt" (a thanks the chat's exchanges read,
    ``corpus.roles.THANKS``) were searched as questions and answered with the nearest message of a thanks ("Ben:
    thanks man, much appreciated ...")."""
    from qabot.search.inputs import says_nothing

    corpus = make_corpus({"chat.txt": "Ana: thank u so much, much appreciated\n\nBen: thanks man, bedankt, dank je "
                                      "wel, cheers mate, appreciate it\n\nBen: The dome motor needs a new fuse.\n"})
    bot = fake_bot_for(corpus, answer_threshold=-1.0)  # any confidence would do: only the rule decides
    for nothing in ("thank u", "thank u so much", "thanks man", "cheers mate", "much appreciated", "appreciate it",
                    "bedankt", "hartelijk bedankt", "dank je wel"):
        assert says_nothing(nothing) and not bot.ask(nothing).answered, nothing
    for question in ("how do I appreciate the dome motor fuse?", "what does the dome motor need, mate?"):
        assert not says_nothing(question) and bot.ask(question).answered, question


def test_trying_the_bot_out_is_not_answered_but_a_question_about_testing_is(make_corpus, fake_bot_for) -> None:
    """"@qabot test" or "ping" is how a server tries a bot out: on chat-dev "test" was answered (1.29) with "tenshi:
    test". Said alone, or with small talk, it asks nothing; in a question, or a follow-up ("how do I test it?" after
    "what is the dome motor?"), it is what is asked about."""
    from qabot.search.inputs import says_nothing

    corpus = make_corpus({"chat.txt": "Ana: test\n\nBen: ping\n\nBen: Test the dome motor with the fuse tester, "
                                      "then ping the controller.\n"})
    bot = fake_bot_for(corpus, answer_threshold=-1.0)  # any confidence would do: only the rule decides
    for nothing in ("test", "testing", "Test?", "ping", "ping!", "hello, test", "test test 👍", "testing, anyone?"):
        assert says_nothing(nothing) and not bot.ask(nothing).answered, nothing
    for question in ("How do I test the dome motor?", "ping the controller", "test fuse"):
        assert not says_nothing(question) and bot.ask(question).answered, question
    follow_up = bot.ask("How do I test it?", history=["What does the dome motor need after a power cut?"])
    assert follow_up.query != "How do I test it?" and follow_up.answered


def test_a_follow_up_of_question_words_and_a_pronoun_asks_about_what_the_conversation_named(
        make_corpus, fake_bot_for) -> None:
    """"Who was he?" after "Who was Ramon Mercader?" was searched as "Who was Ramon Mercader?", and found, but
    refused as small talk ("Not found in the corpus"), since only its own words were looked at. Small talk in a
    conversation still says nothing."""
    corpus = make_corpus({"chat.txt": "Ramon Mercader was the Spanish agent who killed Trotsky.\n\n"
                                      "Sylvia Ageloff met Mercader in Paris in 1938.\n"})
    bot = fake_bot_for(corpus, answer_threshold=0.0)  # any confidence would do: only the small-talk rule decides
    history = ["Who was Ramon Mercader?"]
    for follow_up in ("Who was he?", "What about him?", "And her?", "What did he do?", "Why?"):
        answer = bot.ask(follow_up, history=history)
        assert answer.query != follow_up and answer.answered, follow_up
    for small_talk in ("thanks!", "thanks, that's it", "ok", "anyone here?"):
        assert not bot.ask(small_talk, history=history).answered, small_talk
    assert not bot.ask("Who was he?").answered  # no conversation: nobody to ask about


def test_unrelated_question_is_not_answered(default_bot: QABot) -> None:
    answer = default_bot.ask("How do I bake sourdough bread?")
    assert answer.answered is False


@pytest.mark.parametrize("question", ["", "   \n\t  "])
def test_empty_question_is_a_clear_error(default_bot: QABot, question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        default_bot.ask(question)


def test_huge_question_is_a_clear_error(default_bot: QABot) -> None:
    with pytest.raises(QuestionError, match="too long"):
        default_bot.ask("Trotsky " * 12_500)  # 100,000 characters


def test_a_huge_question_of_accents_is_refused_at_once(fake_default_bot) -> None:
    """Unicode's normalisation (NFC) puts a run of combining marks in order with an insertion sort: a question of
    a letter and 500,000 accents of two kinds took half an hour to be refused as too long (``qabot ask -`` reads a
    megabyte; the REPL takes a pasted line whole), and Ctrl-C could not stop it. A question too long whatever its
    normalisation makes of it is refused before it."""
    started = time.perf_counter()
    for huge in ("a" + "\u0301" * 250_000 + "\u0316" * 250_000, "\u0301\u0316" * 250_000):
        with pytest.raises(QuestionError, match="too long"):
            fake_default_bot.ask(huge)
        with pytest.raises(QuestionError, match="too long"):
            fake_default_bot.ask("Who killed Trotsky?", history=[huge])
    assert time.perf_counter() - started < 5
    accented = "Who killed Trotsky in Coyoaca\u0301n?"  # one typed apart from its letter is still put together
    assert fake_default_bot.ask(accented).query == "Who killed Trotsky in Coyoacán?"


def test_a_question_of_megabytes_is_refused_without_being_copied_over_and_over(fake_default_bot) -> None:
    """Cleaning a question splits it into words, and copies it: 3 MB of words took some 90 MB before "too long"
    (a file of one line piped to the REPL, 30 MB: 900 MB). A text too long whatever cleaning makes of it is refused
    as it is."""
    words = "ab " * 1_000_000
    tracemalloc.start()
    try:
        with pytest.raises(QuestionError, match="too long"):
            fake_default_bot.ask(words)
        with pytest.raises(QuestionError, match="too long"):
            fake_default_bot.ask("Who killed Trotsky?", history=[words])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000, peak


def test_a_history_of_a_whole_long_conversation_is_read_from_its_newest_questions_at_once(fake_default_bot) -> None:
    """Every earlier question was cleaned, as a question is: a library's chat passing its whole conversation, 100,000
    questions, took some twenty seconds a question. The newest are read (a follow-up's subject is the latest)."""
    older = ["What did the villagers say about the weather " * 20] * 100_000
    started = time.perf_counter()
    answer = fake_default_bot.ask("When did he die?", history=[*older, "Who killed Trotsky?"])
    assert time.perf_counter() - started < 3
    assert answer.query == "When did Trotsky die?"
    with pytest.raises(QuestionError, match="not int"):  # every one is still text
        fake_default_bot.ask("When did he die?", history=[1, *older])


def test_a_joiner_inside_a_word_or_an_emoji_is_kept_in_the_question(fake_default_bot) -> None:
    """Every zero-width joiner and non-joiner was replaced by a space: a Persian question's "می‌شود" was asked, and
    echoed (Discord's title, the feedback kept), as two words "می شود", and "🧑‍💻" as "🧑 💻". One between two
    characters joins them, as ``visible`` shows it; anywhere else it is still dropped."""
    persian = "تروتسکی چطور کشته می\u200cشود؟"
    assert fake_default_bot.ask(persian).query == persian
    assert fake_default_bot.ask("🧑\u200d💻 Who killed Trotsky?").query == "🧑\u200d💻 Who killed Trotsky?"
    assert fake_default_bot.ask("\u200dWho killed Trotsky? \u200c\u200d").query == "Who killed Trotsky?"


def test_control_characters_are_ignored(default_bot: QABot) -> None:
    answer = default_bot.ask("Who\x00 killed\x1b[31m Trotsky?\x07\u200b")
    assert answer.excerpts and "\x00" not in answer.query and "\x1b" not in answer.query


def test_a_question_a_terminal_coloured_is_the_same_question(default_bot: QABot) -> None:
    """Control characters were dropped but not the rest of their escape sequences: a question piped from a coloured
    terminal was searched as "[1;31mWho killed Trotsky? [0m", and refused ("Not found") where the plain one is
    answered."""
    plain = default_bot.ask("Who killed Trotsky?")
    for coloured in ("\x1b[1;31mWho killed Trotsky?\x1b[0m", "\x1b]0;a title\x07Who killed \x9b1mTrotsky?\x1b(B"):
        answer = default_bot.ask(coloured)
        assert answer.query == plain.query and answer.answered and plain.answered, answer.query
        assert answer.excerpts == plain.excerpts


def test_non_english_question_gets_a_sensible_answer(default_bot: QABot) -> None:
    for question in ("¿Quién mató a Trotsky?", "Кто убил Троцкого?", "谁杀了托洛茨基？"):
        answer = default_bot.ask(question, k=3)
        assert isinstance(answer, Answer) and len(answer.excerpts) == 3


def test_bad_k_is_a_clear_error(default_bot: QABot) -> None:
    with pytest.raises(QuestionError, match="k must be"):
        default_bot.ask("Trotsky", k=0)


def test_sources_and_context(default_bot: QABot) -> None:
    sources = default_bot.sources()
    assert [s.source for s in sources] == ["000_7a1bfeddec75252f.txt", "003_3ab6160fc76f5c58.txt"]
    assert all(s.passages > 50 for s in sources)
    excerpt = default_bot.ask("Where was Trotsky born?", k=1).excerpts[0]
    context = default_bot.context(excerpt)
    assert excerpt.highlight in context.paragraph
    assert "born in the Ukraine" in context.paragraph
    assert context.before or context.after
    source = (DEFAULT_CORPUS / context.citation.source).read_text(encoding="utf-8")
    assert source[context.citation.start : context.citation.end] == context.paragraph


def test_from_settings_keyword_overrides_win(monkeypatch, make_corpus, tmp_path, embedder) -> None:
    corpus = make_corpus({"a.txt": "The capital of Norway is Oslo."})
    monkeypatch.setenv("QABOT_CORPUS_DIR", str(tmp_path / "elsewhere"))
    bot = QABot.from_settings(corpus_dir=corpus, index_dir=tmp_path / "idx", embedder=embedder, progress=False)
    assert bot.settings.corpus_dir == corpus
    assert "Oslo" in bot.ask("What is the capital of Norway?").excerpts[0].text
    bot.close()


def test_missing_corpus_through_the_library(tmp_path, embedder) -> None:
    with pytest.raises(CorpusError):
        QABot.from_settings(corpus_dir=tmp_path / "none", index_dir=tmp_path / "idx", embedder=embedder)


def test_unreadable_file_among_good_ones(make_corpus, bot_for, caplog) -> None:
    corpus = make_corpus({"good.txt": "Natalia Sedova was married to Trotsky.", "bad.txt": b"\x81\x00bad bytes \xff"})
    bot = bot_for(corpus)
    assert "bad.txt" in caplog.text
    assert any("bad.txt" in s for s in bot.manifest.skipped_messages())
    assert "Natalia" in bot.ask("Who was Trotsky's wife?").excerpts[0].text


def test_jsonl_citations_use_the_document_id(make_corpus, bot_for) -> None:
    corpus = make_corpus(
        {
            "beir.jsonl": '{"_id": "doc-7", "title": "Ice axes", "text": "An ice axe has a pick and an adze."}\n'
            '{"_id": "doc-8", "title": "Sourdough", "text": "Sourdough bread rises with wild yeast."}\n'
        }
    )
    ex = bot_for(corpus).ask("What rises with wild yeast?", k=1).excerpts[0]
    assert (ex.citation.source, ex.citation.doc_id, ex.citation.title) == ("beir.jsonl", "doc-8", "Sourdough")
    assert "Sourdough bread rises with wild yeast."[ex.citation.start : ex.citation.end] == ex.text


def test_the_context_of_an_excerpt_whose_document_changed_since_is_refused(make_corpus, fake_bot_for) -> None:
    """A file added while the bot runs, then edited: the edit's new segment takes the old one's rows, so the excerpt's
    passage id named a passage of the new version, of the same file, and its 'context' was a paragraph of the new
    text that does not hold the excerpt (':open' in the REPL after the watcher applied an edit)."""
    corpus = make_corpus({"harbour.txt": "The harbour was dredged in 1911.\n"})
    bot = fake_bot_for(corpus, answer_threshold=0.0)
    (corpus / "crossing.txt").write_text("The zebra crossing was painted white in 1960.\n\nIt was moved in 1970.\n")
    bot.refresh()
    [excerpt] = [e for e in bot.ask("When was the zebra crossing painted?", k=3).excerpts
                 if e.citation.source == "crossing.txt"]
    assert "1960" in bot.context(excerpt).paragraph
    (corpus / "crossing.txt").write_text("Short.\n\nThe council never repainted the zebra crossing after the war.\n")
    bot.refresh()
    with pytest.raises(QABotError, match="not in the current index"):
        bot.context(excerpt)
    [now] = [e for e in bot.ask("When was the zebra crossing painted?", k=3).excerpts
             if e.citation.source == "crossing.txt"]
    assert "never repainted" in bot.context(now).paragraph
