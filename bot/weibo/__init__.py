"""Weibo channel: the reply and polling APIs the bot speaks, and a local stand-in for tests."""
