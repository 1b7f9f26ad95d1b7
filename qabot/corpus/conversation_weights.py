"""The fitted weights of conversation disentanglement (``qabot.corpus.conversations``), feature by feature.

Fitted by ``qabot.eval.fit_conversations`` as a softmax over each message's candidates (with a small L2 penalty),
on the annotated reply links of data/train of jkkummerfeld/irc-disentanglement only: its 150 Ubuntu IRC logs other
than the three ``../shared/eval/chat-dev`` was made from (its dev and test splits were never read).

- ``WEIGHTS``, every feature: they pick the annotated parent of 69.3% of the training messages, and of 74.9% in
  the three chat-dev logs.
- ``PLAIN_WEIGHTS`` (``--plain``), the names that open messages ("ana: ...") taken out: for a channel where people
  neither name nor reply to each other. On those logs the "anyone?" rule links 598 of the 746 messages it bears on
  as annotated, the scorer alone 588.
- ``REPLY_WEIGHTS`` (``--replies``), as a Discord channel would have them: a message that opened with a name replies
  to that person's latest message instead, and only the other messages are scored. They pick the annotated parent
  of 67.4% of those 31,902 training messages. In the three chat-dev logs made the same way, they link 74.3% of the
  messages that are not replies as annotated, where ``PLAIN_WEIGHTS`` linked 63.7% before a reply told whom it spoke to.
"""

from __future__ import annotations

# Each feature's weight in WEIGHTS, PLAIN_WEIGHTS and REPLY_WEIGHTS. "i" is the later message, "j" the
# earlier one it may respond to; the "new_*" features score i starting a conversation.
_FITTED: dict[str, tuple[float, float, float]] = {
    "i_addresses_j": (5.696, 3.096, 3.026),  # the later one opens with the earlier one's author's name, or @-mentions
    "i_names_j": (4.368, 3.542, 4.266),  # it names them elsewhere
    "j_addresses_i": (0.888, -0.060, 0.931),  # the earlier one addresses the later one's author
    "j_names_i": (1.364, 1.460, 1.499),  # the earlier one names them elsewhere
    "same_author": (1.536, -0.851, 1.510),
    "i_addresses_other": (1.506, -0.176, -0.391),  # the later one addresses someone else
    "j_addresses_other": (-0.782, -0.532, -0.995),  # the earlier one addresses someone else
    "j_latest_of_author": (0.017, 0.522, 0.106),  # the earlier one is its author's latest
    "j_latest_to_i": (1.032, 0.636, 1.008),  # the earlier one is the latest addressed to the later one's author
    "talked_before": (1.319, 1.497, 1.818),  # the two authors have addressed each other before
    "distance_1": (0.096, -1.200, -0.314),  # messages between them: 0
    "distance_2": (0.248, -0.497, -0.184),  # 1
    "distance_3_5": (0.427, -0.187, -0.160),  # 2 to 4
    "distance_6_10": (0.454, 0.002, -0.181),  # 5 to 9
    "distance_11_20": (0.292, 0.107, -0.117),  # 10 to 19
    "log_distance": (-1.015, -1.452, -1.296),
    "gap_0_1m": (0.488, 1.274, 0.242),  # minutes between them: at most 1
    "gap_2_5m": (0.143, 0.894, -0.090),  # at most 5
    "gap_6_15m": (-0.087, 0.391, -0.127),  # at most 15
    "log_gap": (-0.493, -0.427, -0.567),
    "j_asks": (-0.054, -0.224, 0.030),  # the earlier one has a question mark
    "i_asks": (-0.488, -0.540, -0.488),  # the later one has one
    "shared_1": (0.660, -0.710, -0.853),  # one content word in common
    "shared_2plus": (1.443, 0.112, 0.036),  # more
    "shared_rarity": (0.221, 0.513, 0.483),  # how rare the rarest shared word is
    "bot_answers_trigger": (4.953, 4.220, 5.438),  # a bot answers a command ("!info foo")
    "j_bot": (-0.460, -1.283, -0.625),  # the earlier one is a bot's
    "i_newcomer": (-0.592, -0.872, -0.793),  # the later one's author has not spoken in the window
    "i_addresses_j_latest": (0.468, -0.199, 0.005),  # addresses the earlier one's author, whose latest it is
    "own_previous": (2.297, 1.840, 1.935),  # the later one's author's own previous message
    "own_to_other": (-2.518, -0.100, -0.370),  # its author's own, addressed to someone the later one is not
    "open_question": (0.585, 0.588, 0.307),  # a question from someone else that nobody has addressed since
    "plain_reply_near": (0.668, -0.442, -0.053),  # the later one addresses nobody and follows within 3 messages
    "new": (1.531, -1.489, 0.179),  # starting a conversation: always
    "new_addresses": (-0.315, -0.023, -1.268),  # it addresses someone
    "new_names_someone": (0.477, 0.788, 0.391),  # it names someone
    "new_asks": (0.488, 0.540, 0.488),  # it has a question mark
    "new_newcomer": (0.592, 0.872, 0.793),  # its author has not spoken in the window
    "new_greets": (1.458, 2.494, 1.418),  # it opens with a greeting or "anyone"
    "new_long": (0.731, 0.667, 0.778),  # it is over 60 characters
    "new_was_addressed": (-0.429, -0.268, -0.361),  # someone addressed its author lately
    "new_log_silence": (0.129, 0.301, 0.023),  # minutes since its author last spoke
}
FEATURES = tuple(_FITTED)
WEIGHTS = {name: pair[0] for name, pair in _FITTED.items()}
PLAIN_WEIGHTS = {name: pair[1] for name, pair in _FITTED.items()}
REPLY_WEIGHTS = {name: pair[2] for name, pair in _FITTED.items()}
