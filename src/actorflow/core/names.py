"""Names for runs: two-word flow run slugs and stable task keys."""

from __future__ import annotations

import os
import random
import zlib
from typing import Final

# fmt: off
_ADJECTIVES: Final = (
    "amber", "azure", "bold", "brisk", "calm", "cobalt", "copper", "coral", "crimson",
    "dapper", "dusky", "eager", "ember", "fancy", "fleet", "gentle", "gilded", "glossy",
    "golden", "hazel", "humble", "indigo", "ivory", "jade", "jolly", "keen", "lively",
    "lucid", "mellow", "misty", "nimble", "noble", "olive", "onyx", "pearl", "plucky",
    "quiet", "rapid", "russet", "rustic", "sable", "scarlet", "silver", "sleek", "snowy",
    "steady", "sunny", "swift", "tawny", "teal", "tidy", "umber", "velvet", "vivid",
    "wary", "witty", "zesty",
)
_NOUNS: Final = (
    "albatross", "antelope", "badger", "beaver", "bison", "bobcat", "caribou", "condor",
    "coyote", "crane", "dingo", "dolphin", "eagle", "egret", "falcon", "ferret", "finch",
    "gazelle", "gecko", "heron", "ibex", "jackal", "jaguar", "kestrel", "koala", "lemur",
    "lynx", "magpie", "marmot", "marten", "mink", "moose", "narwhal", "ocelot", "osprey",
    "otter", "owl", "panda", "pelican", "puffin", "quail", "raven", "salmon", "seal",
    "sparrow", "stork", "swan", "tapir", "tern", "tiger", "toucan", "walrus", "weasel",
    "wombat", "wren", "yak", "zebra",
)
# fmt: on

_random = random.Random()  # noqa: S311  (names, not secrets)


def flow_run_slug() -> str:
    """A random two-word name such as `olivine-swan`."""
    return f"{_random.choice(_ADJECTIVES)}-{_random.choice(_NOUNS)}"


def task_key(module: str, qualname: str) -> str:
    """Eight hex digits that identify a task definition, the same in every process."""
    return f"{zlib.crc32(f'{module}:{qualname}'.encode()):08x}"


def flow_name_for(function_name: str) -> str:
    """The default flow name: the function's name with `_` replaced by `-`."""
    return function_name.replace("_", "-")


_ids = random.Random(os.urandom(32))  # noqa: S311  (ids, not secrets)
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))


def new_id() -> str:
    """A random 128-bit run id as 32 hex digits.

    Drawn from a generator seeded from the OS (reseeded in a forked child), not read from
    `os.urandom` per id: that system call releases the interpreter lock, and on the per-task
    path every release lets another thread (a runner's worker) take it over.
    """
    return f"{_ids.getrandbits(128):032x}"
