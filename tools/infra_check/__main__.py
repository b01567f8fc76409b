"""`python -m tools.infra_check`: every offline infra check (checks.py)."""

from tools.infra_check.checks import main

raise SystemExit(main())
