"""The pure core: states and their transitions live beside it (`actorflow.states`,
`actorflow.transitions`); here are the run state machines, their events and instructions,
the retry and timeout rules, names, and the clock protocol.

Nothing in this package starts a thread, takes a lock, reads a clock or imports Pykka:
it can be driven event by event, in a test, with no runtime at all.
"""
