"""Task runners: where a flow run's tasks execute.

```python
from actorflow.task_runners import (
    TaskRunner, SequentialTaskRunner, ConcurrentTaskRunner, DaskTaskRunner
)
```
"""

from actorflow.runners.base import TaskRunner
from actorflow.runners.concurrent import ConcurrentTaskRunner
from actorflow.runners.dask import DaskTaskRunner, get_dask_client
from actorflow.runners.sequential import SequentialTaskRunner

__all__ = [
    "ConcurrentTaskRunner",
    "DaskTaskRunner",
    "SequentialTaskRunner",
    "TaskRunner",
    "get_dask_client",
]
