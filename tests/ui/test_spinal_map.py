"""The spinal map widget, driven as a clinician would: real clicks, keys and pixels."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage
from PySide6.QtWidgets import QApplication, QToolTip

from ui.spinal_map import LeadState, SpinalMap
from ui.spinal_map.painting import SUGGESTED_BAND
from workstation.models import Side, SpinalLevel

L = SpinalLevel
THREE_LEADS = [
    (1, L.L4, Side.LEFT, LeadState.ENABLED),
    (2, L.L5, Side.RIGHT, LeadState.DISABLED),
    (3, L.S1, Side.LEFT, LeadState.FAULT),
]


@pytest.fixture
def spinal_map(qtbot) -> SpinalMap:
    widget = SpinalMap()
    qtbot.addWidget(widget)
    widget.resize(300, 600)
    widget.set_leads(THREE_LEADS)
    widget.set_suggested([L.L4, L.L5, L.S1])
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _click(qtbot, widget: SpinalMap, rect: QRectF) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())


def _pixels(image: QImage, rect: QRectF) -> list[QColor]:
    box = rect.toAlignedRect().intersected(image.rect())
    rows, columns = range(box.top(), box.bottom() + 1), range(box.left(), box.right() + 1)
    return [image.pixelColor(x, y) for y in rows for x in columns]


@pytest.mark.parametrize("channel", [1, 2, 3])
def test_clicking_a_lead_emits_its_channel_and_selects_it(qtbot, spinal_map, channel):
    with qtbot.waitSignal(spinal_map.leadSelected, timeout=1000) as blocker:
        _click(qtbot, spinal_map, spinal_map.lead_rect(channel))
    assert blocker.args == [channel]
    assert spinal_map.selected() == channel


@pytest.mark.parametrize(
    ("level", "side"), [(L.T10, Side.LEFT), (L.L4, Side.RIGHT), (L.L5, Side.LEFT), (L.S2, Side.RIGHT)]
)
def test_clicking_an_empty_ganglion_reports_its_level_and_side(qtbot, spinal_map, level, side):
    with qtbot.waitSignal(spinal_map.ganglionClicked, timeout=1000) as blocker:
        _click(qtbot, spinal_map, spinal_map.ganglion_rect(level, side))
    assert blocker.args == [level, side]


def test_clicking_a_ganglion_that_holds_a_lead_selects_the_lead(qtbot, spinal_map):
    with qtbot.assertNotEmitted(spinal_map.ganglionClicked), qtbot.waitSignal(spinal_map.leadSelected) as blocker:
        _click(qtbot, spinal_map, spinal_map.ganglion_rect(L.L4, Side.LEFT))
    assert blocker.args == [1]


def test_clicking_bone_emits_nothing(qtbot, spinal_map):
    with qtbot.assertNotEmitted(spinal_map.ganglionClicked), qtbot.assertNotEmitted(spinal_map.leadSelected):
        body_centre = QPoint(150, round(spinal_map.level_rect(L.L2).center().y()))
        qtbot.mouseClick(spinal_map, Qt.MouseButton.LeftButton, pos=body_centre)


def test_posterior_view_puts_the_patients_left_on_the_screens_left(spinal_map):
    middle = spinal_map.width() / 2
    for level in SpinalLevel:
        left, right = spinal_map.ganglion_rect(level, Side.LEFT), spinal_map.ganglion_rect(level, Side.RIGHT)
        assert left.right() < middle < right.left()


def test_levels_run_head_to_foot_down_the_screen(spinal_map):
    tops = [spinal_map.ganglion_rect(level, Side.LEFT).top() for level in SpinalLevel]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)


def test_arrow_keys_walk_the_leads_and_enter_confirms(qtbot, spinal_map):
    spinal_map.setFocus()
    steps = [(Qt.Key.Key_Down, 1), (Qt.Key.Key_Down, 2), (Qt.Key.Key_Down, 3), (Qt.Key.Key_Down, 3), (Qt.Key.Key_Up, 2)]
    for key, expected in steps:
        qtbot.keyClick(spinal_map, key)
        assert spinal_map.selected() == expected
    qtbot.keyClick(spinal_map, Qt.Key.Key_Left)  # lead 2 is on the right; both others are on the left
    assert spinal_map.selected() in (1, 3)
    spinal_map.set_selected(3)
    qtbot.keyClick(spinal_map, Qt.Key.Key_Right)
    assert spinal_map.selected() == 2
    qtbot.keyClick(spinal_map, Qt.Key.Key_Right)  # nothing further right: stays
    assert spinal_map.selected() == 2
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Space):
        with qtbot.waitSignal(spinal_map.leadSelected, timeout=1000) as blocker:
            qtbot.keyClick(spinal_map, key)
        assert blocker.args == [2]


def test_enter_without_a_placed_selection_emits_nothing(qtbot, spinal_map):
    spinal_map.set_selected(4)  # a channel that is not on the map
    with qtbot.assertNotEmitted(spinal_map.leadSelected):
        qtbot.keyClick(spinal_map, Qt.Key.Key_Return)


def test_suggested_levels_are_reported_and_painted_in_their_band(spinal_map):
    assert spinal_map.suggested() == {L.L4, L.L5, L.S1}
    image = spinal_map.grab().toImage()
    for level in SpinalLevel:
        band = spinal_map.level_rect(level)
        edge = QRectF(band.left(), band.top(), 12, band.height())  # left margin: no bone, lead or label there
        painted = sum(pixel == SUGGESTED_BAND for pixel in _pixels(image, edge))
        if level in spinal_map.suggested():
            assert painted > 0.5 * edge.width() * edge.height(), level
        else:
            assert painted == 0, level


def _is_red(pixel: QColor) -> bool:
    return pixel.red() > 150 and pixel.green() < 80 and pixel.blue() < 80


def test_a_fault_lead_is_painted_red_and_a_healthy_one_is_not(spinal_map):
    image = spinal_map.grab().toImage()
    assert sum(map(_is_red, _pixels(image, spinal_map.lead_rect(3)))) > 50
    assert not any(map(_is_red, _pixels(image, spinal_map.lead_rect(1))))


def test_the_selected_lead_gets_a_frame(spinal_map):
    before = spinal_map.grab().toImage()
    spinal_map.set_selected(2)
    after = spinal_map.grab().toImage()
    frame = spinal_map.lead_rect(2).adjusted(-3, -3, 3, 3)
    assert _pixels(before, frame) != _pixels(after, frame)


def test_tooltips_name_the_lead_or_invite_placing_one(qtbot, spinal_map):
    assert spinal_map.tooltip_at(spinal_map.lead_rect(2).center()) == "Lead 2 · L5 right · disabled"
    assert spinal_map.tooltip_at(spinal_map.lead_rect(1).center()) == "Lead 1 · L4 left · enabled"
    assert (
        spinal_map.tooltip_at(spinal_map.ganglion_rect(L.L5, Side.LEFT).center())
        == "L5 left ganglion: click to place a lead"
    )
    point = spinal_map.lead_rect(3).center().toPoint()
    QApplication.sendEvent(spinal_map, QHelpEvent(QEvent.Type.ToolTip, point, spinal_map.mapToGlobal(point)))
    qtbot.waitUntil(lambda: QToolTip.text() == "Lead 3 · S1 left · fault: open or short impedance", timeout=1000)


def test_hovering_an_empty_ganglion_shows_a_pointing_hand(qtbot, spinal_map):
    qtbot.mouseMove(spinal_map, spinal_map.ganglion_rect(L.T11, Side.RIGHT).center().toPoint())
    qtbot.waitUntil(lambda: spinal_map.cursor().shape() == Qt.CursorShape.PointingHandCursor, timeout=1000)


def test_accessible_name_and_description_list_the_leads(spinal_map):
    assert spinal_map.objectName() == "spinalMap"
    assert spinal_map.accessibleName() == "Spinal map"
    description = spinal_map.accessibleDescription()
    assert "lead 1 at L4 left, enabled" in description
    assert "lead 3 at S1 left, fault" in description
    assert "Suggested levels: L4, L5, S1" in description
    spinal_map.set_leads([])
    assert "Leads placed: none" in spinal_map.accessibleDescription()


@pytest.mark.parametrize(
    "placements",
    [
        [(5, L.L4, Side.LEFT, LeadState.ENABLED)],
        [(1, L.L4, Side.LEFT, LeadState.ENABLED), (1, L.L5, Side.LEFT, LeadState.ENABLED)],
    ],
)
def test_impossible_placements_are_refused(spinal_map, placements):
    with pytest.raises(ValueError):
        spinal_map.set_leads(placements)
    assert len(spinal_map.leads()) == 3  # the map still shows what it showed


@pytest.mark.parametrize("size", [(220, 420), (300, 600), (420, 900)])
def test_everything_fits_and_nothing_overlaps_at_any_size(spinal_map, size):
    spinal_map.resize(*size)
    corners = [(L.T10, Side.LEFT), (L.T10, Side.RIGHT), (L.S2, Side.LEFT), (L.S2, Side.RIGHT)]
    spinal_map.set_leads([(ch, level, side, LeadState.UNKNOWN) for ch, (level, side) in enumerate(corners, 1)])
    area = QRectF(spinal_map.rect())
    rects = [spinal_map.lead_rect(ch) for ch in range(1, 5)]
    assert all(area.contains(rect) for rect in rects)
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    ganglia = [spinal_map.ganglion_rect(level, side) for level in SpinalLevel for side in Side]
    assert all(area.contains(rect) for rect in ganglia)
    assert not any(a.intersects(b) for i, a in enumerate(ganglia) for b in ganglia[i + 1 :])


def test_two_leads_on_one_ganglion_are_both_clickable(qtbot, spinal_map):
    spinal_map.set_leads([(1, L.L3, Side.LEFT, LeadState.ENABLED), (2, L.L3, Side.LEFT, LeadState.DISABLED)])
    assert not spinal_map.lead_rect(1).intersects(spinal_map.lead_rect(2))
    for channel in (1, 2):
        with qtbot.waitSignal(spinal_map.leadSelected, timeout=1000) as blocker:
            _click(qtbot, spinal_map, spinal_map.lead_rect(channel))
        assert blocker.args == [channel]
