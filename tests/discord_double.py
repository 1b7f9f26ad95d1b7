"""A loopback double of Discord's API, for driving the real, unmodified discord.py client.

The double is an aiohttp server on 127.0.0.1 that runs in its own thread with its own
event loop, so the bot under test and the "Discord" it talks to never share a loop: a
bot that blocks its loop misses heartbeats here exactly as it would against Discord.

- **REST**: point ``discord.http.Route.BASE`` at ``double.api``. It answers the calls
  qabot's bot makes (login, application info, ``GET /gateway/bot``, command sync,
  interaction callbacks, webhook follow-ups and edits, channel messages and their
  history, typing, a server's member: ``outsiders`` and ``member_errors``, a user) and records every request with its JSON body in ``double.requests``.
  Ids are snowflakes of the time they are made, so ``created_at`` is right.
- **Gateway**: ``GET /gateway/bot`` hands out ``ws://.../gateway`` and a shard count.
  Each socket gets HELLO; IDENTIFY is answered with READY and a GUILD_CREATE per guild
  of that shard, RESUME with RESUMED and a replay of what was missed, HEARTBEAT with
  an ACK (heartbeat times are recorded). ``slash`` (with subcommands and member
  permissions), ``message_command``, ``message``, ``forum_post`` and ``click`` dispatch
  INTERACTION_CREATE, THREAD_CREATE and MESSAGE_CREATE; ``drop`` closes a socket mid-session. ``thread_from``
  starts a thread from a message as Discord does (the thread's id is the message's, and its history opens
  with a type 21 placeholder that refers to the message in the parent channel).
- Like Discord, an IDENTIFY asking for privileged intents the application may not use
  (``privileged=False``) is closed with 4014.
- Like Discord, it blanks ``content`` of a guild message that does not mention the bot
  when the bot did not ask for the message-content intent.
- Two servers: ``GUILD_ID`` (general, elsewhere, a private channel, a thread, a forum,
  and ``HIDDEN_THREAD_ID``, a thread left out of GUILD_CREATE so the bot has not seen
  it) and ``GUILD_B_ID`` (``B_CHANNEL_ID``); a channel's server follows from its id.
  ``GUILD_ID`` also has a channel of each other kind (``KINDS``): an announcement channel
  (its threads are type 10), a voice and a stage channel (each with its text chat), a
  category and a media channel; ``change_channel`` sends a CHANNEL_UPDATE of one (or of a text channel), and
  ``vanish`` deletes one (or a thread) while the bot is away, unheard.
  ``press`` sends any custom id, as a hostile client can.
- Like Discord, a message over its limits (content, embeds, buttons) is refused with 400 and code 50035
  (Invalid Form Body) naming the field, and an empty one with 50006; lengths are counted in code points, as
  Discord's API (Python) counts them. ``refused`` lists the requests so refused.
- With ``channel_rate=(n, seconds)``, like Discord, a channel takes ``n`` messages per
  ``seconds`` and answers more with 429 (discord.py then waits and retries). ``refusals[channel id] = n``
  answers its next ``n`` messages with 429 whatever discord.py counted (another process used the limit up);
  ``member_refusals[server id] = n`` does the same to its next ``n`` member lookups. Such a 429 asks
  discord.py to wait ``retry_after`` seconds (0.05 unless a test sets it).
- ``forbidden[channel id] = code`` refuses the bot's messages there with 403 and Discord's code, as when its role
  lacks a permission: 50013 (Send Messages, Embed Links), 50001, or 160002 (a reply without Read Message History).
- ``expired`` holds interaction tokens Discord no longer knows: their callbacks get 404 10062 (Unknown
  interaction) and their follow-ups 10015 (Unknown Webhook), as after 3 s undeferred or 15 minutes. With
  ``interaction_seconds`` (3, as Discord), an interaction not answered (or deferred) that long after it was sent
  expires so.

Test code calls it from another thread: every method that touches the server is
handed to its loop; ``until`` / ``until_sync`` poll for a condition.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import WSMsgType, web

APPLICATION_ID = 1_200_000_000_000_000_001
BOT_ID = APPLICATION_ID  # a bot user shares its application's id
GUILD_ID = 1_200_000_000_000_000_100
CHANNEL_ID = 1_200_000_000_000_000_200
OTHER_CHANNEL_ID = 1_200_000_000_000_000_201
PRIVATE_CHANNEL_ID = 1_200_000_000_000_000_202  # @everyone may not view it
THREAD_ID = 1_200_000_000_000_000_300
HIDDEN_THREAD_ID = 1_200_000_000_000_000_301  # a thread of OTHER_CHANNEL_ID, not in GUILD_CREATE
FORUM_ID = 1_200_000_000_000_000_600
SOLVED_TAG_ID = 1_200_000_000_000_000_610  # the forum's "Solved" tag
LINUX_TAG_ID = 1_200_000_000_000_000_611
FORUM_TAGS = [{"id": str(SOLVED_TAG_ID), "name": "Solved", "moderated": False, "emoji_id": None, "emoji_name": None},
              {"id": str(LINUX_TAG_ID), "name": "linux", "moderated": False, "emoji_id": None, "emoji_name": None}]
NEWS_ID = 1_200_000_000_000_000_210  # an announcement channel (type 5); its threads are type 10
VOICE_ID = 1_200_000_000_000_000_220  # a voice channel (type 2), with its text chat
STAGE_ID = 1_200_000_000_000_000_230  # a stage channel (type 13), with its text chat
CATEGORY_ID = 1_200_000_000_000_000_240  # a category (type 4): nothing to read
MEDIA_ID = 1_200_000_000_000_000_620  # a media channel (type 16): posts with tags, like a forum's
DM_CHANNEL_ID = 1_200_000_000_000_000_400
GUILD_B_ID = 1_200_000_000_000_000_700
B_CHANNEL_ID = 1_200_000_000_000_000_701
GUILD_OF = {CHANNEL_ID: GUILD_ID, OTHER_CHANNEL_ID: GUILD_ID, PRIVATE_CHANNEL_ID: GUILD_ID, THREAD_ID: GUILD_ID,
            HIDDEN_THREAD_ID: GUILD_ID, FORUM_ID: GUILD_ID, B_CHANNEL_ID: GUILD_B_ID}
# The first server's channels of other kinds, as Discord describes each in GUILD_CREATE and GET /channels/{id}:
# (type, name, the fields that kind has beyond a text channel's).
KINDS: dict[int, tuple[int, str, dict[str, Any]]] = {
    NEWS_ID: (5, "announcements", {}),
    VOICE_ID: (2, "lounge", {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "video_quality_mode": 1}),
    STAGE_ID: (13, "town-hall", {"bitrate": 64000, "user_limit": 10000, "rtc_region": None}),
    CATEGORY_ID: (4, "info", {}),
    MEDIA_ID: (16, "gallery", {"available_tags": FORUM_TAGS, "default_reaction_emoji": None, "flags": 0}),
}
VIEW_CHANNEL = 1 << 10
READ_MESSAGE_HISTORY = 1 << 16
ADMINISTRATOR = 1 << 3
CONNECT = 1 << 20
EVERYONE_ROLE_ID = GUILD_ID
MOD_ROLE_ID = 1_200_000_000_000_000_500
USER_BASE = 1_300_000_000_000_000_000
MESSAGE_CONTENT_INTENT = 1 << 15
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | MESSAGE_CONTENT_INTENT  # members, presences, message content
DISCORD_EPOCH_MS = 1_420_070_400_000
ALL_PERMISSIONS = str((1 << 41) - 1)
EVERYONE_PERMISSIONS = str(((1 << 41) - 1) & ~ADMINISTRATOR)  # what @everyone may do server-wide: all but administer
MISSING_ACCESS, MISSING_PERMISSIONS, CANNOT_REPLY = 50001, 50013, 160002  # Discord's JSON error codes
FORBIDDEN = {MISSING_ACCESS: "Missing Access", MISSING_PERMISSIONS: "Missing Permissions",
             CANNOT_REPLY: "Cannot reply without permission to read message history"}
EPHEMERAL = 1 << 6

BOT_USER = {
    "id": str(BOT_ID),
    "username": "qabot",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}


def user(n: int) -> dict[str, Any]:
    return {"id": str(USER_BASE + n), "username": f"user{n}", "discriminator": "0", "global_name": None, "avatar": None}


def role(role_id: int, name: str, permissions: int, *, position: int = 2) -> dict[str, Any]:
    """A role as GUILD_CREATE gives it, with its server-wide ``permissions``."""
    return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position, "color": 0,
            "hoist": False, "managed": False, "mentionable": name != "@everyone", "flags": 0}


def replying(message: dict[str, Any], reply_to: dict[str, Any]) -> None:
    """Make ``message`` a reply to ``reply_to`` (type 19, its reference and the message it references)."""
    message["type"] = 19
    message["message_reference"] = {"message_id": reply_to["id"], "channel_id": reply_to["channel_id"],
                                    "guild_id": str(guild_of(int(message["channel_id"])))}
    message["referenced_message"] = reply_to


def forwarding(message: dict[str, Any], forwarded: dict[str, Any]) -> None:
    """Make ``message`` a forward of ``forwarded``, as Discord sends one: no text of its own, a reference of type 1
    (FORWARD) to the forwarded message, and a snapshot of it (``message_snapshots``: its text, embeds,
    attachments, times and mentions, never its author)."""
    message["content"] = ""
    message["message_reference"] = {"type": 1, "message_id": forwarded["id"], "channel_id": forwarded["channel_id"],
                                    "guild_id": str(guild_of(int(forwarded["channel_id"])))}
    message["message_snapshots"] = [{"message": {
        key: forwarded[key] for key in ("type", "content", "embeds", "attachments", "timestamp", "edited_timestamp",
                                        "flags", "mentions", "mention_roles", "components")}}]


# Discord's limits on what a message carries (https://discord.com/developers/docs/resources/message), in code points.
CONTENT_LIMIT = 2000
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELDS_LIMIT = 25
FIELD_LIMITS = {"name": 256, "value": 1024}
FOOTER_TEXT_LIMIT = 2048
AUTHOR_NAME_LIMIT = 256
ROWS_LIMIT = 5
ROW_ITEMS_LIMIT = 5
LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
EMPTY_MESSAGE: list[tuple[tuple[str, ...], str, str]] = []  # a message with nothing to show: code 50006


def _too_long(limit: int) -> tuple[str, str]:
    return "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."


def message_problems(body: dict[str, Any], *, edit: bool = False) -> list[tuple[tuple[str, ...], str, str]] | None:
    """What Discord would refuse in a message body: (path, code, message) for each field over its limit, or
    ``EMPTY_MESSAGE`` when a new message has no content, embed or component; None when it would take it.

    An embed's total (title, description, field names and values, footer text, author name) is added up over all
    of a message's embeds, as Discord does; a field's name and value are required, and blank counts as missing."""
    problems: list[tuple[tuple[str, ...], str, str]] = []
    content = body.get("content")
    if isinstance(content, str) and len(content) > CONTENT_LIMIT:
        problems.append((("content",), *_too_long(CONTENT_LIMIT)))
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_LIMIT:
        problems.append((("embeds",), "BASE_TYPE_BAD_LENGTH", f"Must be between 0 and {EMBEDS_LIMIT} in length."))
    total = 0
    for n, embed in enumerate(embeds):
        where = ("embeds", str(n))
        for key, limit in EMBED_LIMITS.items():
            text = embed.get(key) or ""
            total += len(text)
            if len(text) > limit:
                problems.append(((*where, key), *_too_long(limit)))
        footer = (embed.get("footer") or {}).get("text") or ""
        author = (embed.get("author") or {}).get("name") or ""
        total += len(footer) + len(author)
        if len(footer) > FOOTER_TEXT_LIMIT:
            problems.append(((*where, "footer", "text"), *_too_long(FOOTER_TEXT_LIMIT)))
        if len(author) > AUTHOR_NAME_LIMIT:
            problems.append(((*where, "author", "name"), *_too_long(AUTHOR_NAME_LIMIT)))
        fields = embed.get("fields") or []
        if len(fields) > FIELDS_LIMIT:
            problems.append(((*where, "fields"), "BASE_TYPE_MAX_LENGTH", f"Must be {FIELDS_LIMIT} or fewer in length."))
        for i, field_ in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                text = field_.get(key) or ""
                total += len(text)
                if not text.strip():
                    problems.append(((*where, "fields", str(i), key), "BASE_TYPE_REQUIRED", "This field is required"))
                elif len(text) > limit:
                    problems.append(((*where, "fields", str(i), key), *_too_long(limit)))
    if total > EMBED_TOTAL_LIMIT:
        problems.append((("embeds",), "MAX_EMBED_SIZE_EXCEEDED",
                         f"Embed size exceeds maximum size of {EMBED_TOTAL_LIMIT}"))
    rows = body.get("components") or []
    if len(rows) > ROWS_LIMIT:
        problems.append((("components",), "BASE_TYPE_MAX_LENGTH", f"Must be {ROWS_LIMIT} or fewer in length."))
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if len(items) > ROW_ITEMS_LIMIT:
            problems.append((("components", str(r), "components"), "BASE_TYPE_MAX_LENGTH",
                             f"Must be {ROW_ITEMS_LIMIT} or fewer in length."))
        for i, item in enumerate(items):
            where = ("components", str(r), "components", str(i))
            if len(item.get("label") or "") > LABEL_LIMIT:
                problems.append(((*where, "label"), *_too_long(LABEL_LIMIT)))
            if len(item.get("custom_id") or "") > CUSTOM_ID_LIMIT:
                problems.append(((*where, "custom_id"), *_too_long(CUSTOM_ID_LIMIT)))
    if problems:
        return problems
    if not edit and not (content or "").strip() and not embeds and not rows:
        return EMPTY_MESSAGE
    return None


def guild_of(channel_id: int) -> int:
    """The server a channel of the double belongs to (forum posts' threads: the first server)."""
    return GUILD_OF.get(channel_id, GUILD_ID)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when the content type is exactly application/json.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


class MessageBook(dict):
    """Messages by id, as a dict, that also keeps each channel's ids in order, so a page of a channel's history
    is found by bisection, and a channel of a hundred thousand messages pages as fast as one of ten.

    ``synthetic`` channels hold messages made on request from their place (``Synthetic``), not stored."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[int, list[int]] = {}
        self.synthetic: dict[int, Synthetic] = {}

    def __setitem__(self, message_id: int, message: dict[str, Any]) -> None:
        if message_id not in self:
            ids = self.ids.setdefault(int(message["channel_id"]), [])
            if not ids or message_id > ids[-1]:
                ids.append(message_id)
            else:
                bisect.insort(ids, message_id)
        super().__setitem__(message_id, message)

    def pop(self, message_id: int, *default: Any) -> Any:
        message = super().pop(message_id, *default)
        if message is not None and message is not (default[0] if default else None):
            ids = self.ids.get(int(message["channel_id"]), [])
            at = bisect.bisect_left(ids, message_id)
            if at < len(ids) and ids[at] == message_id:
                del ids[at]
        return message

    def get(self, message_id: int, default: Any = None) -> Any:
        found = super().get(message_id)
        if found is None:
            for synthetic in self.synthetic.values():
                found = synthetic.get(message_id)
                if found is not None:
                    return found
        return default if found is None else found

    def after(self, channel_id: int, after: int, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` messages of a channel just after ``after``, oldest first."""
        if channel_id in self.synthetic:
            return self.synthetic[channel_id].after(after, limit)
        ids = self.ids.get(channel_id, [])
        at = bisect.bisect_right(ids, after)
        return [self[i] for i in ids[at : at + limit]]

    def before(self, channel_id: int, before: int | None, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` messages of a channel just before ``before`` (None: the latest), oldest first."""
        if channel_id in self.synthetic:
            return self.synthetic[channel_id].before(before, limit)
        ids = self.ids.get(channel_id, [])
        at = len(ids) if before is None else bisect.bisect_left(ids, before)
        return [self[i] for i in ids[max(0, at - limit) : at]]

    def last(self, channel_id: int) -> int | None:
        if channel_id in self.synthetic:
            return self.synthetic[channel_id].last
        ids = self.ids.get(channel_id)
        return ids[-1] if ids else None


@dataclass
class Request:
    """One REST request as discord.py sent it."""

    method: str
    path: str  # after /api/v10
    query: dict[str, str]
    body: Any
    wall: float = field(default_factory=time.time)  # before ``time``, which hides the module in this class
    time: float = field(default_factory=time.monotonic)
    response: Any = None  # what the double answered
    status: int = 200
    done: bool = False  # answered: ``response`` and ``status`` are final (the double answers in its own thread)


@dataclass
class Connection:
    socket: web.WebSocketResponse
    shard: int | None = None
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    close_code: int | None = None  # set: the double closes the socket with it, as Discord does


@dataclass
class Session:
    """A gateway session of one shard: it survives a dropped socket and is resumed."""

    session_id: str
    shard: int
    intents: int
    seq: int = 0
    connection: Connection | None = None
    missed: list[dict[str, Any]] = field(default_factory=list)


class DiscordDouble:
    def __init__(
        self,
        *,
        shards: int = 1,
        heartbeat_interval: float = 41.25,
        guild_ids: tuple[int, ...] = (GUILD_ID,),
        token: str | None = None,
        privileged: bool = True,
        channel_rate: tuple[int, float] | None = None,
    ):
        self.shards = shards
        self.page_delay = 0.0  # seconds each page of a channel's history takes
        self.history_errors: dict[int, int] = {}  # channel id: the HTTP status its history pages fail with
        # channel id: how many pages of its history are given before ``history_errors`` applies (a failure mid-way)
        self.history_pages_ok: dict[int, int] = {}
        self.channel_rate = channel_rate  # (messages, seconds) a channel takes, as Discord limits them
        # channel id: how many of its next messages get a 429 whatever discord.py counted (as when another process
        # of the same bot used the channel's limit up)
        self.refusals: dict[int, int] = {}
        self.member_refusals: dict[int, int] = {}  # server id: how many of its next member lookups get a 429
        self.retry_after = 0.05  # what those 429s ask discord.py to wait, in seconds
        # When set (Discord: 3 s), an interaction whose first response comes later than this after it was sent expires
        self.interaction_seconds: float | None = None
        self._channel_sends: dict[str, list[float]] = {}
        # channel id: the bot's permissions there fall short, and its messages get 403 with this code (MISSING_ACCESS,
        # MISSING_PERMISSIONS: no Send Messages or Embed Links; CANNOT_REPLY: no Read Message History, a reply only)
        self.forbidden: dict[int, int] = {}
        self.expired: set[str] = set()  # interaction tokens Discord no longer knows (callbacks 10062, webhooks 10015)
        self.privileged = privileged  # False: the portal has no privileged intent turned on
        self.token = token  # when set, REST calls with another token get 401 Unauthorized
        self.heartbeat_interval = heartbeat_interval
        self.guild_ids = guild_ids
        self.requests: list[Request] = []
        self.refused: list[Request] = []  # messages refused as Discord refuses them: over a limit, or empty
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.heartbeats: list[float] = []
        self.sessions: dict[int, Session] = {}
        self.messages: MessageBook = MessageBook()  # every message the double knows, by id (and by channel)
        self.interactions: dict[str, dict[str, Any]] = {}  # by token
        self.commands: dict[str, dict[str, Any]] = {}  # synced commands, by name
        self.threads: dict[int, dict[str, Any]] = {}  # threads made by ``thread``, ``thread_from``, forum posts
        self.changed: dict[int, dict[str, Any]] = {}  # a channel: what ``change_channel`` changed
        self.gone: set[int] = set()  # channels and threads deleted while the bot was away (``vanish``)
        self.left: set[int] = set()  # servers the bot was removed from (``remove_guild``)
        self.down: set[int] = set()  # servers in an outage as a session starts: READY lists them, no GUILD_CREATE
        self.reactions: dict[tuple[int, str], list[dict[str, Any]]] = {}  # (message id, emoji): who reacted
        self.archived_lists: list[str] = []  # the channels whose archived threads the bot listed
        # Every user is a member of every server, except these (server id: user numbers): GET of their member there
        # is 404 10007 (Unknown Member). ``member_errors[server id] = code`` refuses every member lookup there with
        # 403 and Discord's code, as when the bot lost its access.
        self.outsiders: dict[int, set[int]] = {}
        self.member_errors: dict[int, int] = {}
        # Members' server nicknames (user number: nick), as GET of their member gives them. Like Discord, the
        # history (GET /channels/{id}/messages) gives a message's author as a user, without them.
        self.nicks: dict[int, str] = {}
        # The first server's roles, as GUILD_CREATE gives them: @everyone's server-wide permissions, and more roles
        # (payloads: ``role``) beside "mods" (MOD_ROLE_ID), as a server whose channels a "member" role opens has.
        self.everyone_permissions = EVERYONE_PERMISSIONS
        self.more_roles: list[dict[str, Any]] = []
        self._id_lock = threading.Lock()
        self._last_id = 0
        self._past = itertools.count()
        self._sessions = itertools.count(1)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def start(self) -> DiscordDouble:
        started = threading.Event()

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            self.loop.run_until_complete(self._start())
            started.set()
            self.loop.run_forever()
            self.loop.run_until_complete(self._runner.cleanup())
            self.loop.close()

        self._thread = threading.Thread(target=serve, name="discord-double", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the Discord double did not start")
        return self

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._socket)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def _call(self, func: Callable[..., Any], *args: Any) -> None:
        self.loop.call_soon_threadsafe(func, *args)

    def new_id(self, at: float | None = None) -> int:
        """A snowflake of now (increasing), or of the time ``at`` (for a message sent in the past)."""
        stamp = (int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS) << 22
        with self._id_lock:
            if at is not None:
                return stamp + next(self._past) % 4096
            self._last_id = max(stamp, self._last_id + 1)
            return self._last_id

    # -- waiting (test side) --------------------------------------------------------------

    async def until(self, condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            await asyncio.sleep(0.01)
        return result

    def until_sync(self, condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.01)
        return result

    def ready(self, shard: int = 0) -> bool:
        session = self.sessions.get(shard)
        return session is not None and session.connection is not None and session.seq >= 1 + len(self._guilds_of(shard))

    # -- what the bot sent (test side) ----------------------------------------------------

    def sent(self, method: str | None = None, contains: str = "") -> list[Request]:
        """Requests as they arrived, those still being answered included (a page of history held up)."""
        return [r for r in list(self.requests) if (method is None or r.method == method) and contains in r.path]

    def answered(self, method: str, contains: str) -> list[Request]:
        """``sent``'s that the double has answered: their ``response`` and ``status`` are there to read."""
        return [r for r in self.sent(method, contains) if r.done]

    def callbacks(self, interaction_id: int | None = None) -> list[Request]:
        """Interaction responses (POST /interactions/{id}/{token}/callback)."""
        wanted = "/interactions/" + (f"{interaction_id}/" if interaction_id else "")
        return [r for r in self.answered("POST", wanted) if r.path.endswith("/callback")]

    def followups(self, token: str | None = None) -> list[Request]:
        """Follow-up messages (POST /webhooks/{application}/{token})."""
        prefix = f"/webhooks/{APPLICATION_ID}/" + (token or "")
        return [r for r in self.answered("POST", prefix) if "/messages" not in r.path]

    def replies(self, channel_id: int | None = None) -> list[Request]:
        """Channel messages (POST /channels/{id}/messages) that were sent (not refused with 429)."""
        return [r for r in self.answered("POST", "/channels/") if r.path.endswith("/messages") and r.status < 300
                and (channel_id is None or r.path == f"/channels/{channel_id}/messages")]

    def responses_to(self, token: str) -> list[dict[str, Any]]:
        """Every message body sent in answer to the interaction with ``token``: its callback data, then follow-ups."""
        bodies = [r.body.get("data") or {} for r in self.sent("POST", f"/{token}/callback")]
        return [b for b in bodies if b] + [r.body for r in self.followups(token)]

    # -- REST -----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                body = json.loads(raw)
            elif request.content_type.startswith("multipart/"):
                body = {"multipart": True}
        recorded = Request(request.method, path, dict(request.query), body)
        self.requests.append(recorded)
        try:
            return await self._handled(request, recorded)
        finally:
            recorded.done = True

    async def _handled(self, request: web.Request, recorded: Request) -> web.Response:
        path, body = recorded.path, recorded.body
        auth = request.headers.get("Authorization")  # interaction callbacks and webhooks carry none
        if self.token is not None and auth is not None and auth != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        parts = path.strip("/").split("/")
        headers: dict[str, str] = {}
        refused = self._refused(request.method, parts)
        if refused is not None:
            refused[int(parts[1])] -= 1
            recorded.status = 429
            return web.Response(body=json.dumps({"message": "You are being rate limited.", "retry_after": self.retry_after,
                                                 "global": False}).encode(), status=429,
                                headers={"Retry-After": "1", "X-RateLimit-Scope": "shared", "Via": "1.1 google",
                                         "Content-Type": "application/json"})
        if len(parts) > 3 and parts[0] == "interactions" and self.interaction_seconds is not None:
            sent = self.interactions.get(parts[2], {})
            if "answered" not in sent and time.monotonic() - sent.get("at", time.monotonic()) > self.interaction_seconds:
                self.expired.add(parts[2])  # too late: Discord has told the member "The application did not respond"
            sent["answered"] = True
        if len(parts) > 2 and parts[0] in ("interactions", "webhooks") and parts[2] in self.expired:
            recorded.status = 404  # past 3 s undeferred, or 15 min after: Discord knows the token no more
            unknown = (10062, "Unknown interaction") if parts[0] == "interactions" else (10015, "Unknown Webhook")
            return _json({"message": unknown[1], "code": unknown[0]}, status=404)
        if request.method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"] and \
                int(parts[1]) in self.forbidden:
            code = self.forbidden[int(parts[1])]
            if code != CANNOT_REPLY or (isinstance(body, dict) and body.get("message_reference")):
                recorded.status = 403
                return _json({"message": FORBIDDEN[code], "code": code}, status=403)
        if self.channel_rate and request.method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"]:
            headers, limited = self._rate_limit(parts[1])
            if limited:
                recorded.status = 429
                return web.Response(body=json.dumps(limited).encode(), status=429, headers=headers)
        if self.page_delay and request.method == "GET" and parts[0] == "channels" and parts[2:] == ["messages"]:
            await asyncio.sleep(self.page_delay)  # a slow page of history, to catch a backfill in the middle
        if parts[0] == "channels" and len(parts) > 1 and parts[1].isdigit() and guild_of(int(parts[1])) in self.left:
            recorded.status = 403
            return _json({"message": FORBIDDEN[MISSING_ACCESS], "code": MISSING_ACCESS}, status=403)
        if parts[0] == "channels" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) in self.gone:
            recorded.status = 404
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if request.method == "GET" and parts[0] == "channels" and parts[2:] == ["messages"] and \
                int(parts[1]) in self.history_errors and not self._page_given(int(parts[1])):
            recorded.status = self.history_errors[int(parts[1])]
            return _json({"message": "the double refuses this history", "code": 0}, status=recorded.status)
        invalid = self._invalid(request.method, parts, body)
        if invalid is not None:
            recorded.status = 400
            self.refused.append(recorded)
            return _json(invalid, status=400)
        handler = self._route(request.method, parts)
        if handler is None:
            return _json({"message": f"the double does not know {request.method} {path}", "code": 0}, status=404)
        result = recorded.response = handler(parts, body if body is not None else dict(request.query))
        if result is None:
            return web.Response(status=204)
        if isinstance(result, web.Response):  # a handler's refusal
            recorded.status = result.status
            return result
        response = _json(result)
        response.headers.update(headers)
        return response

    def _refused(self, method: str, parts: list[str]) -> dict[int, int] | None:
        """Where this request takes one of the 429s owed (``refusals`` of a channel's messages, ``member_refusals``
        of a server's member lookups): that dict, keyed by ``parts[1]``; None where none is owed."""
        if method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"]:
            owed = self.refusals
        elif method == "GET" and parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            owed = self.member_refusals
        else:
            return None
        return owed if owed.get(int(parts[1])) else None

    def _page_given(self, channel_id: int) -> bool:
        """Whether this page of a failing channel's history is one of the ``history_pages_ok`` still given."""
        left = self.history_pages_ok.get(channel_id, 0)
        if left:
            self.history_pages_ok[channel_id] = left - 1
        return left > 0

    def _invalid(self, method: str, parts: list[str], body: Any) -> dict[str, Any] | None:
        """Discord's error for a message it would refuse (over a limit, or empty), or None. Only what carries a
        message is checked: a channel message, an interaction's message response, a follow-up and an edit."""
        if not isinstance(body, dict) or body.get("multipart"):
            return None
        edit = method == "PATCH"
        if method == "POST" and parts[0] == "interactions" and body.get("type") in (4, 7):
            problems = message_problems(body.get("data") or {}, edit=body["type"] == 7)
            prefix: tuple[str, ...] = ("data",)
        elif (method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"]) or (
                method == "POST" and parts[0] == "webhooks" and len(parts) == 3) or (
                edit and parts[0] in ("channels", "webhooks") and "messages" in parts):
            problems, prefix = message_problems(body, edit=edit), ()
        else:
            return None
        if problems is None:
            return None
        if problems is EMPTY_MESSAGE:
            return {"message": "Cannot send an empty message", "code": 50006}
        errors: dict[str, Any] = {}
        for path, code, text in problems:
            node = errors
            for key in (*prefix, *path):
                node = node.setdefault(key, {})
            node.setdefault("_errors", []).append({"code": code, "message": text})
        return {"message": "Invalid Form Body", "code": 50035, "errors": errors}

    def _rate_limit(self, channel: str) -> tuple[dict[str, str], dict[str, Any] | None]:
        """Discord's per-channel limit on messages: the rate-limit headers, and a 429's body when over it."""
        limit, per = self.channel_rate  # type: ignore[misc]
        now = time.monotonic()
        sends = self._channel_sends.setdefault(channel, [])
        sends[:] = [t for t in sends if now - t < per]
        if len(sends) >= limit:
            wait = per - (now - sends[0])
            headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                       "X-RateLimit-Reset-After": f"{wait:.3f}", "X-RateLimit-Bucket": f"messages-{channel}",
                       "Retry-After": str(max(1, round(wait))), "X-RateLimit-Scope": "user", "Via": "1.1 google",
                       "Content-Type": "application/json"}
            return headers, {"message": "You are being rate limited.", "retry_after": round(wait, 3), "global": False}
        sends.append(now)
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - len(sends)),
                "X-RateLimit-Reset-After": f"{per - (now - sends[0]):.3f}",
                "X-RateLimit-Bucket": f"messages-{channel}"}, None

    def _route(self, method: str, parts: list[str]) -> Callable[[list[str], Any], Any] | None:
        n = len(parts)
        match (method, parts[0] if parts else "", n):
            case ("GET", "users", 2) if parts[1] == "@me":
                return lambda _p, _b: BOT_USER
            case ("GET", "users", 2) if parts[1].isdigit():
                return lambda p, _b: user(int(p[1]) - USER_BASE)
            case ("GET", "oauth2", 3):
                return lambda _p, _b: self._application()
            case ("GET", "gateway", 2):
                return lambda _p, _b: {
                    "url": self.gateway,
                    "shards": self.shards,
                    "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
                }
            case ("PUT", "applications", _) if parts[-1] == "commands":
                return self._sync
            case ("POST", "interactions", 4):
                return self._callback
            case ("POST", "webhooks", 3):
                return self._followup
            case ("PATCH", "webhooks", 5) | ("PATCH", "channels", 4):
                return self._edit
            case ("GET", "webhooks", 5):
                return lambda p, _b: self.messages.get(self._message_id(p))
            case ("GET", "channels", 4):
                return lambda p, _b: self.messages.get(int(p[3])) or _json(
                    {"message": "Unknown Message", "code": 10008}, status=404)
            case ("GET", "channels", 2):
                return lambda p, _b: self._channel_of(int(p[1]), user(0))
            case ("GET", "channels", 3) if parts[2] == "messages":
                return self._history
            case ("GET", "channels", 5) if parts[2:4] == ["threads", "archived"]:
                return self._archived
            case ("GET", "channels", 6) if parts[2] == "messages" and parts[4] == "reactions":
                return self._reacted
            case ("DELETE", "channels", 4) | ("DELETE", "webhooks", 5):
                return lambda _p, _b: None
            case ("POST", "channels", 3) if parts[2] == "typing":
                return lambda _p, _b: None
            case ("POST", "channels", 3) if parts[2] == "messages":
                return self._channel_message
            case ("GET", "guilds", 4) if parts[2] == "members":
                return self._member
        return None

    def _reacted(self, parts: list[str], query: dict[str, str]) -> list[dict[str, Any]]:
        """GET /channels/{id}/messages/{id}/reactions/{emoji}: who reacted so, as Discord gives them: by id, those
        past ``after`` (a user id), at most ``limit`` (25)."""
        users = sorted(self.reactions.get((int(parts[3]), unquote(parts[5])), []), key=lambda u: int(u["id"]))
        return [u for u in users if int(u["id"]) > int(query.get("after", 0))][:int(query.get("limit", 25))]

    def _member(self, parts: list[str], _body: Any) -> dict[str, Any] | web.Response:
        """GET /guilds/{guild}/members/{user}: the member, as Discord gives one without the members intent."""
        guild_id, n = int(parts[1]), int(parts[3]) - USER_BASE
        if guild_id in self.member_errors:
            code = self.member_errors[guild_id]
            return _json({"message": FORBIDDEN[code], "code": code}, status=403)
        if guild_id not in self.guild_ids or n in self.outsiders.get(guild_id, ()):
            return _json({"message": "Unknown Member", "code": 10007}, status=404)
        return {"user": user(n), "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0,
                **({"nick": self.nicks[n]} if n in self.nicks else {})}

    def _application(self) -> dict[str, Any]:
        return {
            "id": str(APPLICATION_ID),
            "name": "qabot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user(0),
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": BOT_USER,
        }

    def _sync(self, parts: list[str], body: list[dict[str, Any]]) -> list[dict[str, Any]]:
        synced = []
        for command in body:
            stored = {
                **command,
                "id": str(self.new_id()),
                "application_id": str(APPLICATION_ID),
                "version": "1",
                "type": command.get("type", 1),
                "description": command.get("description", ""),
            }
            if len(parts) == 5:  # applications/{id}/guilds/{guild}/commands
                stored["guild_id"] = parts[3]
            self.commands[command["name"]] = stored
            synced.append(stored)
        return synced

    def _callback(self, parts: list[str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self.interactions.get(parts[2], {})
        kind = body.get("type")
        data = body.get("data") or {}
        message = None
        if kind == 4:  # a message now
            message = self._store_message(data, interaction.get("channel_id", CHANNEL_ID), webhook=True)
            interaction.setdefault("original", message)
        elif kind in (6, 7) and interaction.get("clicked"):  # the clicked message: updated now (7), or later (6)
            message = interaction["original"] = interaction["clicked"]
            message.update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
        elif kind == 5:  # deferred: the first follow-up becomes the original response
            interaction["deferred"] = True
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = message
        return {
            "interaction": {
                "id": parts[1],
                "type": interaction.get("type", 2),
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL),
            },
            "resource": resource,
        }

    def _followup(self, parts: list[str], body: dict[str, Any]) -> dict[str, Any]:
        interaction = self.interactions.get(parts[2], {})
        message = self._store_message(body, interaction.get("channel_id", CHANNEL_ID), webhook=True)
        interaction.setdefault("original", message)
        return message

    def _edit(self, parts: list[str], body: dict[str, Any]) -> dict[str, Any] | None:
        message_id = self._message_id(parts)
        message = self.messages.get(message_id)
        if message is None:
            return None
        message.update({k: v for k, v in body.items() if k in ("content", "embeds", "components", "flags")})
        return message

    def _message_id(self, parts: list[str]) -> int:
        if parts[-1] == "@original":
            original = self.interactions.get(parts[2], {}).get("original")
            return int(original["id"]) if original else 0
        return int(parts[-1])

    def _channel_message(self, parts: list[str], body: dict[str, Any]) -> dict[str, Any]:
        return self._store_message(body, int(parts[1]))

    def _history(self, parts: list[str], query: dict[str, str]) -> list[dict[str, Any]]:
        """GET /channels/{id}/messages: at most ``limit``, newest first: the latest, those just before ``before``,
        or those just after ``after`` (the page next to it, as Discord gives it)."""
        limit = int(query.get("limit", 50))
        if "after" in query:
            found = self.messages.after(int(parts[1]), int(query["after"]), limit)
        else:
            found = self.messages.before(int(parts[1]), int(query["before"]) if "before" in query else None, limit)
        return [m for m in reversed(found) if not m["flags"] & EPHEMERAL]

    def _archived(self, parts: list[str], query: dict[str, str]) -> dict[str, Any]:
        """GET /channels/{id}/threads/archived/{public,private}: the archived threads of a channel or forum, newest
        first, before ``before`` (an ISO archive time), at most ``limit``."""
        private = parts[-1] == "private"
        found = [t for t in self.threads.values() if t["parent_id"] == parts[1] and t["thread_metadata"]["archived"]
                 and (t["type"] == 12) == private]
        found.sort(key=lambda t: t["thread_metadata"]["archive_timestamp"], reverse=True)
        if "before" in query:
            found = [t for t in found if t["thread_metadata"]["archive_timestamp"] < query["before"]]
        limit = int(query.get("limit", 50))
        self.archived_lists.append(parts[1])
        return {"threads": found[:limit], "members": [], "has_more": len(found) > limit}

    def _store_message(self, body: dict[str, Any], channel_id: int, *, webhook: bool = False) -> dict[str, Any]:
        message = self._message_payload(
            author=BOT_USER,
            content=body.get("content") or "",
            channel_id=int(channel_id),
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=body.get("flags", 0),
        )
        if webhook:
            message["webhook_id"] = str(APPLICATION_ID)
        reference = body.get("message_reference")
        if reference:
            message["type"] = 19
            message["message_reference"] = reference
            message["referenced_message"] = self.messages.get(int(reference["message_id"]))
        self.messages[int(message["id"])] = message
        return message

    def _message_payload(
        self, *, author: dict[str, Any], content: str, channel_id: int, message_id: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        message = {
            "id": str(message_id or self.new_id()),
            "channel_id": str(channel_id),
            "author": author,
            "content": content,
            "timestamp": _now(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
        }
        if channel_id != DM_CHANNEL_ID:
            message["guild_id"] = str(guild_of(channel_id))
        message.update(extra)
        return message

    # -- gateway --------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        connection = Connection(socket)
        writer = asyncio.create_task(self._write(connection))
        await connection.outbox.put({"op": 10, "d": {"heartbeat_interval": int(self.heartbeat_interval * 1000)}})
        try:
            async for frame in socket:
                if frame.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(frame.data)
                self._receive(connection, payload)
                if connection.close_code is not None:
                    break
            if connection.close_code is not None:
                # Closed here, in the handler, so the close handshake ends before the connection does
                # (a close from another task races the handler's return, and the client sees 1006).
                await socket.close(code=connection.close_code)
        finally:
            writer.cancel()
            for session in self.sessions.values():
                if session.connection is connection:
                    session.connection = None
        return socket

    async def _write(self, connection: Connection) -> None:
        while True:
            payload = await connection.outbox.get()
            await connection.socket.send_str(json.dumps(payload))

    def _receive(self, connection: Connection, payload: dict[str, Any]) -> None:
        op, data = payload.get("op"), payload.get("d")
        if op == 1:  # heartbeat
            self.heartbeats.append(time.monotonic())
            connection.outbox.put_nowait({"op": 11})
        elif op == 2:  # identify
            self.identifies.append(data)
            if not self.privileged and data.get("intents", 0) & PRIVILEGED_INTENTS:
                connection.close_code = 4014  # Disallowed intent(s)
                return
            shard = (data.get("shard") or [0, 1])[0]
            session = Session(f"session-{next(self._sessions)}", shard, data.get("intents", 0), connection=connection)
            self.sessions[shard] = session
            connection.shard = shard
            guilds = self._guilds_of(shard)
            self._send(session, "READY", {
                "v": 10,
                "user": BOT_USER,
                "guilds": [{"id": str(g), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "resume_gateway_url": self.gateway,
                "shard": [shard, self.shards],
                "application": {"id": str(APPLICATION_ID), "flags": 0},
            })
            for guild in guilds:
                if guild not in self.down:
                    self._send(session, "GUILD_CREATE", self._guild(guild))
        elif op == 6:  # resume
            self.resumes.append(data)
            session = next((s for s in self.sessions.values() if s.session_id == data.get("session_id")), None)
            if session is None:
                connection.outbox.put_nowait({"op": 9, "d": False})
                return
            session.connection = connection
            connection.shard = session.shard
            missed, session.missed = session.missed, []
            for event in missed:
                connection.outbox.put_nowait(event)
            self._send(session, "RESUMED", {})

    def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        if session.connection is None:
            session.missed.append(payload)  # replayed on RESUME, as Discord does
        else:
            session.connection.outbox.put_nowait(payload)

    def _guilds_of(self, shard: int) -> list[int]:
        return [g for g in self.guild_ids if (g >> 22) % self.shards == shard]

    def _guild(self, guild_id: int) -> dict[str, Any]:
        def channel(channel_id: int, name: str) -> dict[str, Any]:
            last = self.messages.last(channel_id)
            return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name, "position": 0,
                    "permission_overwrites": [], "nsfw": False, "parent_id": None,
                    "last_message_id": str(last) if last else None, "rate_limit_per_user": 0, "topic": None,
                    **self.changed.get(channel_id, {})}

        return {
            "id": str(guild_id), "name": f"Guild {guild_id}", "icon": None, "owner_id": str(USER_BASE),
            "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "features": [], "mfa_level": 0, "system_channel_flags": 0,
            "premium_tier": 0, "preferred_locale": "en-US", "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "roles": [role(guild_id, "@everyone", int(self.everyone_permissions), position=0),
                      role(MOD_ROLE_ID, "mods", 0, position=1),
                      *(self.more_roles if guild_id == GUILD_ID else [])],
            "emojis": [], "stickers": [],
            "channels": [channel(CHANNEL_ID, "general"), channel(OTHER_CHANNEL_ID, "elsewhere"),
                         {**channel(PRIVATE_CHANNEL_ID, "moderators"), "permission_overwrites": [
                             {"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}],
                          **self.changed.get(PRIVATE_CHANNEL_ID, {})},
                         {**channel(FORUM_ID, "questions"), "type": 15, "available_tags": FORUM_TAGS,
                          "default_reaction_emoji": None, "flags": 0}, *[self._kind(c) for c in KINDS if c not in self.gone]]
            if guild_id == GUILD_ID else [channel(B_CHANNEL_ID, "general-b")] if guild_id == GUILD_B_ID else [],
            "threads": [self._thread_channel(), *[self._with_last(t) for t in self.threads.values()
                                                  if not t["thread_metadata"]["archived"]]]
            if guild_id == GUILD_ID else [],
            "members": [{"user": BOT_USER, "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0}],
            "member_count": 2, "large": False, "unavailable": False, "joined_at": _now(),
            "voice_states": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def _kind(self, channel_id: int) -> dict[str, Any]:
        """A channel of ``KINDS`` as Discord describes it now (``change_channel`` changed it)."""
        kind, name, more = KINDS[channel_id]
        payload = {"id": str(channel_id), "type": kind, "guild_id": str(GUILD_ID), "name": name, "position": 0,
                   "permission_overwrites": [], "nsfw": False, "parent_id": None, "flags": 0}
        if kind != 4:  # a category holds no messages
            last = self.messages.last(channel_id)
            payload |= {"last_message_id": str(last) if last else None, "rate_limit_per_user": 0, "topic": None}
        return payload | more | self.changed.get(channel_id, {})

    def _thread_channel(self, thread_id: int = THREAD_ID, parent_id: int = CHANNEL_ID) -> dict[str, Any]:
        return {
            "id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent_id),
            "owner_id": str(USER_BASE), "name": "follow-ups", "last_message_id": None, "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "flags": 0,
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now(),
                                "locked": False},
        }

    def _channel_of(self, channel_id: int, author: dict[str, Any]) -> dict[str, Any]:
        if channel_id == DM_CHANNEL_ID:
            return {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [author]}
        if channel_id == THREAD_ID:
            return self._thread_channel()
        if channel_id == HIDDEN_THREAD_ID:
            return self._thread_channel(HIDDEN_THREAD_ID, OTHER_CHANNEL_ID)
        if channel_id in self.threads:
            return self._with_last(self.threads[channel_id])
        if channel_id in KINDS:
            return self._kind(channel_id)
        overwrites = [{"id": str(GUILD_ID), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
                      ] if channel_id == PRIVATE_CHANNEL_ID else []
        return {"id": str(channel_id), "type": 0, "guild_id": str(guild_of(channel_id)), "name": "general",
                "position": 0, "permission_overwrites": overwrites, "nsfw": False, "parent_id": None,
                **self.changed.get(channel_id, {})}

    # -- events (test side) ---------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], shard: int = 0) -> None:
        """Send a gateway event to ``shard`` (kept for replay while its socket is down)."""
        self._call(lambda: self._send(self.sessions[shard], event, data))

    def drop(self, shard: int = 0, code: int = 4000) -> None:
        """Close the shard's socket, as Discord does now and then; the session can be resumed."""

        def close() -> None:
            session = self.sessions[shard]
            connection, session.connection = session.connection, None
            if connection is not None:
                asyncio.ensure_future(connection.socket.close(code=code))

        self._call(close)

    def slash(
        self,
        name: str,
        user_n: int = 1,
        *,
        channel_id: int = CHANNEL_ID,
        shard: int = 0,
        subcommand: str | None = None,
        permissions: int | str = ALL_PERMISSIONS,
        **options: str | int | dict[str, Any],
    ) -> str:
        """Dispatch a slash command (``/name subcommand``) as user ``user_n`` with the member ``permissions``;
        returns the interaction token. An option given a user payload (``user(n)``) is a user option."""
        command = self.commands.get(name, {})
        kinds = {str: 3, int: 4}
        given = [{"name": key, "type": 6, "value": value["id"]} if isinstance(value, dict) else
                 {"name": key, "type": kinds[type(value)], "value": value} for key, value in options.items()]
        data: dict[str, Any] = {
            "id": command.get("id", str(self.new_id())),
            "name": name,
            "type": 1,
            "options": [{"name": subcommand, "type": 1, "options": given}] if subcommand else given,
        }
        users = [value for value in options.values() if isinstance(value, dict)]
        if users:
            data["resolved"] = {"users": {u["id"]: u for u in users}, "members": {u["id"]: {
                "roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0, "permissions": "0"}
                for u in users}}
        return self._interaction(2, data, user_n, channel_id, shard, permissions=str(permissions))

    def message_command(self, target: dict[str, Any], user_n: int = 1, *, name: str = "Ask qabot",
                        shard: int = 0) -> str:
        """Run a message context-menu command on ``target``; its content comes with it, whatever the intents."""
        command = self.commands.get(name, {})
        data = {"id": command.get("id", str(self.new_id())), "name": name, "type": 3, "target_id": target["id"],
                "resolved": {"messages": {target["id"]: target}}}
        return self._interaction(2, data, user_n, int(target["channel_id"]), shard)

    def buttons(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for row in message.get("components") or [] for c in row["components"]]

    def click(self, message: dict[str, Any], user_n: int = 1, *, label: str | None = None, shard: int = 0) -> str:
        """Press a button (the first, or the one with ``label``) of a message the bot sent; returns the token."""
        message = self.messages.get(int(message["id"]), message)  # as it is now, after any edit
        button = next(b for b in self.buttons(message) if label is None or b.get("label") == label)
        data = {"custom_id": button["custom_id"], "component_type": 2}
        token = self._interaction(3, data, user_n, int(message["channel_id"]), shard, message=message)
        self.interactions[token]["clicked"] = message
        return token

    def planted(self, custom_id: str, *, channel_id: int = CHANNEL_ID, title: str | None = None) -> dict[str, Any]:
        """A message of the bot's in ``channel_id`` with a button of any ``custom_id`` (and an answer's embed title),
        as a hostile client can make the bot see one."""
        button = {"type": 2, "style": 2, "label": "?", "custom_id": custom_id}
        message = self._message_payload(author=BOT_USER, content="", channel_id=channel_id,
                                        components=[{"type": 1, "components": [button]}],
                                        embeds=[{"type": "rich", "title": title}] if title else [])
        self.messages[int(message["id"])] = message
        return message

    def press(self, custom_id: str, user_n: int = 1, *, channel_id: int = CHANNEL_ID, shard: int = 0) -> str:
        """Press a button with any ``custom_id``, as a hostile client can send one. Returns the interaction token."""
        return self.click(self.planted(custom_id, channel_id=channel_id), user_n, shard=shard)

    def _interaction(
        self, kind: int, data: dict[str, Any], user_n: int, channel_id: int, shard: int, *,
        permissions: str = ALL_PERMISSIONS, **extra: Any
    ) -> str:
        interaction_id = self.new_id()
        token = f"token-{interaction_id}"
        author = user(user_n)
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(APPLICATION_ID), "type": kind, "token": token,
            "version": 1, "data": data, "channel_id": str(channel_id), "channel": self._channel_of(channel_id, author),
            "app_permissions": ALL_PERMISSIONS, "locale": "en-US", "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024, **extra,
        }
        if channel_id == DM_CHANNEL_ID:
            payload |= {"user": author, "context": 1, "authorizing_integration_owners": {"0": str(USER_BASE)}}
        else:
            guild_id = guild_of(channel_id)
            payload |= {
                "guild_id": str(guild_id), "guild_locale": "en-US", "context": 0,
                "authorizing_integration_owners": {"0": str(guild_id)},
                "member": {"user": author, "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                           "flags": 0, "permissions": permissions},
            }
        self.interactions[token] = {"id": interaction_id, "type": kind, "channel_id": channel_id, "at": time.monotonic()}
        if channel_id in self.threads:
            payload["channel"] = self.threads[channel_id]
        self.dispatch("INTERACTION_CREATE", payload, shard)
        return token

    def message(
        self,
        content: str,
        user_n: int = 1,
        *,
        channel_id: int = CHANNEL_ID,
        mention_bot: bool = True,
        reply_to: dict[str, Any] | None = None,
        author: dict[str, Any] | None = None,
        shard: int = 0,
        mentions: Iterable[dict[str, Any]] = (),
        mention_roles: Iterable[int] = (),
        mention_everyone: bool = False,
        message_id: int | None = None,
        forwards: dict[str, Any] | None = None,
        fields: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE; ``mention_bot`` puts the bot in ``mentions`` (and ``<@id>`` in the text,
        unless the message is a reply, which mentions by pinging the replied-to author). ``mentions`` are other
        users mentioned (user payloads, with a ``member`` for a nickname), ``mention_roles`` role ids;
        ``forwards``: a message it forwards (``forwarding``); ``fields``: more of the payload (a system notice's
        ``type``, ``sticker_items``, a ``poll``)."""
        author = author or user(user_n)
        if mention_bot and f"<@{BOT_ID}>" not in content and reply_to is None:
            content = f"<@{BOT_ID}> {content}"
        message = self._message_payload(author=author, content=content, channel_id=channel_id, message_id=message_id,
                                        **(fields or {}))
        if channel_id != DM_CHANNEL_ID:
            message["member"] = {"roles": [], "joined_at": _now(), "deaf": False, "mute": False, "flags": 0}
        message["mentions"] = [*([BOT_USER] if mention_bot else []), *mentions]
        message["mention_roles"] = [str(role) for role in mention_roles]
        message["mention_everyone"] = mention_everyone
        if reply_to is not None:
            replying(message, reply_to)
        if forwards is not None:
            forwarding(message, forwards)
        self.messages[int(message["id"])] = message
        session = self.sessions[shard]
        sent = dict(message)
        if not (session.intents & MESSAGE_CONTENT_INTENT) and not mention_bot and channel_id != DM_CHANNEL_ID:
            sent["content"] = ""  # Discord withholds the text of other messages without the intent
            if "message_snapshots" in sent:  # and of what they forward
                sent["message_snapshots"] = [{"message": {**m["message"], "content": ""}}
                                             for m in sent["message_snapshots"]]
        self.dispatch("MESSAGE_CREATE", sent, shard)
        return message

    def forum_post(self, title: str, content: str, user_n: int = 1, *, forum_id: int = FORUM_ID,
                   shard: int = 0) -> dict[str, Any]:
        """A new post in a forum channel: THREAD_CREATE, then the post's first message (its id is the thread's)."""
        thread_id = self.new_id()
        author = user(user_n)
        self.threads[thread_id] = {
            "id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(forum_id),
            "owner_id": author["id"], "name": title, "last_message_id": str(thread_id), "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "flags": 0, "applied_tags": [],
            "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": _now(),
                                "locked": False},
        }
        self.dispatch("THREAD_CREATE", {**self.threads[thread_id], "newly_created": True}, shard)
        return self.message(content, user_n, channel_id=thread_id, mention_bot=False, message_id=thread_id,
                            shard=shard)

    def backdate(self, message: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Make a message ``seconds`` older: a new snowflake of that time (``created_at`` comes from the id)."""
        stored = self.messages.pop(int(message["id"]))
        stored["id"] = str(self.new_id(at=time.time() - seconds))
        self.messages[int(stored["id"])] = stored
        return stored

    # -- history (test side): what was said before, edits, deletions, threads, tags, reactions ---------

    def seed(self, content: str, user_n: int = 1, *, channel_id: int = CHANNEL_ID, seconds_ago: float = 3600.0,
             reply_to: dict[str, Any] | None = None, author: dict[str, Any] | None = None,
             forwards: dict[str, Any] | None = None) -> dict[str, Any]:
        """A message said ``seconds_ago`` (before the bot connected): kept for the history API, not dispatched.
        Seed in the order they were said (each a little later than the one before). ``forwards``: a message it
        forwards (``forwarding``)."""
        message = self._message_payload(author=author or user(user_n), content=content, channel_id=channel_id,
                                        message_id=self.new_id(at=time.time() - seconds_ago))
        message["timestamp"] = datetime.fromtimestamp(time.time() - seconds_ago, UTC).isoformat()
        if reply_to is not None:
            replying(message, reply_to)
        if forwards is not None:
            forwarding(message, forwards)
        self.messages[int(message["id"])] = message
        return message

    def edit(self, message: dict[str, Any], content: str, shard: int = 0) -> dict[str, Any]:
        """MESSAGE_UPDATE: its author changed its text."""
        stored = self.messages[int(message["id"])]
        stored["content"] = content
        stored["edited_timestamp"] = _now()
        self.dispatch("MESSAGE_UPDATE", {**stored, "member": {"roles": [], "joined_at": _now(), "deaf": False,
                                                              "mute": False, "flags": 0}}, shard)
        return stored

    def delete(self, message: dict[str, Any], shard: int = 0) -> None:
        """MESSAGE_DELETE."""
        self.messages.pop(int(message["id"]), None)
        self.dispatch("MESSAGE_DELETE", {"id": message["id"], "channel_id": message["channel_id"],
                                         "guild_id": str(guild_of(int(message["channel_id"])))}, shard)

    def bulk_delete(self, messages: list[dict[str, Any]], shard: int = 0) -> None:
        """MESSAGE_DELETE_BULK (a moderator's purge), all of one channel."""
        for message in messages:
            self.messages.pop(int(message["id"]), None)
        channel = messages[0]["channel_id"]
        self.dispatch("MESSAGE_DELETE_BULK", {"ids": [m["id"] for m in messages], "channel_id": channel,
                                              "guild_id": str(guild_of(int(channel)))}, shard)

    def thread(self, name: str, parent_id: int = CHANNEL_ID, *, private: bool = False, archived: bool = False,
               tags: Iterable[int] = (), announce: bool = True, shard: int = 0) -> int:
        """A thread of ``parent_id`` (a forum's: a post); ``announce``: THREAD_CREATE now, as when it is made live
        (an archived one, or one made before the bot connected, is only found by listing)."""
        thread_id = self.new_id()
        self.threads[thread_id] = {
            "id": str(thread_id), "type": 12 if private else 10 if KINDS.get(parent_id, (0,))[0] == 5 else 11,
            "guild_id": str(guild_of(parent_id)),
            "parent_id": str(parent_id), "owner_id": str(USER_BASE + 1), "name": name, "last_message_id": None,
            "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "flags": 0,
            "applied_tags": [str(tag) for tag in tags],
            "thread_metadata": {"archived": archived, "auto_archive_duration": 1440, "archive_timestamp": _now(),
                                "locked": False},
        }
        if announce and not archived:
            self.dispatch("THREAD_CREATE", {**self.threads[thread_id], "newly_created": True}, shard)
        return thread_id

    def thread_from(self, message: dict[str, Any], name: str, user_n: int = 2, *, seconds_ago: float | None = None,
                    archived: bool = False, announce: bool = True, shard: int = 0) -> int:
        """A thread started from ``message`` ("Create Thread" on it) by member ``user_n``, as Discord makes one:
        public, and its id is the message's (which stays in its channel, flagged HAS_THREAD, with the thread);
        its history opens with a placeholder of its own (type 21, THREAD_STARTER_MESSAGE, by the member who made
        the thread): no text, a reference to the message in the parent channel, and that message as
        ``referenced_message`` (as a referenced message, without ``guild_id`` or ``member``). ``seconds_ago``: made
        then (seed the thread's messages after it), else now; ``announce``: THREAD_CREATE and MESSAGE_UPDATE (of
        the message) now, as when it is made live (an archived one is only found by listing)."""
        thread_id, parent_id = int(message["id"]), int(message["channel_id"])
        at = None if seconds_ago is None else time.time() - seconds_ago
        made = _now() if at is None else datetime.fromtimestamp(at, UTC).isoformat()
        self.threads[thread_id] = {
            "id": str(thread_id), "type": 11, "guild_id": str(guild_of(parent_id)), "parent_id": str(parent_id),
            "owner_id": user(user_n)["id"], "name": name, "last_message_id": None, "rate_limit_per_user": 0,
            "message_count": 0, "member_count": 1, "flags": 0, "applied_tags": [],
            "thread_metadata": {"archived": archived, "auto_archive_duration": 1440, "archive_timestamp": made,
                                "locked": False},
        }
        starter = self.messages[thread_id]
        starter["flags"] |= 1 << 5  # HAS_THREAD
        starter["thread"] = self.threads[thread_id]
        referenced = {key: value for key, value in starter.items() if key not in ("guild_id", "member", "thread")}
        placeholder = self._message_payload(
            author=user(user_n), content="", channel_id=thread_id, message_id=self.new_id(at=at), type=21,
            position=0, referenced_message=referenced,
            message_reference={"type": 0, "message_id": str(thread_id), "channel_id": str(parent_id),
                               "guild_id": str(guild_of(parent_id))})
        placeholder["timestamp"] = made
        self.messages[int(placeholder["id"])] = placeholder
        if announce and not archived:  # Discord fires THREAD_CREATE, and MESSAGE_UPDATE for the flagged message
            self.dispatch("THREAD_CREATE", {**self._with_last(self.threads[thread_id]), "newly_created": True}, shard)
            self.dispatch("MESSAGE_UPDATE", {**starter, "member": {"roles": [], "joined_at": _now(), "deaf": False,
                                                                   "mute": False, "flags": 0}}, shard)
        return thread_id

    def retag(self, thread_id: int, tags: Iterable[int], shard: int = 0) -> None:
        """THREAD_UPDATE: a post's tags changed."""
        self.threads[thread_id]["applied_tags"] = [str(tag) for tag in tags]
        self.dispatch("THREAD_UPDATE", self._with_last(self.threads[thread_id]), shard)

    def delete_thread(self, thread_id: int, shard: int = 0) -> None:
        """THREAD_DELETE."""
        thread = self.threads.pop(thread_id)
        self.dispatch("THREAD_DELETE", {"id": thread["id"], "guild_id": thread["guild_id"],
                                        "parent_id": thread["parent_id"], "type": thread["type"]}, shard)

    def delete_channel(self, channel_id: int, shard: int = 0) -> None:
        """CHANNEL_DELETE of a channel of the double (of its kind, for one of ``KINDS``)."""
        payload = self._kind(channel_id) if channel_id in KINDS else {
            "id": str(channel_id), "type": 0, "guild_id": str(guild_of(channel_id)), "name": "gone", "position": 0,
            "permission_overwrites": [], "parent_id": None}
        self.dispatch("CHANNEL_DELETE", payload, shard)

    def vanish(self, channel_id: int) -> None:
        """A channel of ``KINDS`` or a thread deleted while the bot was away: no event tells it, a new session's
        GUILD_CREATE and the thread lists leave it out, and Discord answers any request about it with 404 10003."""
        self.gone.add(channel_id)
        self.threads.pop(channel_id, None)

    def change_channel(self, channel_id: int, shard: int = 0, **changes: Any) -> None:
        """CHANNEL_UPDATE of a channel of ``KINDS`` or a text channel of the first server (its
        ``permission_overwrites``, ``parent_id``, ``nsfw``, ...): Discord sends the whole channel as it is now, and
        describes it so from then on (GUILD_CREATE of a new session, GET /channels/{id})."""
        self.changed.setdefault(channel_id, {}).update(changes)
        if channel_id in KINDS:
            payload = self._kind(channel_id)
        else:
            [payload] = [c for c in self._guild(GUILD_ID)["channels"] if c["id"] == str(channel_id)]
        self.dispatch("CHANNEL_UPDATE", payload, shard)

    def remove_guild(self, guild_id: int, *, outage: bool = False, shard: int = 0) -> None:
        """GUILD_DELETE: the bot was removed from the server (kicked, or the server deleted): from then on a request
        about its channels gets 403 50001 (Missing Access); or, with ``outage``, the server is unavailable for a while
        (``unavailable: true``: it comes back)."""
        if not outage:
            self.left.add(guild_id)
        self.dispatch("GUILD_DELETE", {"id": str(guild_id), **({"unavailable": True} if outage else {})}, shard)

    def add_guild(self, guild_id: int, shard: int = 0) -> None:
        """GUILD_CREATE: the bot was added (back) to a server, as a member with Manage Server may do at any time."""
        self.left.discard(guild_id)
        self.dispatch("GUILD_CREATE", self._guild(guild_id), shard)

    def react(self, message: dict[str, Any], emoji: str = "✅", user_n: int = 1, shard: int = 0) -> None:
        """MESSAGE_REACTION_ADD by user ``user_n`` (kept, for the reaction's users too)."""
        self.reactions.setdefault((int(message["id"]), emoji), []).append(user(user_n))
        stored = self.messages.get(int(message["id"]))
        if stored is not None:
            stored["reactions"] = [{"emoji": {"id": None, "name": e}, "count": len(users), "me": False,
                                    "count_details": {"burst": 0, "normal": len(users)}, "burst_colors": [],
                                    "me_burst": False} for (m, e), users in self.reactions.items()
                                   if m == int(message["id"])]
        self.dispatch("MESSAGE_REACTION_ADD", {
            "user_id": str(USER_BASE + user_n), "channel_id": message["channel_id"], "message_id": message["id"],
            "guild_id": str(guild_of(int(message["channel_id"]))), "emoji": {"id": None, "name": emoji},
            "type": 0, "burst": False, "burst_colors": [],
            "member": {"user": user(user_n), "roles": [], "joined_at": _now(), "deaf": False, "mute": False,
                       "flags": 0}}, shard)

    def unreact(self, message: dict[str, Any], emoji: str | None = "✅", user_n: int | None = 1,
                shard: int = 0) -> None:
        """MESSAGE_REACTION_REMOVE: user ``user_n`` took their reaction back; ``emoji`` None: a moderator removed
        every reaction of the message (MESSAGE_REACTION_REMOVE_ALL); ``user_n`` None: every one of ``emoji``
        (MESSAGE_REACTION_REMOVE_EMOJI)."""
        for (m, e), users in list(self.reactions.items()):
            if m == int(message["id"]) and emoji in (None, e):
                users[:] = [u for u in users if None not in (emoji, user_n) and u["id"] != user(user_n)["id"]]
                if not users:
                    del self.reactions[(m, e)]
        stored = self.messages.get(int(message["id"]))
        if stored is not None:
            stored["reactions"] = [r for r in stored.get("reactions", [])
                                   if (int(message["id"]), r["emoji"]["name"]) in self.reactions]
        where = {"channel_id": message["channel_id"], "message_id": message["id"],
                 "guild_id": str(guild_of(int(message["channel_id"])))}
        if emoji is None:
            self.dispatch("MESSAGE_REACTION_REMOVE_ALL", where, shard)
        elif user_n is None:
            self.dispatch("MESSAGE_REACTION_REMOVE_EMOJI", {**where, "emoji": {"id": None, "name": emoji}}, shard)
        else:
            self.dispatch("MESSAGE_REACTION_REMOVE", {**where, "user_id": str(USER_BASE + user_n), "type": 0,
                                                      "emoji": {"id": None, "name": emoji}, "burst": False}, shard)

    def synthesize(self, channel_id: int, count: int, *, seconds: float = 5.0) -> Synthetic:
        """A long past for ``channel_id``: ``count`` messages, one every ``seconds``, made on request (not held)."""
        self.messages.synthetic[channel_id] = synthetic = Synthetic(channel_id, count, seconds=seconds)
        return synthetic

    def _with_last(self, thread: dict[str, Any]) -> dict[str, Any]:
        last = self.messages.last(int(thread["id"]))
        return {**thread, "last_message_id": str(last) if last else None}


class Synthetic:
    """A channel's long past made on request: message ``i`` of ``count``, ``seconds`` apart, ending an hour ago.

    Every fourth message starts a conversation: a member asks about one of many settings, a
    helper replies to it with the command, the asker thanks the helper, and someone says
    something unrelated. Nothing is held but these numbers, so the double can serve a
    hundred thousand messages (or more) in no more memory than ten."""

    TOPICS = ("backup", "proxy", "mirror", "cache", "firewall", "locale", "swap", "printer", "kernel", "mount")

    def __init__(self, channel_id: int, count: int, *, seconds: float = 5.0) -> None:
        self.channel_id = channel_id
        self.count = count
        self.step_ms = int(seconds * 1000)
        self.start_ms = int(time.time() * 1000) - 3_600_000 - count * self.step_ms

    def id(self, i: int) -> int:
        return (self.start_ms + i * self.step_ms - DISCORD_EPOCH_MS) << 22

    def index(self, message_id: int) -> int:
        """The place of the first message at or after ``message_id``."""
        ms = (message_id >> 22) + DISCORD_EPOCH_MS - self.start_ms
        return max(0, -(-ms // self.step_ms))

    @property
    def last(self) -> int:
        return self.id(self.count - 1)

    def get(self, message_id: int) -> dict[str, Any] | None:
        i = self.index(message_id)
        return self.message(i) if i < self.count and self.id(i) == message_id else None

    def after(self, after: int, limit: int) -> list[dict[str, Any]]:
        ms = (after >> 22) + DISCORD_EPOCH_MS - self.start_ms
        lo = max(0, ms // self.step_ms + 1)  # the first message whose id is above ``after``
        return [self.message(i) for i in range(lo, min(self.count, lo + limit))]

    def before(self, before: int | None, limit: int) -> list[dict[str, Any]]:
        hi = self.count if before is None else min(self.count, self.index(before))
        return [self.message(i) for i in range(max(0, hi - limit), hi)]

    def message(self, i: int) -> dict[str, Any]:
        turn, step = divmod(i, 4)
        topic, n = self.TOPICS[turn % len(self.TOPICS)], turn // len(self.TOPICS)
        asker, helper = 10 + turn % 200, 300 + turn % 40
        said = [
            (asker, f"How do I set up the {topic} number {n} on the lab server?", None),
            (helper, f"For {topic} {n}, run `labctl {topic} enable --slot {n}` and restart the service.", 0),
            (asker, "Thanks, that worked!", 1),
            (500 + turn % 30, f"Did anyone see the talk about {self.TOPICS[(turn + 3) % len(self.TOPICS)]}s?", None),
        ][step]
        author, content, reply = said
        message: dict[str, Any] = {
            "id": str(self.id(i)), "channel_id": str(self.channel_id), "guild_id": str(guild_of(self.channel_id)),
            "author": user(author), "content": content,
            "timestamp": datetime.fromtimestamp((self.start_ms + i * self.step_ms) / 1000, UTC).isoformat(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": [], "embeds": [], "components": [], "pinned": False, "type": 0, "flags": 0,
        }
        if reply is not None:
            message["type"] = 19
            message["message_reference"] = {"message_id": str(self.id(turn * 4 + reply)),
                                            "channel_id": str(self.channel_id)}
        return message
