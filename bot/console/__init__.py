"""The operators' web console: sign in, work the handoff queue, answer fans, curate FAQ suggestions.

Server-rendered Sanic pages over `bot.handoff`, `bot.store.operators` and `bot.faq.suggest`; the
rules (who may see or act on what, reply limits) stay in those modules. Run it with
`bot.console.app.run(settings, port)`.
"""
