"""Paths and limits of Weibo's APIs (shared by the client and the local stand-in)."""

DM_REPLY = "/2/messages/reply.json"
COMMENTS_TO_ME = "/2/comments/to_me/biz.json"
COMMENTS_MENTIONS = "/2/comments/mentions/biz.json"
COMMENT_REPLY = "/2/comments/reply/biz.json"
DM_TEXT_LIMIT = 300  # a DM's text must be *under* this many characters
DM_MAX_CHARS = DM_TEXT_LIMIT - 1
COMMENT_MAX_CHARS = 140  # a comment reply may have at most this many characters
# A signed push older (or newer) than this is a replay: Weibo retries within seconds.
PUSH_MAX_AGE_SECONDS = 300
# The Rasa input channel of Weibo: only its messages carry metadata the bot may trust.
INPUT_CHANNEL = "weibo"
# Comment feeds: page size, and how many pages one poll reads at most (a backlog waits for the next).
FEED_PAGE_SIZE = 50
MAX_PAGES_PER_POLL = 20
# Weibo's time format ("Mon Jul 16 18:09:20 +0800 2012").
WEIBO_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"
# Weibo's error code for a comment identical to the account's previous one (rejected, reference §2).
E_REPEATED_CODE = 20019
# A private reply is allowed within this many hours of the fan's last message (reference §1).
DM_REPLY_WINDOW_HOURS = 48
