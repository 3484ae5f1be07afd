"""Fixtures of the tuning engine's unit tests (the fake training service lives in tuning_fakes)."""

from tuning_fakes import fake, service, service_factory  # noqa: F401
