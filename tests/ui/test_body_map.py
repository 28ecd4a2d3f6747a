"""The Body map tab in the main window: paint pain and a lead's area with real clicks, see coverage,
save it in the visit; the spinal map and the body map light each other."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPoint, Qt

from workstation import bodymap
from workstation.bodymap import BodyMap
from workstation.events import EventKind
from workstation.models import LeadPlacement, Side, SpinalLevel

WAIT_MS = 5000


def click_area(qtbot, canvas, region_id: str) -> None:
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.area_centre(region_id).toPoint())


def coverage_rows(panel) -> list[tuple[str, str, str]]:
    table = panel.coverage
    return [tuple(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount())]


def test_painting_pain_and_a_lead_shows_coverage_and_saves_the_map(qtbot, drg_window_session, drg_store, drg_session):
    window = drg_window_session
    panel = window.body_map
    window.tabs.setCurrentWidget(panel)
    qtbot.waitExposed(panel.canvas)
    canvas = panel.canvas
    assert panel.brush.count() == 1 + window.service.state.capabilities.lead_count  # a brush per lead the device has

    panel.intensity.setValue(7)
    click_area(qtbot, canvas, "front-knee-left")
    click_area(qtbot, canvas, "front-L3-left")
    panel.brush.setCurrentIndex(panel.brush.findData(1))
    assert not panel.intensity.isEnabled()
    click_area(qtbot, canvas, "front-knee-left")
    click_area(qtbot, canvas, "front-L4-left")

    # pain 597 + 933 drawing units; lead 1 felt on the knee (597) and the L4 band: 39 % covered
    knee, l3, l4 = 597.0, 933.0, bodymap.region("front-L4-left").area
    assert coverage_rows(panel)[0] == (
        "Lead 1 \u00b7 not placed",
        f"{round(100 * knee / (knee + l3))} %",
        f"{round(100 * l4 / (knee + l4))} %",
    )
    window.service.recording.place_lead(LeadPlacement(1, SpinalLevel.L4, Side.LEFT, date(2026, 1, 1))).result()
    qtbot.waitUntil(lambda: coverage_rows(panel)[0][0] == "L4 left \u00b7 lead 1", timeout=WAIT_MS)  # by where it sits
    assert panel.brush.currentText() == "L4 left \u00b7 lead 1: where it is felt"
    assert panel.suggested.text().startswith("L3 left")

    click_area(qtbot, canvas, "front-L4-left")  # clicked again: taken off
    assert panel.body_map().lead_regions(1) == ("front-knee-left",)

    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text() == "Body map saved in the visit.", timeout=WAIT_MS)
    (event,) = [e for e in drg_store.session_events(drg_session) if e.kind is EventKind.BODY_MAP_RECORDED]
    assert BodyMap.from_json(event.payload) == BodyMap.of(
        {"front-knee-left": 7, "front-L3-left": 7}, {1: ["front-knee-left"]}
    )


def test_the_spinal_map_and_the_body_map_light_each_other(qtbot, drg_window_session):
    window = drg_window_session
    window.service.recording.place_lead(LeadPlacement(2, SpinalLevel.L4, Side.LEFT, date(2024, 3, 1))).result(5)
    qtbot.waitUntil(lambda: 2 in window.placements, timeout=WAIT_MS)
    window.select_lead(2)
    assert set(window.body_map.canvas.highlighted) == {"front-L4-left", "back-L4-left"}

    window.tabs.setCurrentWidget(window.body_map)
    canvas = window.body_map.canvas
    qtbot.waitExposed(canvas)
    qtbot.mouseMove(canvas, canvas.area_centre("back-S1-right").toPoint())
    qtbot.waitUntil(lambda: window.spinal_map.lit() == (SpinalLevel.S1, Side.RIGHT), timeout=WAIT_MS)
    qtbot.mouseMove(canvas, QPoint(2, 2))  # off the body
    qtbot.waitUntil(lambda: window.spinal_map.lit() is None, timeout=WAIT_MS)


def test_the_pain_areas_star_their_levels_on_the_spinal_map(qtbot, drg_window_session):
    """The body map is where pain is recorded, with its side; the levels it suggests are starred."""
    window = drg_window_session
    panel = window.body_map
    window.tabs.setCurrentWidget(panel)
    qtbot.waitExposed(panel.canvas)
    assert window.spinal_map.suggested() == frozenset()
    click_area(qtbot, panel.canvas, "front-knee-left")
    assert window.spinal_map.suggested() == {SpinalLevel.L3, SpinalLevel.L4}
    click_area(qtbot, panel.canvas, "front-knee-left")  # taken off
    assert window.spinal_map.suggested() == frozenset()


def _earlier_visit(service, store, patient_id: int, body_map: BodyMap) -> int:
    """A closed visit of the patient with this body map, recorded before the one under test."""
    state = service.state
    session = store.open_session(patient_id, state.identity, state.capabilities, "Dr Earlier")
    store.record_body_map(session.id, body_map)
    store.close_session(session.id)
    return session.id


LAST_MAP = BodyMap.of({"front-knee-left": 7, "back-foot-right": 4}, {1: ["front-knee-left"]})


def test_a_new_visit_offers_the_last_pain_map_and_starts_from_it_on_request(
    qtbot, drg_window, drg_service, drg_store, drg_patient
):
    window, panel = drg_window, drg_window.body_map
    _earlier_visit(drg_service, drg_store, drg_patient.id, BodyMap.of({"front-T11-left": 3}, {}))
    _earlier_visit(drg_service, drg_store, drg_patient.id, LAST_MAP)
    session = drg_service.recording.start_session(drg_patient.id).result(5)
    window.tabs.setCurrentWidget(panel)
    offer = panel.previous
    qtbot.waitUntil(offer.isVisible, timeout=WAIT_MS)
    text = offer.text.text()
    assert bodymap.pain_text(LAST_MAP) in text and "(Dr Earlier)" in text
    assert bodymap.region("front-T11-left").name not in text  # the last visit's map, not an older one
    assert panel.body_map().empty  # nothing carried over unasked

    qtbot.mouseClick(offer.use, Qt.MouseButton.LeftButton)
    assert not offer.isVisible()
    assert panel.body_map() == BodyMap(pain=LAST_MAP.pain)  # the pain areas; lead areas are tested anew
    assert panel.message.text().startswith("The last visit's pain areas, not saved yet")
    assert not [e for e in drg_store.session_events(session.id) if e.kind is EventKind.BODY_MAP_RECORDED]

    qtbot.mouseClick(panel.save, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.message.text() == "Body map saved in the visit.", timeout=WAIT_MS)
    (event,) = [e for e in drg_store.session_events(session.id) if e.kind is EventKind.BODY_MAP_RECORDED]
    assert BodyMap.from_json(event.payload) == BodyMap(pain=LAST_MAP.pain)


def test_start_blank_or_painting_first_declines_the_offer(qtbot, drg_window, drg_service, drg_store, drg_patient):
    window, panel = drg_window, drg_window.body_map
    _earlier_visit(drg_service, drg_store, drg_patient.id, LAST_MAP)
    drg_service.recording.start_session(drg_patient.id).result(5)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.previous.isVisible, timeout=WAIT_MS)
    qtbot.mouseClick(panel.previous.blank, Qt.MouseButton.LeftButton)
    assert not panel.previous.isVisible() and panel.body_map().empty
    window.tabs.setCurrentWidget(window.history)  # the history read again: the offer was made once
    qtbot.waitUntil(lambda: window.history.visits.rowCount() == 2, timeout=WAIT_MS)
    assert not panel.previous.isVisible()

    drg_service.recording.end_session().result(5)
    drg_service.recording.start_session(drg_patient.id).result(5)  # the next visit: offered again
    qtbot.waitUntil(lambda: not panel.previous.isHidden(), timeout=WAIT_MS)
    window.tabs.setCurrentWidget(panel)
    qtbot.waitExposed(panel.canvas)
    click_area(qtbot, panel.canvas, "front-L5-right")
    assert panel.previous.isHidden() and panel.body_map() == BodyMap.of({"front-L5-right": 6}, {})


def test_a_first_visit_has_nothing_to_offer(qtbot, drg_window_session):
    window = drg_window_session
    window.tabs.setCurrentWidget(window.history)
    qtbot.waitUntil(lambda: window.history.visits.rowCount() == 1, timeout=WAIT_MS)
    assert window.body_map.previous.isHidden()
