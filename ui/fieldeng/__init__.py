"""The field-engineer workspace (a tab of the main window): device information, lead diagnosis,
the device's log, the self-test, USB capture and the diagnostics bundle."""

from ui.fieldeng.view import LOG_LEVEL_SETTING, FieldEngineerView

__all__ = ["LOG_LEVEL_SETTING", "FieldEngineerView"]
