"""Tools for testing flows: virtual time, history checks, and a pytest plugin.

```python
from actorflow.testing import ManualClock, assert_history, check_history
```

The pytest plugin (fixtures `actor_system`, `manual_clock`, `task_runner`; option
`--actorflow-runner`) is registered when actorflow is installed; see the "Testing your
flows" page.
"""

from actorflow.clocks import ManualClock
from actorflow.testing._graphs import ALWAYS_FAILS, GraphNode, GraphRun, TaskGraph
from actorflow.testing._history import assert_history, check_history, history_of
from actorflow.testing._runners import make_task_runner, use_task_runner

__all__ = [
    "ALWAYS_FAILS",
    "GraphNode",
    "GraphRun",
    "ManualClock",
    "TaskGraph",
    "assert_history",
    "check_history",
    "history_of",
    "make_task_runner",
    "use_task_runner",
]
