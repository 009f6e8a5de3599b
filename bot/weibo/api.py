"""Paths and limits of Weibo's APIs (shared by the client and the local stand-in)."""

DM_REPLY = "/2/messages/reply.json"
COMMENTS_TO_ME = "/2/comments/to_me/biz.json"
COMMENTS_MENTIONS = "/2/comments/mentions/biz.json"
COMMENT_REPLY = "/2/comments/reply/biz.json"
DM_MAX_CHARS = 299  # "under 300 characters"
COMMENT_MAX_CHARS = 140
