"""A person of another institution, as the security tests define them."""

from tests.security.conftest import intruder

__all__ = ["intruder"]
