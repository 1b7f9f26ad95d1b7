"""Follow-up resolution (pure logic)."""

from __future__ import annotations

from qabot.search.followup import names, needs_history, resolve


def test_names_skip_question_words() -> None:
    assert names("Who was Rudolf Klement?") == ["Rudolf Klement"]
    assert names("What did Lenin's testament say about Trotsky?") == ["Lenin's", "Trotsky"]
    assert names("how did he die?") == []


def test_pronoun_is_replaced_by_the_earlier_subject() -> None:
    assert resolve("How did he die?", ["Who was Rudolf Klement?"]) == "How did Rudolf Klement die?"
    assert resolve("What alias did he use?", ["Who was Ramon Mercader?"]) == "What alias did Ramon Mercader use?"
    assert resolve("Whose secretary did she become?", ["Who was Sylvia Franklin?"]) == (
        "Whose secretary did Sylvia Franklin become?"
    )
    assert resolve("What was his wife's name?", ["Who killed Trotsky?"]) == "What was Trotsky's wife's name?"


def test_standalone_questions_are_left_alone() -> None:
    assert not needs_history("Where was Trotsky born?")
    assert resolve("Where was Trotsky born?", ["Who was Rudolf Klement?"]) == "Where was Trotsky born?"
    assert resolve("How did he die?", []) == "How did he die?"


def test_most_recent_named_subject_wins() -> None:
    history = ["Who was Rudolf Klement?", "Who was Sylvia Franklin?", "and then?"]
    assert resolve("Where did she work?", history) == "Where did Sylvia Franklin work?"


def test_elliptical_question_gets_the_subject() -> None:
    assert resolve("When?", ["Who killed Trotsky?"]) == "Trotsky: When?"


def test_days_and_months_are_not_names() -> None:
    assert names("Where did he row every Sunday?") == []
    assert resolve("Where did he row every Sunday?", ["Who was Tobias Wren?"]) == "Where did Tobias Wren row every Sunday?"
    assert resolve("What happened to her in May?", ["Who was Sylvia Franklin?"]) == "What happened to Sylvia Franklin in May?"


def test_a_name_is_a_whole_word_that_begins_with_a_capital() -> None:
    # "[A-Z]" anywhere took "Phone" out of "iPhone", "OS" out of "macOS", "FA" out of "2FA", and no "Élodie".
    assert names("How do I reset my iPhone?") == [] and names("is it on macOS? eBay? 2FA?") == []
    assert needs_history("is it on iOS?")
    assert resolve("how much does it cost?", ["How do I reset my iPhone?"]) == (
        "How do I reset my iPhone? how much does it cost?")
    assert names("Who is Élodie Durand?") == ["Élodie Durand"] and names("Where is Łódź?") == ["Łódź"]
    assert resolve("Where does she live?", ["Who is Élodie Durand?"]) == "Where does Élodie Durand live?"


def test_a_particle_inside_a_name_is_part_of_it() -> None:
    # A guard for the word-by-word reading of names: the pattern before it read these so too.
    assert names("How did Leon de la Cruz die?") == ["Leon de la Cruz"]
    assert names("Did Vincent van Gogh paint it?") == ["Vincent van Gogh"]
    assert names("Who was Ramon Mercader, alias Frank Jacson?") == ["Ramon Mercader", "Frank Jacson"]
