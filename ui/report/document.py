"""The visit report as a QTextDocument, from a workstation.visit.VisitRecord (the records alone).

Qt's own text layout paginates it for the PDF writer (a QPrinter would take the same document).
The body map is painted by ui.bodymap.painting into an image resource.
"""

from __future__ import annotations

from datetime import datetime, timezone
from html import escape

from PySide6.QtCore import QUrl
from PySide6.QtGui import QFont, QTextDocument

from ui.bodymap import painting
from workstation import bodymap
from workstation.models import ImpedanceClass, PainTiming
from workstation.visit import VisitRecord
from workstation.wording import IMPEDANCE_CLASS_TEXT, program_status

BODY_MAP_URL = QUrl("drg:body-map.png")
CONTACT_SIGNS = {"ANODE": "+", "CATHODE": "−", "OFF": "·"}


def _time(moment: datetime) -> str:
    """Local wall-clock time with its UTC offset: a printed page must say which clock."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p><i>None recorded.</i></p>"
    head = "".join(f"<th align='left'>{escape(h)}</th>" for h in headers)
    last = len(headers) - 1  # only the last column wraps (a sentence); values stay on one line

    def cell(i: int, value: str) -> str:
        style = "" if i == last else ' style="white-space: nowrap"'
        return f"<td{style}>{escape(str(value))}</td>"

    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table border='1' cellspacing='0' cellpadding='3' width='100%'><tr>{head}</tr>{body}</table>"


def _ua(value: int | None) -> str:
    return "–" if value is None else f"{value} µA"


def visit_html(record: VisitRecord, printed: datetime | None = None) -> str:
    p, s, identity, caps = record.patient, record.session, record.device.identity, record.device.capabilities
    printed = printed or datetime.now(timezone.utc)
    out = [
        "<h2>DRG programming visit report</h2>",
        f"<p><b>Record id:</b> {escape(record.record_id)}<br>",
        f"<b>Printed:</b> {_time(printed)} (from the records alone)</p>",
        "<h3>Patient and visit</h3>",
        f"<p><b>Patient:</b> {escape(p.name)}, born {p.date_of_birth.isoformat()}, "
        f"record number {escape(p.record_number)}<br>",
        f"<b>Clinician:</b> {escape(s.clinician)}<br>",
        f"<b>Started:</b> {_time(s.started)} &nbsp; <b>Ended:</b> {_time(s.ended) if s.ended else 'not ended'}</p>",
        "<h3>Device</h3>",
        f"<p>{escape(identity.model)}, serial {escape(identity.serial)}, firmware {escape(identity.firmware)}, "
        f"hardware {escape(identity.hardware_rev)}; {caps.lead_count} leads of {caps.contacts_per_lead} contacts<br>",
    ]
    battery = record.battery
    out.append(
        f"<b>Battery:</b> {battery['percent']} % ({escape(str(battery['state']))}, {battery['voltage_mv']} mV)</p>"
        if battery
        else "<b>Battery:</b> not read in this visit</p>"
    )
    out.append("<h3>Leads</h3>")
    out.append(
        _table(
            ["Lead", "Level", "Side", "Implanted"],
            [
                [str(ch), pl.level.name, pl.side.value.lower(), pl.implant_date.isoformat()]
                for ch, pl in record.placements.items()
            ],
        )
    )
    out.append("<h3>Pain (NRS 0-10, VAS 0-100 mm)</h3>")
    rows = []
    for when in PainTiming:
        score = record.pain_score(when)
        rows.append(
            [
                f"{when.value.lower()} programming",
                "–" if score is None or score.nrs is None else f"{score.nrs}/10",
                "–" if score is None or score.vas_mm is None else f"{score.vas_mm} mm",
            ]
        )
    out.append(_table(["When", "NRS", "VAS"], rows))
    out.append("<h3>Impedance</h3>")
    out.append(
        _table(
            ["Time", "Lead", "Contacts", "Impedance", "Class"],
            [
                [_time(r.time), r.location, r.pair, r.shown, IMPEDANCE_CLASS_TEXT[ImpedanceClass(r.impedance_class)]]
                for r in record.impedance
            ],
        )
    )
    out.append("<h3>Thresholds</h3>")
    out.append(
        _table(
            ["Location", "Contacts", "Pulse", "Perception", "Comfortable", "Max tolerable", "Sensation"],
            [
                [
                    t.location,
                    "".join(CONTACT_SIGNS[c.name] for c in t.response.contacts),
                    f"{t.response.pulse_width_us} µs, {t.response.frequency_hz} Hz",
                    _ua(t.response.perception_threshold_ua),
                    _ua(t.response.comfortable_ua),
                    _ua(t.response.max_tolerable_ua),
                    t.response.sensation.value.lower() + (" (paresthesia-free)" if t.response.paresthesia_free else ""),
                ]
                for t in record.responses
            ],
        )
    )
    out.append("<h3>Patient maximums</h3>")
    out.append(
        _table(
            ["Lead", "Max tolerable (tested)", "Patient maximum (program)"],
            [
                [record.lead_name(lead), _ua(tested), _ua(programmed)]
                for lead, (tested, programmed) in record.patient_maximums().items()
            ],
        )
    )
    out.append("<h3>Body map and coverage</h3>")
    if record.body_map is None:
        out.append("<p><i>No body map recorded.</i></p>")
    else:
        out.append(f"<p><img src='{BODY_MAP_URL.toString()}' width='420'></p>")
        out.append(f"<p><b>Pain areas:</b> {escape(bodymap.pain_text(record.body_map)) or 'none'}</p>")
        out.append(
            _table(
                ["", "Coverage", "Spill"],
                [
                    [
                        "All leads" if c.lead is None else record.lead_name(c.lead),
                        bodymap.percent(c.coverage),
                        bodymap.percent(c.spill),
                    ]
                    for c in record.coverage
                ],
            )
        )
    out.append("<h3>Program as written</h3>")
    if not record.programs:
        out.append("<p><i>No program saved in this visit.</i></p>")
    for saved in record.programs:
        status = program_status(saved.written, saved.verified, saved.mismatch)
        corrected = " (settled by a correction)" if saved.corrected else ""
        out.append(
            f"<p><b>Program '{escape(saved.program.name)}'</b> at {_time(saved.time)}: {escape(status)}{corrected}</p>"
        )
        out.append(
            _table(
                ["Lead", "Contacts", "Amplitude", "Pulse width", "Frequency", "Output", "Patient max"],
                [
                    [
                        record.lead_name(c.lead),
                        "".join(CONTACT_SIGNS[x.name] for x in c.contacts),
                        _ua(c.amplitude_ua),
                        f"{c.pulse_width_us} µs",
                        f"{c.frequency_hz} Hz",
                        "on" if c.enabled else "off",
                        _ua(c.patient_max_ua),
                    ]
                    for c in saved.program.leads
                ],
            )
        )
    out.append("<h3>Notes</h3>")
    out.append("".join(f"<p>{_time(t)}: {escape(text)}</p>" for t, text in record.notes) or "<p><i>No notes.</i></p>")
    out.append("<h3>Events of the visit</h3>")
    out.append(_table(["Event", "Count"], [[kind, str(n)] for kind, n in record.event_counts()]))
    out.append("<h4>Session log</h4>")
    out.append(
        _table(
            ["Time", "Event", "Outcome", "What"],
            [[_time(t), kind, outcome, text] for t, kind, outcome, text in record.log_lines()],
        )
    )
    out.append(f"<p><small>Record id {escape(record.record_id)} · end of report</small></p>")
    return "\n".join(out)


def visit_document(record: VisitRecord, printed: datetime | None = None) -> QTextDocument:
    document = QTextDocument()
    font = QFont()
    font.setPointSizeF(9)
    document.setDefaultFont(font)
    if record.body_map is not None:
        pain = record.body_map.pain_regions
        leads = {a.lead: a.regions for a in record.body_map.leads}
        document.addResource(QTextDocument.ResourceType.ImageResource, BODY_MAP_URL, painting.image(pain, leads))
    document.setHtml(visit_html(record, printed))
    return document
