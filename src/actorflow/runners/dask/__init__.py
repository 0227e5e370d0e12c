"""`DaskTaskRunner`: tasks run on a Dask cluster through a `distributed.Client`.

`distributed` is imported only when a backend starts, so `import actorflow` never loads it.

The modules are split by where their code runs:

- `_settings`: `DaskTaskRunner`, the settings (the user's thread);
- `_backend`: the live backend: `start` and `shutdown` (the runner actor's thread),
  `submit` and `abandon` (any thread);
- `_client_loop` (with `_quiet`): submitting, watching, gathering (the client's event loop);
- `_reporter`: reporting outcomes, explaining refusals (the backend's reporter thread);
- `_worker`: the task wrapper and `get_dask_client` (the Dask worker processes);
- `_result`: a result left on the cluster, fetched when asked for (the user's thread);
- `_compat`: the only use of `distributed`'s private API (the client's event loop);
- `_types`: names for annotations only, and the protocols through which lower modules
  use higher ones' objects.

Each module imports only lower ones (even under `if TYPE_CHECKING:`), bottom-up:
`_types`, `_compat`, `_quiet`, `_worker`, `_result` -> `_reporter` -> `_client_loop` ->
`_backend` -> `_settings` -> this package.
"""

from actorflow.runners.dask._client_api import get_dask_client
from actorflow.runners.dask._result import FETCH_LIMIT as FETCH_LIMIT
from actorflow.runners.dask._settings import DaskTaskRunner

__all__ = ["DaskTaskRunner", "get_dask_client"]
