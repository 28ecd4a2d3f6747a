"""Real X input for GUI tests and QA: a private Xvfb server, and clicks, key
presses and drags sent with the XTEST extension (xdotool), as the X server
delivers them from a real mouse and keyboard.

pytest-qt's ``qtbot.mouseClick`` hands an event straight to a widget: it
bypasses window modality, popups and pointer grabs, so it can pass where a
clinician's click does nothing. These helpers go through the X server.

Outside the Qt process (the test)::

    with Xvfb() as display:                       # its own free display, e.g. ":93"
        subprocess.run([...], env=display.env())  # run the Qt app there on xcb

Inside the Qt process (QT_QPA_PLATFORM=xcb, DISPLAY set)::

    proc = click(find(window, "stopAll"))         # returns at once; Qt keeps running
    proc = key("Escape")                          # to the window that has the keyboard focus
    wait_until(lambda: proc.poll() is not None)   # spin Qt's event loop while xdotool works

Every call returns the xdotool ``Popen`` without waiting: the Qt event loop
must keep running (it may be inside a dialog's own ``exec()``), so callers
poll, they do not block.

Needs the Debian packages ``xvfb``, ``xdotool`` and ``x11-utils`` (xdpyinfo).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

TOOLS = ("Xvfb", "xdotool", "xdpyinfo")
SCREEN = "1366x768x24"  # the laptop screen the workstation is designed for


def missing_tools(*also: str) -> list[str]:
    """The programs these helpers need (and `also`, a window manager) that are not on PATH."""
    return [tool for tool in (*TOOLS, *also) if shutil.which(tool) is None]


def ci_requires_real_input() -> bool:
    """True on CI (``CI=true``): missing tools are then a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_tools(*also: str) -> None:
    """Skip the calling test when a tool (or `also`, a window manager) is missing; on CI fail it."""
    missing = missing_tools(*also)
    if missing:
        reason = f"real X input needs {', '.join(missing)} (apt-get install xvfb xdotool x11-utils {' '.join(also)})"
        if ci_requires_real_input():
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)


def run_node(server: Xvfb, node: str, timeout_s: float = 300, cwd: Path | None = None, **env: str) -> None:
    """Run one pytest node on `server`'s display in a fresh process (a QApplication has one platform
    and the suite's is offscreen); fail with its output unless that node passed."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node],
        cwd=cwd,
        env=server.env(**env),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout[-8000:] + run.stderr[-3000:]


def poll(predicate: Callable[[], bool], timeout_s: float, what: str, interval_s: float = 0.02) -> None:
    """Wait (outside Qt) until predicate() holds, or raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


class Xvfb:
    """A private Xvfb on the first free display number from `first`; a context manager. With
    `window_manager` ("openbox", needs xprop) windows are managed as on a desktop: maximising, focus,
    decorations; without, a window keeps the size it asks for (the STOP ALL cases need none)."""

    def __init__(
        self, screen: str = SCREEN, first: int = 90, timeout_s: float = 15.0, window_manager: str | None = None
    ) -> None:
        self.screen, self.first, self.timeout_s = screen, first, timeout_s
        self.window_manager = window_manager
        self.process: subprocess.Popen | None = None
        self.manager: subprocess.Popen | None = None
        self.display = ""

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ for a Qt program on this display (xcb platform)."""
        return {**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb", **extra}

    def start(self) -> Xvfb:
        missing = missing_tools(*filter(None, [self.window_manager]))
        if missing:
            raise RuntimeError(f"real X input needs {', '.join(missing)} (apt-get install xvfb xdotool x11-utils)")
        for number in range(self.first, self.first + 100):
            if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
                continue
            display = f":{number}"
            process = subprocess.Popen(
                ["Xvfb", display, "-screen", "0", self.screen, "-nolisten", "tcp"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                poll(
                    lambda p=process, d=display: p.poll() is not None or self._answers(d),
                    self.timeout_s,
                    f"Xvfb {display}",
                )
            except TimeoutError:
                process.kill()
                raise
            if process.poll() is None:
                self.process, self.display = process, display
                if self.window_manager:
                    self._manage()
                return self
            # lost a race for this display number to another server: try the next one
        raise RuntimeError("no free X display number")

    def _manage(self, attempts: int = 3) -> None:
        """Start the window manager; wait until it announces itself on the root window (EWMH).

        openbox sometimes fails to open a display that has just answered xdpyinfo ("Failed to open
        the display", 3 starts in 30 here): it is started again, up to `attempts` times."""
        for _ in range(attempts):
            manager = subprocess.Popen(
                [str(self.window_manager)], env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            self.manager = manager
            try:
                poll(
                    lambda m=manager: m.poll() is not None or self._managed(), self.timeout_s, f"{self.window_manager}"
                )
            except TimeoutError:
                self.stop()
                raise
            if manager.poll() is None:
                return
        said = manager.stdout.read() if manager.stdout else b""
        self.stop()
        raise RuntimeError(f"{self.window_manager} exited {attempts} times: {said!r}")

    def _managed(self) -> bool:
        found = subprocess.run(
            ["xprop", "-display", self.display, "-root", "_NET_SUPPORTING_WM_CHECK"],
            capture_output=True,
            text=True,
            check=False,
        )
        return "window id" in found.stdout

    @staticmethod
    def _answers(display: str) -> bool:
        return (
            subprocess.run(
                ["xdpyinfo", "-display", display], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
            ).returncode
            == 0
        )

    def stop(self) -> None:
        for process in (self.manager, self.process):
            if process is not None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.manager = self.process = None

    def __enter__(self) -> Xvfb:  # noqa: PYI034
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


# -- inside the Qt process ----------------------------------------------------------------------


def xdotool(*args: str | int) -> subprocess.Popen:
    """Run xdotool on $DISPLAY without waiting for it."""
    return subprocess.Popen(["xdotool", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def global_center(widget) -> tuple[int, int]:
    """The widget's centre in X screen coordinates."""
    point = widget.mapToGlobal(widget.rect().center())
    return point.x(), point.y()


def click_at(x: int, y: int, button: int = 1) -> subprocess.Popen:
    """Move the real pointer to (x, y) and click there. `mousemove --sync` waits for the pointer to leave
    where it was, forever when it is there already (a second click on one button): it starts next to it."""
    beside = x - 1 if x > 0 else x + 1
    return xdotool("mousemove", beside, y, "mousemove", "--sync", x, y, "click", button)


def click(widget, button: int = 1) -> subprocess.Popen:
    """Click the middle of a widget, wherever it is on screen and whatever covers it."""
    return click_at(*global_center(widget), button=button)


def key(name: str) -> subprocess.Popen:
    """Press and release a key (X keysym name: Escape, Return, ctrl+l) to the focused window."""
    return xdotool("key", name)


def type_text(text: str) -> subprocess.Popen:
    """Type `text` to the focused window, key by key."""
    return xdotool("type", "--delay", 5, text)


def mouse_down(x: int, y: int, button: int = 1) -> subprocess.Popen:
    return xdotool("mousemove", "--sync", x, y, "mousedown", button)


def mouse_move(x: int, y: int) -> subprocess.Popen:
    return xdotool("mousemove", "--sync", x, y)


def mouse_up(button: int = 1) -> subprocess.Popen:
    return xdotool("mouseup", button)


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Spin Qt's event loop until predicate() holds (for code not running inside a dialog's exec())."""
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        QTimer.singleShot(10, loop.quit)
        loop.exec()
