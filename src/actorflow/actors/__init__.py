"""The actors under every run: flow runs, task runs, runners, and the system that hosts them.

Internal: users reach them through `@flow`/`@task`. `docs/design.md` maps who owns what.
"""
