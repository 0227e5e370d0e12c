"""Light actors keep Pykka's semantics without a thread each."""

from __future__ import annotations

import threading

import pykka
import pytest

from actorflow.actors.dispatch import handles
from actorflow.actors.light import MAX_INLINE_DEPTH, ActorPool, LightActor


class Recorder(LightActor):
    def __init__(self, *, pool, log):
        super().__init__(pool=pool)
        self.log = log
        self.busy = False

    def on_start(self):
        self.log.append(("start", threading.current_thread().name))

    def on_receive(self, message):
        assert not self.busy, "handlers ran concurrently"
        self.busy = True
        try:
            if message == "boom":
                raise ValueError("boom")
            self.log.append(message)
            return message * 2 if isinstance(message, int) else None
        finally:
            self.busy = False

    def on_stop(self):
        self.log.append("stopped")


@pytest.fixture
def pool():
    pool = ActorPool(max_threads=2, name="test-pool")
    yield pool
    pool.shutdown(timeout=5)
    assert not pool.threads


def test_tell_and_ask_keep_order_and_reply(pool):
    log = []
    ref = Recorder.start(pool=pool, log=log)
    for i in range(5):
        ref.tell(i)
    assert ref.ask(21) == 42
    assert log[0][0] == "start"
    assert log[1:] == [0, 1, 2, 3, 4, 21]


def test_ask_propagates_handler_exceptions_and_actor_lives_on(pool):
    ref = Recorder.start(pool=pool, log=[])
    with pytest.raises(ValueError, match="boom"):
        ref.ask("boom")
    assert ref.ask(1) == 2


def test_stop_runs_on_stop_and_later_messages_are_refused(pool):
    log = []
    ref = Recorder.start(pool=pool, log=log)
    assert ref.stop(block=True, timeout=5) is True
    assert log[-1] == "stopped"
    assert not ref.is_alive()
    with pytest.raises(pykka.ActorDeadError):
        ref.tell(1)


def test_a_failing_tell_handler_stops_the_actor(pool, caplog):
    ref = Recorder.start(pool=pool, log=[])
    ref.tell("boom")
    assert not ref.is_alive()
    assert "Unhandled exception" in caplog.text


def test_handlers_never_run_concurrently_under_many_senders(pool):
    log = []
    ref = Recorder.start(pool=pool, log=log)
    n, senders = 500, 4

    def send(base):
        for i in range(n):
            ref.tell(base + i)

    threads = [threading.Thread(target=send, args=(k * n,)) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    ref.ask(-1, timeout=10)
    numbers = [m for m in log[1:] if m != -1]
    assert sorted(numbers) == list(range(n * senders))
    for k in range(senders):  # each sender's messages arrive in its order
        mine = [m for m in numbers if k * n <= m < (k + 1) * n]
        assert mine == sorted(mine)


class Chain(LightActor):
    """Forwards a counter down a chain of actors, to drive nesting past the inline depth."""

    def __init__(self, *, pool, next_ref, done, depths):
        super().__init__(pool=pool)
        self.next_ref = next_ref
        self.done = done
        self.depths = depths

    @handles(int)
    def _on_int(self, message):
        from actorflow.actors import light

        self.depths.append((light._local.depth, threading.current_thread().name))
        if self.next_ref is None:
            self.done.set()
        else:
            self.next_ref.tell(message + 1)


def test_deep_chains_spill_over_to_the_pool(pool):
    done = threading.Event()
    depths: list = []
    ref = None
    for _ in range(3 * MAX_INLINE_DEPTH):
        ref = Chain.start(pool=pool, next_ref=ref, done=done, depths=depths)
    ref.tell(0)
    assert done.wait(5)
    assert max(depth for depth, _ in depths) <= MAX_INLINE_DEPTH
    assert any(name.startswith("test-pool") for _, name in depths)


def test_pool_rejects_work_after_shutdown(pool):
    """With actorflow's own error (no Pykka exception reaches users)."""
    from actorflow import SystemShutDownError

    pool.shutdown(timeout=5)
    with pytest.raises(SystemShutDownError, match="shut down"):
        pool.schedule(Recorder(pool=pool, log=[]))


def test_post_never_runs_the_handler_on_the_posting_thread(pool):
    threads = []
    handled = threading.Event()

    class WhereAmI(LightActor):
        def on_receive(self, message):
            threads.append(threading.current_thread().name)
            handled.set()

    ref = WhereAmI.start(pool=pool)
    ref.post("where")  # type: ignore[attr-defined]
    assert handled.wait(5)
    assert threads == [threads[0]] and threads[0].startswith("test-pool")
    ref.tell("here")  # a plain tell to an idle actor runs here, on this thread
    assert threads[1] == threading.current_thread().name


def test_pool_size_is_validated():
    with pytest.raises(ValueError, match="max_threads"):
        ActorPool(max_threads=0)


def test_light_actors_are_not_in_pykkas_global_registry(pool):
    ref = Recorder.start(pool=pool, log=[])
    assert ref not in pykka.ActorRegistry.get_all()


class FailsOnStart(LightActor):
    def __init__(self, *, pool, seen):
        super().__init__(pool=pool)
        self.seen = seen

    def on_start(self):
        raise RuntimeError("cannot start")

    def on_failure(self, exception_type, exception_value, traceback):
        self.seen.append(exception_value)


def test_a_failing_on_start_reaches_on_failure(pool, caplog):
    seen: list = []
    ref = FailsOnStart.start(pool=pool, seen=seen)
    assert not ref.is_alive()
    assert [str(e) for e in seen] == ["cannot start"]
    assert "Unhandled exception" in caplog.text


def test_an_actor_keeps_draining_after_a_base_exception_in_a_handler(pool):
    """Regression: a BaseException escaping a drain left the actor's "scheduled" flag set,
    and every later message (a cancel included) queued forever."""
    failures = []

    class Fragile(LightActor):
        def on_receive(self, message):
            if message == "interrupt":
                raise KeyboardInterrupt

        def on_failure(self, *exc_info):
            failures.append(exc_info[0])

    ref = Fragile.start(pool=pool)
    with pytest.raises(KeyboardInterrupt):
        ref.tell("interrupt")  # handled on this thread: the interrupt comes back here
    assert ref.actor_stopped.wait(5)  # its death was reported (on the pool)
    assert failures == [KeyboardInterrupt]
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("later")  # refused at once, never left waiting
