"""Pykka beyond its public API: every such use in actorflow is in this module.

Checked against Pykka 4.5.0 (`pykka>=4.1,<5` in pyproject.toml). Why each is needed:

1. **No global registration.** `Actor.start()` registers every actor in Pykka's
   process-wide `ActorRegistry`, where a user's `ActorRegistry.stop_all()` would stop
   actorflow's runs behind its back, and Pykka's loop stops *every* registered actor when a
   handler raises a `BaseException`. actorflow keeps one registry per `ActorSystem`; its
   actors start through the documented hook `_start_actor_loop` without registering.
2. **Every death reported.** Pykka does not call `on_failure` when `on_start` raises, and
   ends its loop on a `BaseException` by stopping all actors. `ThreadActorBase` overrides the
   loop's setup and running steps so that any error reaches `on_failure` and stops only the
   actor that raised.
3. **Light actors.** A light actor has no thread of its own: its mailbox is drained by the
   threads that message it (Pykka has no such runtime). `LightActorBase` does not call
   `Actor.__init__` (a uuid4 URN and a `threading.Event` per actor cost more than the rest
   of a task run's bookkeeping); it overrides `_handle_failure` (log, mark stopped) and `_stop`
   (run `on_stop` *before* marking the actor stopped, so whoever sees it stopped sees what
   `on_stop` left).
4. **Pykka's own messages.** Actors answer `ActorRef.stop()` and proxy calls through
   `Actor._handle_receive`; a light actor recognises the stop message (`messages._ActorStop`)
   to answer it even after it stopped.

The rest of `actorflow.actors` uses only Pykka's public API and the names defined here.
"""

from __future__ import annotations

import itertools
import logging
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pykka
from pykka import messages as pykka_messages

if TYPE_CHECKING:
    from typing import Self

__all__ = ["UNHANDLED", "LightActorBase", "ThreadActorBase", "is_stop_message", "thread_of"]

logger = logging.getLogger("actorflow.actors")

UNHANDLED: Final = object()
"""What `dispatch()` returns for a message it has no handler for (Pykka handles it)."""

_thread_numbers = itertools.count()
# Each ThreadActorBase's thread, by actor URN, for `thread_of`.
_threads: weakref.WeakValueDictionary[str, threading.Thread] = weakref.WeakValueDictionary()
_threads_lock = threading.Lock()


def thread_of(ref: pykka.ActorRef[Any]) -> threading.Thread | None:
    """The thread of the `ThreadActorBase` behind `ref`, while it is referenced."""
    with _threads_lock:
        return _threads.get(ref.actor_urn)


def is_stop_message(message: object) -> bool:
    """Whether `message` is the one `ActorRef.stop()` sends."""
    return isinstance(message, pykka_messages._ActorStop)


class ThreadActorBase(pykka.ThreadingActor):
    """A Pykka threading actor that is not registered globally, reports every death through
    `on_failure`, runs on a named thread, and routes messages through `dispatch()`.

    `__init__` runs in the creating thread; `on_start`, the handlers and `on_stop` in the
    actor's thread, named `actorflow-<thread_name>-<n>` (see `thread`).
    """

    thread_name: ClassVar[str] = "actor"
    use_daemon_thread = True  # an orderly shutdown joins them; a stray one never blocks exit
    thread: threading.Thread | None = None
    """The actor's thread, once started: its parent joins it after stopping it."""

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> pykka.ActorRef[Self]:
        """Start the actor (not registered in Pykka's `ActorRegistry`)."""
        obj = cls(*args, **kwargs)
        obj.begin()
        return obj.actor_ref

    def begin(self) -> None:
        """Start the actor's thread. Messages told before it runs wait in its mailbox: a
        creator may hand out the ref first, then begin."""
        self._start_actor_loop()

    def dispatch(self, message: Any) -> Any:
        """Handle `message`, or return `UNHANDLED` to let Pykka handle it."""
        del message
        return UNHANDLED

    def _handle_receive(self, message: Any) -> Any:
        response = self.dispatch(message)
        if response is UNHANDLED:
            return super()._handle_receive(message)
        return response

    def _start_actor_loop(self) -> None:
        self.thread = threading.Thread(
            target=self._actor_loop,
            name=f"actorflow-{self.thread_name}-{next(_thread_numbers)}",
            daemon=self.use_daemon_thread,
        )
        with _threads_lock:
            _threads[self.actor_urn] = self.thread
        self.thread.start()

    def _actor_loop_setup(self) -> None:
        try:
            self.on_start()
        except BaseException:  # even KeyboardInterrupt: the actor reports its death
            self._report_death(sys.exc_info())

    def _actor_loop_running(self) -> None:
        while not self.actor_stopped.is_set():
            envelope = self.actor_inbox.get()
            try:
                response = self._handle_receive(envelope.message)
            except BaseException:
                if envelope.reply_to is not None and isinstance(sys.exc_info()[1], Exception):
                    envelope.reply_to.set_exception()
                else:
                    self._report_death(sys.exc_info())
            else:
                if envelope.reply_to is not None:
                    envelope.reply_to.set(response)

    def _report_death(self, exc_info: Any) -> None:
        self._handle_failure(*exc_info)
        try:
            self.on_failure(*exc_info)
        except BaseException:
            self._handle_failure(*sys.exc_info())

    def _stop(self) -> None:
        self.actor_stopped.set()
        try:
            self.on_stop()
        except BaseException:
            self._handle_failure(*sys.exc_info())


class LightActorBase(pykka.Actor):
    """The Pykka side of `actorflow.actors.light.LightActor` (see the module docs, item 3).

    Subclasses set `actor_urn`, `actor_inbox` and `actor_stopped` in `__init__`, override
    the `actor_ref` property, and implement `begin()` (start: run `on_start` and drain) and
    `stop_now()` (run `on_stop`, mark stopped).
    """

    def __init__(self) -> None:  # Pykka's __init__ is not called: see the module docs
        pass

    @classmethod
    def start(cls, *args: Any, **kwargs: Any) -> pykka.ActorRef[Self]:
        """Start the actor (not registered in Pykka's `ActorRegistry`)."""
        obj = cls(*args, **kwargs)
        obj.begin()
        return obj.actor_ref

    def begin(self) -> None:
        raise NotImplementedError

    def stop_now(self) -> None:
        raise NotImplementedError

    def dispatch(self, message: Any) -> Any:
        """Handle `message`, or return `UNHANDLED` to let Pykka handle it."""
        del message
        return UNHANDLED

    def handle_message(self, message: Any) -> Any:
        """`dispatch`, then Pykka's own handling (stop, proxy calls, `on_receive`)."""
        response = self.dispatch(message)
        if response is UNHANDLED:
            return self._handle_receive(message)
        return response

    def log_failure(self, exc_info: Any) -> None:
        """Log an unhandled exception of this actor and mark it stopped."""
        self._handle_failure(*exc_info)

    @staticmethod
    def _create_actor_inbox() -> Any:  # pragma: no cover - the inbox comes to init_actor
        msg = "a light actor's inbox is made by its __init__ (see init_actor)"
        raise NotImplementedError(msg)

    @staticmethod
    def _create_future() -> pykka.Future[Any]:
        return pykka.ThreadingFuture()

    def _start_actor_loop(self) -> None:
        self.begin()

    def _stop(self) -> None:
        self.stop_now()

    def _handle_failure(self, exception_type: Any, exception_value: Any, traceback: Any) -> None:
        logger.error(
            "Unhandled exception in %s:",
            self,
            exc_info=(exception_type, exception_value, traceback),
        )
        self.actor_stopped.set()
