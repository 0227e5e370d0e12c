"""`python -m actorflow`: the `actorflow` command (`actorflow.cli`)."""

from actorflow.cli import main

raise SystemExit(main())
