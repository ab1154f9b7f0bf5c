"""The contract suite's engine: what the tests in contract_tests/ use, and nothing of pytest's tests.

- target, api        : where the suite points, and a client that logs every exchange
- generate, seeds    : requests from the spec (valid space, one violation per constraint), the seeds
- evidence           : the spec's x-rules and x-known-differences, read for the triage
- outcomes           : the five states a check can end in (raised by tests)
- plan               : what a run may bill (--plan)
- report, history    : drift.md / drift.json / JUnit; drift.html, the kept runs as a plot
- free, docs_watch   : the zero-cost watch (catalogue, per-model schemas, docs pages)
- free_options       : the free watch's pytest options and fixtures
- exchanges, schemathesis_hooks, media_check: glue for Schemathesis, MP4/image probing
"""
