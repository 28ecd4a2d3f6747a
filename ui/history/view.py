"""The History tab: a returning patient's visits, without a session or a device.

The patient is the session's, else the one selected in the patient list. One records call
(service.recording.history, on the records thread) brings visits, pain, thresholds, coverage,
programs and impedance; the plots (plots.py) show what a clinician would rather look at than read: pain
before and after (NRS, and VAS beside it), thresholds per lead location, coverage, impedance.
A visit chosen in the table can be saved as a PDF report, printed or exported (CSV and FHIR),
all from the records alone; each one is recorded in the audit trail (a disclosure of patient data).
The print dialog is opened, not exec()'d: window-modal over the main window, never over STOP ALL.

objectNames: historyCaption, historyVisits, historyPrograms, historyPainPlot, historyVasPlot,
historyThresholdPlot, historyCoveragePlot, historyImpedancePlot, historyReport, historyPrint,
historyExport, historyMessage; the print dialog visitPrintDialog.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from ui import dialogs, theme
from ui.bridge import ServiceBridge
from ui.history import plots
from ui.history.plots import new_plot
from ui.report import new_printer, print_report, write_pdf
from ui.widgets import local_time, message_label, named, show_message
from workstation import bodymap, visit_export
from workstation.history import PatientHistory
from workstation.models import PainTiming
from workstation.visit import VisitOutput, VisitRecord
from workstation.wording import counted, program_status

VISIT_COLUMNS = ("Visit", "Clinician", "NRS before", "NRS after", "VAS before", "VAS after", "Coverage", "Notes")


class HistoryView(QWidget):
    loaded = Signal(int)  # visits shown
    said = Signal(str)  # the outcome of a report, print or export (the window's status bar repeats it)

    def __init__(self, bridge: ServiceBridge) -> None:
        super().__init__()
        named(self, "historyView", "Patient history", "")
        self._bridge = bridge
        self._patient: int | None = None
        self._request = 0
        self.history: PatientHistory | None = None
        self.caption = named(QLabel("Choose a patient to see their visits."), "historyCaption", "History of", "")
        self.visits = named(
            QTableWidget(0, len(VISIT_COLUMNS)),
            "historyVisits",
            "Visits",
            "The patient's visits, newest first; choose one to save its report or export it.",
        )
        self.visits.setHorizontalHeaderLabels(list(VISIT_COLUMNS))
        self.visits.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.visits.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.visits.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.visits.horizontalHeader().setStretchLastSection(True)
        self.programs = named(
            QTableWidget(0, 4), "historyPrograms", "Programs written", "Every program saved, with its verification."
        )
        self.programs.setHorizontalHeaderLabels(["Time", "Program", "Leads", "Verification"])
        self.programs.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.programs.horizontalHeader().setStretchLastSection(True)
        self.report = named(
            QPushButton("Save &report (PDF)…"),
            "historyReport",
            "Save report",
            "Save the chosen visit's report as a PDF.",
        )
        self.print = named(
            QPushButton("&Print report…"),
            "historyPrint",
            "Print report",
            "Print the chosen visit's report (the print dialog chooses the printer, or a PDF file).",
        )
        self.export = named(
            QPushButton("E&xport (CSV, FHIR)…"),
            "historyExport",
            "Export visit",
            "Save the chosen visit as CSV files (events, impedance, thresholds, program) and an HL7 FHIR R4 bundle.",
        )
        for button in (self.report, self.print, self.export):
            button.setAutoDefault(False)
            button.setEnabled(False)
        self.message = message_label("historyMessage", "History message")
        self.pain_plot = new_plot(self, "historyPainPlot", "Pain (NRS 0-10)", "NRS")
        self.vas_plot = new_plot(self, "historyVasPlot", "Pain (VAS 0-100 mm)", "mm")
        self.threshold_plot = new_plot(self, "historyThresholdPlot", "Comfortable level per lead location", "µA")
        self.coverage_plot = new_plot(self, "historyCoveragePlot", "Coverage of the pain area (all leads)", "%")
        self.impedance_plot = new_plot(self, "historyImpedancePlot", "Impedance (log10 Ω)", "log10 Ω")
        self._pain, self._vas, self._thresholds, self._coverage, self._impedance = (
            plots.Lines(p)
            for p in (self.pain_plot, self.vas_plot, self.threshold_plot, self.coverage_plot, self.impedance_plot)
        )
        for plot, top in ((self.pain_plot, 10), (self.vas_plot, 100), (self.coverage_plot, 100)):
            plot.setYRange(0, top)
        plot_area = QWidget()
        grid = QGridLayout(plot_area)
        grid.setContentsMargins(0, 0, 0, 0)
        for index, plot in enumerate((self.pain_plot, self.vas_plot, self.threshold_plot, self.coverage_plot)):
            grid.addWidget(plot, index // 2, index % 2)
        grid.addWidget(self.impedance_plot, 2, 0, 1, 2)  # the most lines, the longest names: the whole width
        buttons = QHBoxLayout()
        for button in (self.report, self.print, self.export):
            buttons.addWidget(button)
        buttons.addStretch(1)
        upper = QWidget()
        top = QVBoxLayout(upper)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.caption)
        top.addWidget(self.visits, 2)
        top.addLayout(buttons)
        top.addWidget(self.message)
        top.addWidget(self.programs, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(plot_area)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.visits.itemSelectionChanged.connect(self._chosen)
        self.report.clicked.connect(self.save_report)
        self.print.clicked.connect(self.print_report)
        self.export.clicked.connect(self.export_visit)

    # -- whose history -------------------------------------------------------------------------------
    def show_patient(self, patient_id: int | None) -> None:
        """Read (again) the patient's history; None clears the view."""
        self._patient = patient_id
        self._request += 1
        if patient_id is None:
            self._show(None)
            return
        request = self._request
        future = self._bridge.service.recording.history(patient_id)
        self._bridge.run(future, lambda done: isValid(self) and self._read(request, done))

    def refresh(self) -> None:
        self.show_patient(self._patient)

    def _read(self, request: int, future: Future) -> None:
        if request != self._request:
            return  # a newer request supersedes it
        if future.exception() is not None:
            show_message(self.message, f"Could not read the history: {future.exception()}", theme.DANGER_TEXT)
            return
        self._show(future.result())

    def _show(self, history: PatientHistory | None) -> None:
        self.history = history
        show_message(self.message, None)
        visits = list(reversed(history.visits)) if history else []
        if history is None:
            self.caption.setText("Choose a patient to see their visits.")
        else:
            p = history.patient
            self.caption.setText(f"{p.name} · record number {p.record_number} · {counted(len(visits), 'visit')}")
        self.visits.setRowCount(len(visits))
        for row, v in enumerate(visits):
            coverage = v.coverage
            cells = (
                local_time(v.session.started),
                v.session.clinician,
                *(
                    self._scale(v.pain.get(when), scale)
                    for scale in ("nrs", "vas_mm")
                    for when in (PainTiming.BEFORE, PainTiming.AFTER)
                ),
                bodymap.percent(coverage.coverage) if coverage else "–",
                " / ".join(v.notes),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, v.session.id)
                self.visits.setItem(row, column, item)
        self.visits.resizeColumnsToContents()
        programs = list(reversed(history.programs)) if history else []
        self.programs.setRowCount(len(programs))
        for row, saved in enumerate(programs):
            status = program_status(saved.written, saved.verified, saved.mismatch)
            leads = ", ".join(f"{c.lead}: {c.amplitude_ua} µA" for c in saved.program.leads if c.enabled) or "all off"
            for column, text in enumerate((local_time(saved.time), saved.program.name, leads, status)):
                self.programs.setItem(row, column, QTableWidgetItem(text))
        self.programs.resizeColumnsToContents()
        self._plot(history)
        self._chosen()
        self.loaded.emit(len(visits))

    @staticmethod
    def _scale(score, scale: str) -> str:
        value = None if score is None else getattr(score, scale)
        return "–" if value is None else (f"{value}/10" if scale == "nrs" else f"{value} mm")

    def _plot(self, history: PatientHistory | None) -> None:
        for lines, drawn in (
            (self._pain, plots.pain_lines(history, "nrs")),
            (self._vas, plots.pain_lines(history, "vas_mm")),
            (self._thresholds, plots.threshold_lines(history)),
            (self._coverage, plots.coverage_lines(history)),
            (self._impedance, plots.impedance_lines(history)),
        ):
            lines.show(drawn)

    # -- one visit: report, print, export ------------------------------------------------------------------
    def chosen_session(self) -> int | None:
        items = self.visits.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _chosen(self) -> None:
        for button in (self.report, self.print, self.export):
            button.setEnabled(self.chosen_session() is not None)

    def _with_visit(self, then, session_id: int | None = None) -> None:
        """Read the visit (the one chosen, or `session_id`) from the records, then call then(record)."""
        session_id = session_id or self.chosen_session()
        if session_id is None:
            return
        future = self._bridge.service.recording.visit(session_id)
        self._bridge.run(future, lambda done: isValid(self) and self._visit_read(done, then))

    def _visit_read(self, future: Future, then) -> None:
        if future.exception() is not None:
            self._say(f"Could not read the visit: {future.exception()}", theme.DANGER_TEXT)
            return
        then(future.result())

    def _say(self, text: str, colour: str) -> None:
        show_message(self.message, text, colour)
        self.said.emit(text)

    def _recorded(self, record: VisitRecord, output: VisitOutput, destination: str, done: str) -> None:
        """Audit the visit's output, then say it is done (or that the audit trail failed)."""
        future = self._bridge.service.recording.visit_output(record.session.id, output, destination)

        def said(recorded: Future) -> None:
            if isValid(self):
                error = recorded.exception()
                if error is None:
                    self._say(done, theme.OK_TEXT)
                else:
                    self._say(f"{done} It could not be recorded in the audit trail: {error}", theme.DANGER_TEXT)

        self._bridge.run(future, said)

    def save_report(self) -> None:
        self._with_visit(self._save_report)

    def _save_report(self, record: VisitRecord) -> None:
        path = dialogs.save_file_name(
            self, "visitReportFile", "Save visit report", f"visit-{record.session.id}.pdf", "PDF (*.pdf)"
        )
        if not path:
            return
        try:
            write_pdf(record, path)
        except OSError as exc:
            self._say(f"Not saved: {exc}", theme.DANGER_TEXT)
            return
        self._recorded(record, VisitOutput.REPORT_SAVED, path, f"Report {record.record_id} saved to {path}.")

    def print_report(self) -> None:
        self._with_visit(self._ask_printer)

    def print_visit(self, session_id: int) -> None:
        """Print any visit's report (the window's "this visit"), read from the records."""
        self._with_visit(self._ask_printer, session_id)

    def _ask_printer(self, record: VisitRecord) -> None:
        printer = new_printer(record)
        dialog = dialogs.print_dialog(self, "visitPrintDialog", printer)
        dialog.accepted.connect(lambda: self._print(record, printer))
        dialog.finished.connect(dialog.deleteLater)
        QDialog.open(dialog)  # not exec(): the event loop, and STOP ALL, run on while it is up

    def _print(self, record: VisitRecord, printer) -> None:
        try:
            destination = print_report(record, printer)
        except OSError as exc:
            self._say(f"Not printed: {exc}", theme.DANGER_TEXT)
            return
        self._recorded(
            record, VisitOutput.REPORT_PRINTED, destination, f"Report {record.record_id} printed to {destination}."
        )

    def export_visit(self) -> None:
        self._with_visit(self._export)

    def _export(self, record: VisitRecord) -> None:
        path = dialogs.save_file_name(
            self,
            "visitExportFile",
            "Export visit (FHIR bundle; the CSV files go in a folder beside it)",
            f"visit-{record.session.id}.fhir.json",
            "FHIR R4 bundle (*.json)",
        )
        if not path:
            return
        bundle = Path(path)
        folder = bundle.with_name(bundle.name.split(".")[0] + "-csv")
        try:
            visit_export.write_fhir(record, bundle)
            visit_export.write_csv(record, folder)
        except OSError as exc:
            self._say(f"Not exported: {exc}", theme.DANGER_TEXT)
            return
        self._recorded(record, VisitOutput.EXPORTED, str(bundle), f"Exported to {bundle} and {folder}/.")
