"""Every dialog in ui/ comes from ui.dialogs (issue 8: STOP ALL reachable with any
dialog open). A dialog built, subclassed or opened through a static helper
anywhere else fails here; tests/ui/realinput/ then proves each registered one
with real X input."""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtWidgets import QDialog, QMessageBox

from ui import dialogs

UI = Path(__file__).resolve().parents[2] / "ui"
DIALOG_CLASSES = {
    "QDialog",
    "QMessageBox",
    "QFileDialog",
    "QInputDialog",
    "QColorDialog",
    "QFontDialog",
    "QProgressDialog",
    "QErrorMessage",
    "QWizard",
    "QPrintDialog",
    "QPrintPreviewDialog",
    "QPageSetupDialog",
}
STATIC_HELPERS = {
    "critical",
    "warning",
    "information",
    "question",
    "about",
    "aboutQt",
    "getSaveFileName",
    "getOpenFileName",
    "getOpenFileNames",
    "getExistingDirectory",
    "getItem",
    "getText",
    "getInt",
    "getDouble",
    "getMultiLineText",
    "getColor",
    "getFont",
    "getOpenFileUrl",
    "getSaveFileUrl",
}
ALLOWED = {UI / "dialogs.py"}


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def bypasses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        where = f"{path.relative_to(UI.parent)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ClassDef) and any(_name(base) in DIALOG_CLASSES for base in node.bases):
            found.append(f"{where} class {node.name} subclasses a Qt dialog (use ui.dialogs.Dialog)")
        elif isinstance(node, ast.Call):
            func = node.func
            if _name(func) in DIALOG_CLASSES:
                found.append(f"{where} builds {_name(func)} directly")
            elif (
                isinstance(func, ast.Attribute) and _name(func.value) in DIALOG_CLASSES and func.attr in STATIC_HELPERS
            ):
                found.append(f"{where} {_name(func.value)}.{func.attr}() opens an unregistered dialog")
    return found


def test_no_dialog_bypasses_ui_dialogs():
    found = [hit for path in sorted(UI.rglob("*.py")) if path not in ALLOWED for hit in bypasses(path)]
    assert not found, "\n".join(found)


def test_the_scan_catches_a_bypass(tmp_path):
    source = tmp_path / "rogue.py"
    source.write_text(
        "from PySide6.QtWidgets import QMessageBox, QDialog\n"
        "class D(QDialog): pass\nQMessageBox.critical(None, 'a', 'b')\nbox = QMessageBox()\n"
    )
    global UI
    saved, UI = UI, tmp_path
    try:
        assert len(bypasses(source)) == 3
    finally:
        UI = saved


def test_registered_dialogs_are_window_modal_and_named(qtbot):
    box = dialogs.message_box(None, "contactsConfirm", QMessageBox.Icon.Warning, "t", "x")
    qtbot.addWidget(box)
    assert box.objectName() == "contactsConfirm" and dialogs.is_registered(box)
    assert box.windowModality().name == "WindowModal"
    assert not dialogs.is_registered(QDialog())


def test_an_unregistered_name_still_opens_but_is_reported(qtbot, drg_window):
    rogue = dialogs.Dialog("rogueDialog", drg_window)
    assert not dialogs.is_registered(rogue)
    rogue.show()
    assert drg_window.stop_guard.unregistered == ["rogueDialog"]
    rogue.close()
    drg_window.stop_guard.unregistered.clear()


def test_the_guard_reports_a_dialog_made_elsewhere(qtbot, drg_window):
    rogue = QDialog(drg_window)
    rogue.setObjectName("rogue")
    rogue.show()
    assert "rogue" in drg_window.stop_guard.unregistered
    rogue.close()
    drg_window.stop_guard.unregistered.clear()
