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
    "i_addresses_j": (5.696, 3.096),  # the later one opens with the earlier one's author's name, or @-mentions them
    "i_names_j": (4.368, 3.542),  # it names them elsewhere
    "j_addresses_i": (0.888, -0.060),  # the earlier one addresses the later one's author
    "j_names_i": (1.364, 1.460),  # the earlier one names them elsewhere
    "same_author": (1.536, -0.851),
    "i_addresses_other": (1.506, -0.176),  # the later one addresses someone else
    "j_addresses_other": (-0.782, -0.532),  # the earlier one addresses someone else
    "j_latest_of_author": (0.017, 0.522),  # the earlier one is its author's latest
    "j_latest_to_i": (1.032, 0.636),  # the earlier one is the latest addressed to the later one's author
    "talked_before": (1.319, 1.497),  # the two authors have addressed each other before
    "distance_1": (0.096, -1.200),  # messages between them: 0
    "distance_2": (0.248, -0.497),  # 1
    "distance_3_5": (0.427, -0.187),  # 2 to 4
    "distance_6_10": (0.454, 0.002),  # 5 to 9
    "distance_11_20": (0.292, 0.107),  # 10 to 19
    "log_distance": (-1.015, -1.452),
    "gap_0_1m": (0.488, 1.274),  # minutes between them: at most 1
    "gap_2_5m": (0.143, 0.894),  # at most 5
    "gap_6_15m": (-0.087, 0.391),  # at most 15
    "log_gap": (-0.493, -0.427),
    "j_asks": (-0.054, -0.224),  # the earlier one has a question mark
    "i_asks": (-0.488, -0.540),  # the later one has one
    "shared_1": (0.660, -0.710),  # one content word in common
    "shared_2plus": (1.443, 0.112),  # more
    "shared_rarity": (0.221, 0.513),  # how rare the rarest shared word is
    "bot_answers_trigger": (4.953, 4.220),  # a bot answers a command ("!info foo")
    "j_bot": (-0.460, -1.283),  # the earlier one is a bot's
    "i_newcomer": (-0.592, -0.872),  # the later one's author has not spoken in the window
    "i_addresses_j_latest": (0.468, -0.199),  # addresses the earlier one's author, whose latest it is
    "own_previous": (2.297, 1.840),  # the later one's author's own previous message
    "own_to_other": (-2.518, -0.100),  # its author's own, addressed to someone the later one is not
    "open_question": (0.585, 0.588),  # a question from someone else that nobody has addressed since
    "plain_reply_near": (0.668, -0.442),  # the later one addresses nobody and follows within 3 messages
    "new": (1.531, -1.489),  # starting a conversation: always
    "new_addresses": (-0.315, -0.023),  # it addresses someone
    "new_names_someone": (0.477, 0.788),  # it names someone
    "new_asks": (0.488, 0.540),  # it has a question mark
    "new_newcomer": (0.592, 0.872),  # its author has not spoken in the window
    "new_greets": (1.458, 2.494),  # it opens with a greeting or "anyone"
    "new_long": (0.731, 0.667),  # it is over 60 characters
    "new_was_addressed": (-0.429, -0.268),  # someone addressed its author lately
    "new_log_silence": (0.129, 0.301),  # minutes since its author last spoke
}
FEATURES = tuple(_FITTED)
WEIGHTS = {name: pair[0] for name, pair in _FITTED.items()}
PLAIN_WEIGHTS = {name: pair[1] for name, pair in _FITTED.items()}
