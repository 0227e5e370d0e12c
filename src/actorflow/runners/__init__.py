"""Task-runner backends: settings classes and the live backends they build.

Users import the runners from [`actorflow.task_runners`][actorflow.task_runners].
"""
