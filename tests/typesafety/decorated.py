"""Checked by mypy in tests/test_typing.py: decorators keep signatures."""

from actorflow import Flow, State, Task, flow, task


@task
def add(x: int, y: int = 1) -> int:
    return x + y


@task(name="named", tags=("a",))
def shout(word: str) -> str:
    return word.upper()


@flow
def pipeline(n: int) -> str:
    return shout(str(add(n)))


@flow(name="configured")
def configured(flag: bool) -> bool:
    return flag


reveal_type(add)  # noqa: F821
reveal_type(shout)  # noqa: F821
reveal_type(pipeline)  # noqa: F821
reveal_type(configured(flag=True))  # noqa: F821
t: Task[[int, int], int] = add
f: Flow[[int], str] = pipeline
add("not an int")  # error expected: str is not int
pipeline()  # error expected: missing n

state_of_flow: State = pipeline.run_state(3)  # typed: the state, not the result
state_of_task: State = add.run_state(1, y=2)
