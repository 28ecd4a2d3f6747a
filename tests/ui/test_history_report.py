"""A whole visit, then the History tab without a session: the visit's report as a PDF (Qt's own writer)
renders (pdftoppm) and its text (pdftotext) holds the program and thresholds the device and the
records hold; the visit prints through the print dialog (to a PDF file here) and exports as FHIR and
CSV, each recorded in the audit trail; the plots show the visits."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from fhir.resources.R4B.bundle import Bundle
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from drivers.types import ImpedanceMode, Polarity
from ui import dialogs
from ui.report.document import visit_html
from ui.testing.qa import (
    answer_dialog,
    find,
    lead_panel,
    open_dialog,
    raise_amplitude,
    session_records,
    shown_dialog,
)
from workstation.models import LeadPlacement, Note, PainScore, PainTiming, Side, SpinalLevel

LEFT = Qt.MouseButton.LeftButton
WAIT_MS = 8000
BIPOLE = (Polarity.ANODE, Polarity.CATHODE, Polarity.OFF, Polarity.OFF)


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


def pdf_text(pdf) -> str:
    return " ".join(run("pdftotext", "-layout", str(pdf), "-").replace("\ufb01", "fi").split())  # no ligatures


@pytest.fixture
def visited(qtbot, drg_window_session, drg_service, drg_device):
    """A visit: lead 1 placed at L4 left, thresholds captured on the lead panel, pain and a body map,
    a program written and verified; then the session is ended."""
    window, service = drg_window_session, drg_service
    service.recording.place_lead(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1))).result(5)
    service.recording.record_pain_score(PainScore(7, PainTiming.BEFORE, 72)).result(5)
    service.outputs.write_lead(service.state.leads[1].with_(contacts=BIPOLE, pulse_width_us=300)).result(5)
    service.impedance.measure(ImpedanceMode.LEAD_PAIR, (1,)).result(5)
    service.outputs.set_enabled(1, True).result(5)
    panel = lead_panel(window, 1)
    for amplitude, button in ((400, "recordPerception"), (600, "recordComfortable"), (900, "recordMaxTolerable")):
        raise_amplitude(service, 1, amplitude)
        qtbot.waitUntil(lambda a=amplitude: find(panel, "ampReadout").text() == f"{a / 1000:.3f} mA", timeout=WAIT_MS)
        qtbot.mouseClick(find(panel, button), LEFT)
    qtbot.mouseClick(find(panel, "saveResponse"), LEFT)
    qtbot.waitUntil(lambda: bool(session_records(service, kind="response_recorded")), timeout=WAIT_MS)
    body = window.body_map
    window.tabs.setCurrentWidget(body)
    qtbot.waitExposed(body.canvas)
    for region in ("front-knee-left", "front-L4-left"):
        qtbot.mouseClick(body.canvas, LEFT, pos=body.canvas.area_centre(region).toPoint())
    body.brush.setCurrentIndex(body.brush.findData(1))
    qtbot.mouseClick(body.canvas, LEFT, pos=body.canvas.area_centre("front-L4-left").toPoint())
    qtbot.mouseClick(body.save, LEFT)
    qtbot.waitUntil(lambda: body.message.text() == "Body map saved in the visit.", timeout=WAIT_MS)
    raise_amplitude(service, 1, 600)  # back to the comfortable level, to be stored
    service.programs.save("Knee 600").result(5)
    assert service.programs.write(service.programs.current("Knee 600")).result(5).verified
    service.recording.record_pain_score(PainScore(3, PainTiming.AFTER, 30)).result(5)
    session_id = service.session_id
    service.recording.end_session().result(5)
    return window, session_id


def test_the_report_of_a_past_visit_holds_what_the_device_and_records_hold(
    qtbot, visited, drg_device, drg_store, tmp_path, monkeypatch
):
    window, session_id = visited
    history = window.history
    window.tabs.setCurrentWidget(history)
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        history.show_patient(drg_store.get_session(session_id).patient_id)  # no session is active now
    assert window.service.session is None
    assert history.caption.text().endswith("· 1 visit")
    assert history.visits.item(0, 2).text() == "7/10" and history.visits.item(0, 5).text() == "30 mm"
    assert len(history.pain_plot.getPlotItem().listDataItems()) == 2  # before and after
    assert history.threshold_plot.getPlotItem().legend.items[0][1].text == "L4 left · lead 1"
    assert [label.text for _line, label in history.impedance_plot.getPlotItem().legend.items] == [
        "L4 left · lead 1 · 1-2"
    ]
    history.visits.selectRow(0)

    pdf = tmp_path / "visit.pdf"
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args: str(pdf))
    qtbot.mouseClick(history.report, LEFT)
    qtbot.waitUntil(lambda: "saved to" in history.message.text(), timeout=WAIT_MS)

    run("pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page"))
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages and all(p.stat().st_size > 1000 for p in pages)
    text = pdf_text(pdf)
    stored = drg_device.stored_program  # what the device holds
    lead1 = stored.leads[0]
    assert stored.name == "Knee 600" and lead1.amplitude_ua == 600
    assert "Program 'Knee 600'" in text and "written and verified" in text
    assert f"{lead1.amplitude_ua} µA {lead1.pulse_width_us} µs {lead1.frequency_hz} Hz on" in text, text
    (response,) = session_records(drg_store, session_id, kind="response_recorded")
    p = response.payload
    assert (p["perception_threshold_ua"], p["comfortable_ua"], p["max_tolerable_ua"]) == (400, 600, 900)
    assert "L4 left · lead" in text and "400 µA 600 µA 900 µA tingling" in text
    assert "L4 left · lead 1 900 µA 6000 µA" in text  # tested maximum and the program's patient maximum
    assert "L4 left · lead 1 1-2" in text and "lead 2 (not placed)" in text  # impedance, program: by place
    assert "NRS" in text and "7/10 72 mm" in text and "3/10 30 mm" in text
    record_id = window.service.recording.visit(session_id).result(5).record_id
    assert text.count(record_id) >= 2 and "QA Clinician" in text and drg_device.identity.serial in text

    exported = tmp_path / "visit-1.fhir.json"
    monkeypatch.setattr(dialogs, "save_file_name", lambda *args: str(exported))
    qtbot.mouseClick(history.export, LEFT)
    qtbot.waitUntil(lambda: "Exported" in history.message.text(), timeout=WAIT_MS)
    bundle = Bundle.model_validate_json(exported.read_text(encoding="utf-8"))
    device = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Device")
    amplitude = next(p for p in device.property if p.type.text == "lead 1 amplitude")
    assert amplitude.valueQuantity[0].value == lead1.amplitude_ua
    assert sorted(f.name for f in (tmp_path / "visit-1-csv").iterdir()) == [
        "events.csv",
        "impedance.csv",
        "program.csv",
        "thresholds.csv",
    ]
    assert drg_store.audit_details("export") == [
        {"what": "visit report saved as PDF", "session": session_id, "to": str(pdf)},
        {"what": "visit exported (FHIR bundle and CSV files)", "session": session_id, "to": str(exported)},
    ]


def test_a_past_visit_prints_through_the_print_dialog(qtbot, visited, drg_store, tmp_path):
    """Print… on the History tab: Qt's print dialog (window-modal, opened without a nested loop), the
    report printed to the PDF file chosen there, and the print in the audit trail."""
    window, session_id = visited
    history = window.history
    window.tabs.setCurrentWidget(history)
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        history.show_patient(drg_store.get_session(session_id).patient_id)
    history.visits.selectRow(0)
    qtbot.mouseClick(history.print, LEFT)
    dialog = open_dialog(qtbot, "visitPrintDialog")
    assert dialog.windowModality() == Qt.WindowModality.WindowModal
    pdf = tmp_path / "printed.pdf"
    answer_dialog(qtbot, "visitPrintDialog", "OK", text=str(pdf))
    qtbot.waitUntil(lambda: "printed to" in history.message.text(), timeout=WAIT_MS)
    record_id = window.service.recording.visit(session_id).result(5).record_id
    assert history.message.text() == f"Report {record_id} printed to {pdf}."
    assert window.statusBar().currentMessage() == history.message.text()
    text = pdf_text(pdf)
    assert record_id in text and "Program 'Knee 600'" in text and "400 µA 600 µA 900 µA tingling" in text
    assert drg_store.audit_details("export") == [
        {"what": "visit report printed", "session": session_id, "to": str(pdf)}
    ]


def test_the_visit_under_way_prints_from_the_visit_menu_and_cancel_prints_nothing(
    qtbot, drg_window_session, drg_service, drg_store, tmp_path
):
    window, service = drg_window_session, drg_service
    service.recording.add_note(Note("Patient prefers the evening program.")).result(5)
    action = window.findChild(QAction, "printVisitAction")
    assert action.isEnabled() and action.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)

    action.trigger()
    answer_dialog(qtbot, "visitPrintDialog", "Cancel")
    qtbot.waitUntil(lambda: shown_dialog("visitPrintDialog") is None, timeout=WAIT_MS)
    assert drg_store.audit_details("export") == [] and window.history.message.text() == ""

    pdf = tmp_path / "this-visit.pdf"
    action.trigger()
    answer_dialog(qtbot, "visitPrintDialog", "OK", text=str(pdf))
    qtbot.waitUntil(lambda: "printed to" in window.statusBar().currentMessage(), timeout=WAIT_MS)
    text = pdf_text(pdf)
    assert "Patient prefers the evening program." in text and service.session.clinician in text
    assert drg_store.audit_details("export") == [
        {"what": "visit report printed", "session": service.session_id, "to": str(pdf)}
    ]

    service.recording.end_session().result(5)
    qtbot.waitUntil(lambda: not action.isEnabled(), timeout=WAIT_MS)


def test_a_plot_refills_its_lines_and_legend_when_the_history_is_read_again(qtbot):
    """Lines are kept and refilled, not made anew (the history view's time budget); what shows is
    always the history last read: as many lines, with their labels."""
    from datetime import datetime, timezone

    from ui.history.plots import Lines, new_plot

    plot = new_plot(None, "testPlot", "Test", "units")
    qtbot.addWidget(plot)
    lines = Lines(plot)
    when = [datetime(2026, m, 1, tzinfo=timezone.utc) for m in (1, 4, 7)]

    def labels() -> list[str]:
        return [label.text for _sample, label in plot.getPlotItem().legend.items]

    lines.show([(list(zip(when, (1, 2, 3))), "#000000", "a"), (list(zip(when, (4, 5, 6))), "#ff0000", "b")])
    first = plot.getPlotItem().listDataItems()
    assert labels() == ["a", "b"]
    lines.show([(list(zip(when[:2], (7, 8))), "#000000", "c")])
    (item,) = plot.getPlotItem().listDataItems()
    assert item is first[0] and list(item.getData()[1]) == [7.0, 8.0] and labels() == ["c"]
    lines.show([])
    assert plot.getPlotItem().listDataItems() == [] and labels() == []


def test_every_legend_entry_shows_whole_inside_its_plot_at_1366x768(qtbot, visited, drg_store):
    """The plots are short on a 1366×768 screen: a legend one entry a line showed 'before' and cut
    'after' off; laid out in a row every entry shows, whole, inside its plot."""
    window, session_id = visited
    window.setGeometry(0, 0, 1366, 768)
    history = window.history
    window.tabs.setCurrentWidget(history)
    with qtbot.waitSignal(history.loaded, timeout=WAIT_MS):
        history.show_patient(drg_store.get_session(session_id).patient_id)
    qtbot.wait(200)  # the layout settles
    shown = 0
    for plot in (history.pain_plot, history.vas_plot, history.threshold_plot, history.impedance_plot):
        view = plot.getPlotItem().vb.sceneBoundingRect()
        for _sample, label in plot.getPlotItem().legend.items:
            assert view.contains(label.sceneBoundingRect()), (plot.objectName(), label.text)
            shown += 1
    assert shown == 6  # before and after twice, one lead location, one contact pair


@pytest.mark.drg_sim("open=2.3")
def test_the_report_shows_an_open_contact_as_the_impedance_tab_does(drg_service, drg_session):
    drg_service.impedance.measure(ImpedanceMode.CONTACT_TO_CASE, (2,)).result(5)
    html = visit_html(drg_service.recording.visit(drg_session).result(5))
    impedance = html[html.index("<h3>Impedance</h3>") : html.index("<h3>Thresholds</h3>")]
    assert '3-case</td><td style="white-space: nowrap">&gt; 4000 Ω</td><td>Open circuit</td>' in impedance
    assert impedance.count("<td>Normal</td>") == 3 and "OPEN" not in impedance  # words, not codes
