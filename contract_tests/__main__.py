"""`python -m contract_tests`: see contract_tests/engine/run.py (exit codes 0 / 1 / 3 and one sentence)."""

import sys

from contract_tests.engine.run import main

sys.exit(main())
