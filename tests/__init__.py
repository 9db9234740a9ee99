"""The test suite: unit tests by package, the CLI as users run it, and the assurance runs."""
