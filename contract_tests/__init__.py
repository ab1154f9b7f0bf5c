"""The contract suite: one set of black-box tests for the mock, production, or any server."""
