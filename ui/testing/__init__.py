"""Test support shipped with the app: the pytest plugin for QA automation."""
