"""Lightweight actors: Pykka actors that own no thread.

A fan-out keeps thousands of task runs alive at once, so a task-run actor cannot cost an
OS thread. A `LightActor` is a Pykka [`Actor`][pykka.Actor] (same `ActorRef`, `tell`,
`ask`, `stop`, `on_start`/`on_stop`/`on_failure`/`on_receive` semantics) whose mailbox
is drained by whichever thread is free to do it:

- **caller runs** — when a message arrives for an idle actor, the sending thread drains the
  mailbox itself, unless it is already `MAX_INLINE_DEPTH` handlers deep. A hand-off to
  another thread costs ~100 µs here; a handler of a few µs is cheaper to run in place.
- **shared pool** — otherwise the actor is queued on its `ActorPool`: a small, bounded set of
  threads shared by every light actor of a system.

Thread rules: at most one thread drains a given actor at a time (the `_scheduled` flag,
guarded by the inbox lock), so an actor's handlers never run concurrently and see its
messages in the order they were put. A message put while the actor is being drained is
handled by the draining thread before it lets go. Handlers must never block: they run on
threads that belong to someone else.
"""

from __future__ import annotations

import collections
import itertools
import logging
import sys
import threading
from typing import TYPE_CHECKING, Any, Final

import pykka
from pykka import ActorDeadError, ActorRef
from pykka._envelope import Envelope
from pykka.messages import _ActorStop

from actorflow.actors.dispatch import Dispatching

if TYPE_CHECKING:
    from typing import Self

    from pykka import Future

__all__ = ["MAX_INLINE_DEPTH", "ActorPool", "LightActor"]

logger = logging.getLogger("actorflow.actors")

MAX_INLINE_DEPTH: Final = 4
"""How many light-actor handlers may nest on one thread before messages go to the pool."""

_local = threading.local()
_urns = itertools.count()
_NOTHING: Final = object()


class ActorPool:
    """A bounded set of threads that drain light actors' mailboxes.

    Threads start on first use, up to `max_threads`, and stop on `shutdown()`. Safe to use
    from any thread.
    """

    def __init__(self, *, max_threads: int = 2, name: str = "actorflow-actor-pool") -> None:
        if max_threads < 1:
            msg = f"ActorPool(max_threads=...) must be at least 1, got {max_threads!r}"
            raise ValueError(msg)
        self._max_threads = max_threads
        self._name = name
        self._ready: collections.deque[LightActor | None] = collections.deque()
        self._cond = threading.Condition(threading.Lock())
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def schedule(self, actor: LightActor) -> None:
        with self._cond:
            if self._closed:
                msg = f"{self._name} is shut down; cannot run {actor}"
                raise ActorDeadError(msg)
            self._ready.append(actor)
            if self._idle == 0 and len(self._threads) < self._max_threads:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            else:
                self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._ready:
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                actor = self._ready.popleft()
            if actor is None:
                return
            actor._drain()

    def shutdown(self, *, timeout: float | None = None) -> None:
        """Stop the threads once the actors already queued are drained. Idempotent."""
        with self._cond:
            if not self._closed:
                self._closed = True
                self._ready.extend([None] * len(self._threads))
                self._cond.notify_all()
            threads = list(self._threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def threads(self) -> list[threading.Thread]:
        """The pool's live threads (a snapshot)."""
        with self._cond:
            return [t for t in self._threads if t.is_alive()]


class _LightInbox:
    """A mailbox whose `put()` schedules its actor. Implements Pykka's `ActorInbox`."""

    __slots__ = ("_actor", "_lock", "_queue", "_scheduled")

    def __init__(self, actor: LightActor) -> None:
        self._actor = actor
        self._queue: collections.deque[Envelope[Any]] = collections.deque()
        self._lock = threading.Lock()
        # Invariant: _scheduled is True exactly while one thread owns the drain (or the
        # actor sits in its pool's ready queue); only that thread pops from _queue.
        self._scheduled = False

    def put(self, envelope: Envelope[Any], /) -> None:
        """Pykka's entry point (`ask`, `stop`, and `tell` through a plain `ActorRef`)."""
        self.deliver(envelope.message, envelope.reply_to, envelope)

    def deliver(
        self, message: Any, reply_to: Future[Any] | None, envelope: Envelope[Any] | None = None
    ) -> None:
        """Queue `message`, or handle it right here if the actor is idle."""
        with self._lock:
            if self._scheduled:
                self._queue.append(envelope or Envelope(message, reply_to))
                return
            self._scheduled = True
        # This thread now owns the drain. The mailbox was empty, so `message` is next.
        if getattr(_local, "depth", 0) < MAX_INLINE_DEPTH:
            self._actor._drain(message, reply_to)
        else:
            with self._lock:
                self._queue.appendleft(envelope or Envelope(message, reply_to))
            try:
                self._actor._pool.schedule(self._actor)
            except BaseException:
                with self._lock:  # not scheduled after all: let the next sender drain
                    self._scheduled = False
                raise

    def get(self) -> Envelope[Any]:
        with self._lock:
            return self._queue.popleft()

    def empty(self) -> bool:
        with self._lock:
            return not self._queue

    def _next(self) -> Envelope[Any] | None:
        """The next envelope, or None after releasing the drain (atomically)."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            self._scheduled = False
            return None


class LightActorRef(ActorRef[Any]):
    """Pykka's `ActorRef`, with a `tell` that skips the envelope when handled in place."""

    def tell(self, message: Any) -> None:
        actor_stopped: _StopFlag = self.actor_stopped  # type: ignore[assignment]
        if actor_stopped._set:
            msg = f"{self} not found"
            raise ActorDeadError(msg)
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        inbox.deliver(message, None)


class _StopFlag:
    """The part of `threading.Event` Pykka uses for `actor_stopped`, cheaper to create:
    the Event behind `wait()` is made only if someone waits."""

    __slots__ = ("_event", "_set")

    def __init__(self) -> None:
        self._set = False
        self._event: threading.Event | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True  # written before _event is read: see wait()
        event = self._event
        if event is not None:
            event.set()

    def wait(self, timeout: float | None = None) -> bool:
        with _flag_lock:
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        if self._set:  # read after _event is written: a concurrent set() sees one or the other
            event.set()
        return event.wait(timeout)


_flag_lock = threading.Lock()


class LightActor(Dispatching):
    """A Pykka actor without a thread of its own; see the module docs.

    `pool` is the `ActorPool` that takes over when a sender cannot drain the mailbox
    inline; subclasses pass it on from their own `__init__`. `on_start` runs as the actor's
    first handler, on whichever thread starts it; `__init__` runs in the creating thread.
    Light actors are not added to Pykka's global `ActorRegistry`.
    """

    def __init__(self, *, pool: ActorPool) -> None:
        self._pool = pool
        self.actor_urn = f"urn:actorflow:light:{next(_urns)}"
        self.actor_inbox = _LightInbox(self)
        self.actor_stopped = _StopFlag()  # type: ignore[assignment]
        self._actor_ref = LightActorRef(self)
        self._started = False

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> ActorRef[Self]:
        obj = cls(*args, **kwargs)
        obj._start_actor_loop()
        return obj.actor_ref

    @staticmethod
    def _create_actor_inbox() -> pykka._actor.ActorInbox:  # pragma: no cover - not used
        msg = "LightActor builds its inbox in __init__"
        raise NotImplementedError(msg)

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return pykka.ThreadingFuture()

    def _start_actor_loop(self) -> None:
        """Run `on_start` (then anything already queued) here, or on the pool when deep."""
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        with inbox._lock:
            assert not inbox._scheduled, "a light actor starts once"
            inbox._scheduled = True
        if getattr(_local, "depth", 0) < MAX_INLINE_DEPTH:
            self._drain()
        else:
            try:
                self._pool.schedule(self)
            except BaseException:
                with inbox._lock:
                    inbox._scheduled = False
                raise

    def _drain(self, message: Any = _NOTHING, reply_to: Future[Any] | None = None) -> None:
        """Handle `message`, if given, then the mailbox until it is empty.

        Called only by the thread that owns the drain (see `_LightInbox`).
        """
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        stopped: _StopFlag = self.actor_stopped  # type: ignore[assignment]
        depth: int = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            if not self._started:
                self._started = True
                try:
                    self.on_start()
                except Exception:
                    # Unlike Pykka, a failing on_start also reaches on_failure, so the actor
                    # can report its death instead of dying silently.
                    self._fail(sys.exc_info())
            if message is not _NOTHING:
                if stopped._set:
                    self._reject(message, reply_to)
                else:
                    self._handle(message, reply_to)
            while (envelope := inbox._next()) is not None:
                if stopped._set:
                    self._reject(envelope.message, envelope.reply_to)
                else:
                    self._handle(envelope.message, envelope.reply_to)
        finally:
            _local.depth = depth

    def _handle(self, message: Any, reply_to: Future[Any] | None) -> None:
        try:
            handler = self._handlers.get(type(message))
            response = (
                handler(self, message) if handler is not None else self._handle_receive(message)
            )
            if reply_to is not None:
                reply_to.set(response)
        except Exception:
            if reply_to is not None:
                reply_to.set_exception()
            else:
                self._fail(sys.exc_info())

    def _fail(self, exc_info: Any) -> None:
        """Log, stop, and let `on_failure` report the death."""
        self._handle_failure(*exc_info)
        try:
            self.on_failure(*exc_info)
        except Exception:
            self._handle_failure(*sys.exc_info())

    def _reject(self, message: Any, reply_to: Future[Any] | None) -> None:
        if reply_to is None:
            return
        if isinstance(message, _ActorStop):
            reply_to.set(None)
            return
        error = ActorDeadError(f"{self.actor_ref} stopped before handling the message")
        reply_to.set_exception(exc_info=(ActorDeadError, error, None))

    def _stop(self) -> None:
        # `on_stop` first: whoever sees the actor stopped also sees what `on_stop` left
        # (the ledger's last snapshot). Messages that arrive meanwhile are refused after.
        try:
            self.on_stop()
        except Exception:
            self._handle_failure(*sys.exc_info())
        finally:
            self.actor_stopped.set()

    def _handle_failure(self, exception_type: Any, exception_value: Any, traceback: Any) -> None:
        logger.error(
            "Unhandled exception in %s:",
            self,
            exc_info=(exception_type, exception_value, traceback),
        )
        self.actor_stopped.set()
