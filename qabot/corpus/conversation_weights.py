"""The fitted weights of conversation disentanglement (``qabot.corpus.conversations``), feature by feature.

Fitted by ``qabot.eval.fit_conversations`` on data/train of jkkummerfeld/irc-disentanglement
(see ``qabot.corpus.conversations``'s docstring): ``WEIGHTS`` with every feature, and
``PLAIN_WEIGHTS`` with the names that open messages ("ana: ...") taken out, for channels
where people do not address each other by name.
"""

from __future__ import annotations

# Each feature's weight in WEIGHTS and PLAIN_WEIGHTS. "i" is the later message, "j" the
# earlier one it may respond to; the "new_*" features score i starting a conversation.
# Fitted on data/train of jkkummerfeld/irc-disentanglement (see the module's docstring);
# PLAIN_WEIGHTS with the names that open messages ("ana: ...") taken out, for a channel
# where people do not address each other by name, as in most of Discord.
_FITTED: dict[str, tuple[float, float]] = {
    "i_addresses_j": (5.634, 3.168),  # the later one opens with the earlier one's author's name, or @-mentions them
    "i_names_j": (4.349, 3.542),  # it names them elsewhere
    "j_addresses_i": (0.878, -0.090),  # the earlier one addresses the later one's author
    "j_names_i": (1.349, 1.462),  # the earlier one names them elsewhere
    "same_author": (1.476, -0.850),
    "i_addresses_other": (1.370, -0.106),  # the later one addresses someone else
    "j_addresses_other": (-0.830, -0.532),  # the earlier one addresses someone else
    "j_latest_of_author": (0.032, 0.523),  # the earlier one is its author's latest
    "j_latest_to_i": (1.029, 0.668),  # the earlier one is the latest addressed to the later one's author
    "talked_before": (1.290, 1.498),  # the two authors have addressed each other before
    "distance_1": (0.058, -1.208),  # messages between them: 0
    "distance_2": (0.223, -0.504),  # 1
    "distance_3_5": (0.403, -0.193),  # 2 to 4
    "distance_6_10": (0.433, -0.002),  # 5 to 9
    "distance_11_20": (0.281, 0.105),  # 10 to 19
    "log_distance": (-1.036, -1.454),
    "gap_0_1m": (0.475, 1.267),  # minutes between them: at most 1
    "gap_2_5m": (0.131, 0.888),  # at most 5
    "gap_6_15m": (-0.097, 0.386),  # at most 15
    "log_gap": (-0.491, -0.428),
    "j_asks": (-0.058, -0.223),  # the earlier one has a question mark
    "i_asks": (-0.489, -0.540),  # the later one has one
    "shared_1": (0.676, -0.710),  # one content word in common
    "shared_2plus": (1.468, 0.113),  # more
    "shared_rarity": (0.222, 0.513),  # how rare the rarest shared word is
    "bot_answers_trigger": (4.946, 4.236),  # a bot answers a command ("!info foo")
    "j_bot": (-0.459, -1.281),  # the earlier one is a bot's
    "i_newcomer": (-0.589, -0.870),  # the later one's author has not spoken in the window
    "i_addresses_j_latest": (0.450, -0.200),  # addresses the earlier one's author, whose latest it is
    "own_previous": (2.271, 1.839),  # the later one's author's own previous message
    "open_question": (0.591, 0.588),  # a question from someone else that nobody has addressed since
    "plain_reply_near": (0.610, -0.442),  # the later one addresses nobody and follows within 3 messages
    "new": (1.408, -1.504),  # starting a conversation: always
    "new_addresses": (-0.354, 0.038),  # it addresses someone
    "new_names_someone": (0.479, 0.788),  # it names someone
    "new_asks": (0.489, 0.540),  # it has a question mark
    "new_newcomer": (0.589, 0.870),  # its author has not spoken in the window
    "new_greets": (1.459, 2.494),  # it opens with a greeting or "anyone"
    "new_long": (0.733, 0.667),  # it is over 60 characters
    "new_was_addressed": (-0.432, -0.268),  # someone addressed its author lately
    "new_log_silence": (0.136, 0.303),  # minutes since its author last spoke
}
FEATURES = tuple(_FITTED)
WEIGHTS = {name: pair[0] for name, pair in _FITTED.items()}
PLAIN_WEIGHTS = {name: pair[1] for name, pair in _FITTED.items()}
