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
import sys
import threading
from typing import TYPE_CHECKING, Any, Final

from pykka import ActorDeadError, ActorRef

from actorflow._exceptions import SystemShutDownError
from actorflow.actors._pykka_compat import LightActorBase, is_stop_message
from actorflow.actors.dispatch import Dispatching

if TYPE_CHECKING:
    from typing import Self

    from pykka import Future

__all__ = ["MAX_INLINE_DEPTH", "ActorPool", "LightActor", "LightActorRef"]

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
                msg = f"{self._name} is shut down (its actor system was shut down); cannot run {actor}"
                raise SystemShutDownError(msg)
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
            actor.drain()

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
    """A mailbox whose `put()` schedules its actor. Implements Pykka's `ActorInbox`.

    Its fields are for its actor only (`LightActor` and its ref).
    """

    __slots__ = ("actor", "lock", "queue", "scheduled")

    def __init__(self, actor: LightActor) -> None:
        self.actor = actor
        self.queue: collections.deque[tuple[Any, Future[Any] | None]] = collections.deque()
        self.lock = threading.Lock()
        # Invariant: scheduled is True exactly while one thread owns the drain (or the
        # actor sits in its pool's ready queue); only that thread pops from the queue.
        self.scheduled = False

    def put(self, envelope: Any, /) -> None:
        """Pykka's entry point (`ask`, `stop`, and `tell` through a plain `ActorRef`): an
        envelope with `message` and `reply_to`."""
        self.deliver(envelope.message, envelope.reply_to)

    def deliver(self, message: Any, reply_to: Future[Any] | None, *, inline: bool = True) -> None:
        """Queue `message`, or handle it right here if the actor is idle (and `inline`)."""
        with self.lock:
            if self.scheduled:
                self.queue.append((message, reply_to))
                return
            self.scheduled = True
        # This thread now owns the drain. The mailbox was empty, so `message` is next.
        if inline and getattr(_local, "depth", 0) < MAX_INLINE_DEPTH:
            self.actor.drain(message, reply_to)
        else:
            with self.lock:
                self.queue.appendleft((message, reply_to))
            try:
                self.actor.pool.schedule(self.actor)
            except BaseException:
                with self.lock:  # not scheduled after all: let the next sender drain
                    self.scheduled = False
                raise

    def get(self) -> tuple[Any, Future[Any] | None]:
        with self.lock:
            return self.queue.popleft()

    def empty(self) -> bool:
        with self.lock:
            return not self.queue

    def next_message(self) -> tuple[Any, Future[Any] | None] | None:
        """The next message and its reply future, or None after releasing the drain
        (atomically)."""
        with self.lock:
            if self.queue:
                return self.queue.popleft()
            self.scheduled = False
            return None


class LightActorRef(ActorRef[Any]):
    """Pykka's `ActorRef`, with a `tell` that skips the envelope when handled in place."""

    def tell(self, message: Any) -> None:
        actor_stopped: _StopFlag = self.actor_stopped  # type: ignore[assignment]
        if actor_stopped.flag:
            msg = f"{self} not found"
            raise ActorDeadError(msg)
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        inbox.deliver(message, None)

    def offer(self, message: Any) -> bool:
        """`tell`, returning False (and delivering nothing) if the actor has stopped or its
        system is shut down, instead of raising. Safe from any thread."""
        actor_stopped: _StopFlag = self.actor_stopped  # type: ignore[assignment]
        if actor_stopped.flag:
            return False
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        try:
            inbox.deliver(message, None)
        except SystemShutDownError:
            return False
        return True

    def post(self, message: Any) -> None:
        """`tell`, but never handled on the calling thread: the actor pool handles it. For
        threads that must not run actor handlers, or the user code they may lead to (the
        clock's thread)."""
        actor_stopped: _StopFlag = self.actor_stopped  # type: ignore[assignment]
        if actor_stopped.flag:
            msg = f"{self} not found"
            raise ActorDeadError(msg)
        inbox: _LightInbox = self.actor_inbox  # type: ignore[assignment]
        inbox.deliver(message, None, inline=False)


class _StopFlag:
    """The part of `threading.Event` Pykka uses for `actor_stopped`, cheaper to create:
    the Event behind `wait()` is made only if someone waits."""

    __slots__ = ("event", "flag")

    def __init__(self) -> None:
        self.flag = False
        self.event: threading.Event | None = None

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        self.flag = True  # written before event is read: see wait()
        event = self.event
        if event is not None:
            event.set()

    def wait(self, timeout: float | None = None) -> bool:
        with _flag_lock:
            if self.event is None:
                self.event = threading.Event()
            event = self.event
        if self.flag:  # read after event is written: a concurrent set() sees one or the other
            event.set()
        return event.wait(timeout)


_flag_lock = threading.Lock()


class LightActor(Dispatching, LightActorBase):
    """A Pykka actor without a thread of its own; see the module docs.

    `pool` is the `ActorPool` that takes over when a sender cannot drain the mailbox
    inline; subclasses pass it on from their own `__init__`. `on_start` runs as the actor's
    first handler, on whichever thread starts it; `__init__` runs in the creating thread.
    Light actors are not added to Pykka's global `ActorRegistry`.

    Thread rules: `drain()` is called only by the thread that owns the drain (see
    `_LightInbox`); `spawn`, `start` and the ref's methods are safe from any thread.
    """

    def __init__(self, *, pool: ActorPool) -> None:
        self.pool = pool
        self._inbox = _LightInbox(self)
        self._stopped = _StopFlag()
        self._started = False
        # The error of a drain abandoned mid-way, for the pool to report on a fresh stack;
        # _finished: stop_now() has run (the actor ended in order, nothing to report).
        self._pending_failure: Any = None
        self._finished = False
        self.actor_urn = f"urn:actorflow:light:{next(_urns)}"
        # Pykka's inbox protocol wants `get()` to return an envelope; a light actor runs no
        # Pykka loop, so nothing calls it (its drain uses `next_message()`).
        self.actor_inbox = self._inbox  # type: ignore[assignment]
        self.actor_stopped = self._stopped  # type: ignore[assignment]
        self.ref = LightActorRef(self)  # made last: it reads the fields above

    @property
    def actor_ref(self) -> LightActorRef:
        """The actor's ref (a `LightActorRef`)."""
        return self.ref

    @classmethod
    def spawn(cls, *args: Any, **kwargs: Any) -> Self:
        """Create and start the actor; the actor itself, for its creator's own use."""
        actor = cls(*args, **kwargs)
        actor.begin()
        return actor

    def begin(self) -> None:
        """Run `on_start` (then anything already queued) here, or on the pool when deep."""
        inbox = self._inbox
        with inbox.lock:
            assert not inbox.scheduled, "a light actor starts once"
            inbox.scheduled = True
        if getattr(_local, "depth", 0) < MAX_INLINE_DEPTH:
            self.drain()
        else:
            try:
                self.pool.schedule(self)
            except BaseException:
                with inbox.lock:
                    inbox.scheduled = False
                raise

    def drain(self, message: Any = _NOTHING, reply_to: Future[Any] | None = None) -> None:
        """Handle `message`, if given, then the mailbox until it is empty.

        Called only by the thread that owns the drain (see `_LightInbox`).
        """
        inbox = self._inbox
        stopped = self._stopped
        depth: int = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        try:
            if self._pending_failure is not None:
                exc_info, self._pending_failure = self._pending_failure, None
                self._fail(exc_info)
            if not self._started:
                self._started = True
                try:
                    self.on_start()
                except Exception:
                    # Unlike Pykka, a failing on_start also reaches on_failure, so the actor
                    # can report its death instead of dying silently.
                    self._fail(sys.exc_info())
            if message is not _NOTHING:
                if stopped.flag:
                    self._reject(message, reply_to)
                else:
                    self._handle(message, reply_to)
            while (item := inbox.next_message()) is not None:
                if stopped.flag:
                    self._reject(*item)
                else:
                    self._handle(*item)
        except BaseException:
            # Abandoned mid-way (a handler's BaseException, or a RecursionError in the
            # runtime's own code on a deep stack): the pool takes the mailbox over and first
            # reports the failure (`on_failure`, on a fresh stack), so that no message, a
            # cancel included, waits forever; then the error goes on.
            if not self._finished:  # its death may not be reported yet: report it again
                self._pending_failure = sys.exc_info()
            self._hand_over()
            raise
        finally:
            _local.depth = depth

    def _hand_over(self) -> None:
        """After an abandoned drain: the pool drains what is left (and reports a pending
        failure), or, with nothing to do, the next sender does."""
        inbox = self._inbox
        with inbox.lock:
            if not inbox.queue and self._pending_failure is None:
                inbox.scheduled = False
                return
        try:
            self.pool.schedule(self)
        except BaseException:
            with inbox.lock:
                inbox.scheduled = False

    def _handle(self, message: Any, reply_to: Future[Any] | None) -> None:
        try:
            handler = self._handlers.get(type(message))
            response = (
                handler(self, message) if handler is not None else self.handle_message(message)
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
        self.log_failure(exc_info)
        try:
            self.on_failure(*exc_info)
        except Exception:
            self.log_failure(sys.exc_info())

    @staticmethod
    def _reject(message: Any, reply_to: Future[Any] | None) -> None:
        if reply_to is None:
            return
        if is_stop_message(message):
            reply_to.set(None)
            return
        error = ActorDeadError("the actor stopped before handling the message")
        reply_to.set_exception(exc_info=(ActorDeadError, error, None))

    def stop_now(self) -> None:
        """Stop here, from one of the actor's own handlers: `on_stop` first, so whoever sees
        the actor stopped also sees what `on_stop` left; messages that arrive after are
        refused."""
        self._finished = True
        try:
            self.on_stop()
        except Exception:
            self.log_failure(sys.exc_info())
        finally:
            self._stopped.set()
