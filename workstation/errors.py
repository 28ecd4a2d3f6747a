"""The service's errors: a request turned down before (or instead of) reaching the device."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service turned down before it reached the device."""
