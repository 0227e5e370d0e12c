"""`DaskTaskRunner`, the settings: made and checked on the user's thread.

Plain configuration (see `actorflow.runners.base`): it can be copied, compared and
pickled. `create_backend` runs on the runner actor's thread and builds the live
`_DaskBackend`; nothing here imports `distributed`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from actorflow.runners.base import Backend, TaskRunner

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DaskTaskRunner"]


def _check_mapping(name: str, value: object) -> None:
    if value is not None and not isinstance(value, dict):
        msg = f"DaskTaskRunner({name}=...) must be a dict of keyword arguments, got {type(value).__name__}"
        raise TypeError(msg)


@dataclass(frozen=True, kw_only=True)
class DaskTaskRunner(TaskRunner):
    """Runs tasks on a Dask cluster.

    With no `address`, each flow run creates its own cluster (`cluster_class`, by default
    `distributed.LocalCluster` bound to 127.0.0.1) when its runner starts, and closes the
    client and the cluster when it stops.

    Args:
        address: address of an existing scheduler, e.g. `"tcp://127.0.0.1:8786"`.
        cluster_class: the cluster to create: a class, a callable, or a dotted import
            path such as `"distributed.LocalCluster"`.
        cluster_kwargs: keyword arguments for `cluster_class`.
        adapt_kwargs: when given, `cluster.adapt(**adapt_kwargs)` is called.
        client_kwargs: keyword arguments for `distributed.Client`.
    """

    address: str | None = None
    cluster_class: type[Any] | Callable[..., Any] | str | None = None
    cluster_kwargs: dict[str, Any] | None = field(default=None, hash=False)
    adapt_kwargs: dict[str, Any] | None = field(default=None, hash=False)
    client_kwargs: dict[str, Any] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        if self.address is not None and not isinstance(self.address, str):
            msg = f"DaskTaskRunner(address=...) must be a str such as 'tcp://127.0.0.1:8786', got {type(self.address).__name__}"
            raise TypeError(msg)
        if self.cluster_class is not None and not (
            isinstance(self.cluster_class, str) or callable(self.cluster_class)
        ):
            msg = (
                "DaskTaskRunner(cluster_class=...) must be a class, a callable or a dotted "
                f"import path such as 'distributed.LocalCluster', got {type(self.cluster_class).__name__}"
            )
            raise TypeError(msg)
        _check_mapping("cluster_kwargs", self.cluster_kwargs)
        _check_mapping("adapt_kwargs", self.adapt_kwargs)
        _check_mapping("client_kwargs", self.client_kwargs)
        if self.address is not None and (
            self.cluster_class is not None
            or self.cluster_kwargs is not None
            or self.adapt_kwargs is not None
        ):
            msg = (
                "DaskTaskRunner(address=...) connects to an existing cluster and cannot be "
                "combined with cluster_class, cluster_kwargs or adapt_kwargs; pass one or the other"
            )
            raise ValueError(msg)

    def create_backend(self) -> Backend:
        # The Dask engine (distributed) loads when a flow run's runner starts, never on
        # `import actorflow`.
        from actorflow.runners.dask._backend import _DaskBackend  # noqa: PLC0415

        return _DaskBackend(self)
