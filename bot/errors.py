"""The one base exception of the project.

Every error a user can cause (bad FAQ file, bad input line, bad ticket operation) is a BotError
whose message says what went wrong and how to fix it, so the CLI can print it and exit non-zero
without a traceback.
"""


class BotError(Exception):
    """Base of every error the product raises on purpose."""


class ConfigError(BotError):
    """A setting or a file the product needs is missing or wrong."""


class FaqError(BotError):
    """An FAQ file failed its check; `problems` lists every problem found."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class QueueError(BotError):
    """A ticket operation is not allowed (already claimed, wrong department, bad status...)."""


class NotPermitted(QueueError):
    """The operator may not see or act on this department's work (the console answers 403)."""


class InputError(BotError):
    """An input record is malformed."""


class LeaseLost(BotError):
    """A worker tried to finish work (an inbox row, a poll of the comment feeds) whose lease
    another worker now holds (its own expired): its work is discarded, the current holder's counts."""


class ReplyWindowClosed(QueueError):
    """Weibo no longer accepts a private reply to this fan (their last message is too old)."""
