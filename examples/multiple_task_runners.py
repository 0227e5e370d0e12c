"""A flow that runs its tasks one by one, with a subflow whose task runs on Dask."""

from actorflow import flow, task
from actorflow.task_runners import DaskTaskRunner, SequentialTaskRunner


@task
def hello_local():
    print("Hello!")


@task
def hello_dask():
    print("Hello from Dask!")


@flow(task_runner=SequentialTaskRunner())
def my_flow():
    hello_local()
    my_subflow()
    hello_local()


@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 1, "processes": True}))
def my_subflow():
    hello_dask()


if __name__ == "__main__":
    my_flow()
