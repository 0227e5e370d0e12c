"""Tools for testing flows: virtual time, history checks, and a pytest plugin.

```python
from actorflow.testing import ManualClock, assert_history, check_history
```

The pytest plugin (`actor_system` and `manual_clock` fixtures) is registered when
actorflow is installed; see the "Testing your flows" page.
"""

from actorflow.clocks import ManualClock
from actorflow.testing._history import assert_history, check_history, history_of

__all__ = ["ManualClock", "assert_history", "check_history", "history_of"]
