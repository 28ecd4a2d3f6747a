"""Behaviour of the records store on every configured database (see conftest.py)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timezone

import pytest
import sqlalchemy as sa

from drivers.types import (
    ImpedanceMeasurement,
    ImpedanceMode,
    ImpedanceResult,
    LeadConfig,
    Polarity,
    Program,
)
from workstation.events import EventKind
from workstation.models import (
    ImpedanceClass,
    ImpedanceThresholds,
    LeadPlacement,
    Note,
    PainScore,
    PainTiming,
    Sensation,
    SessionState,
    Side,
    SpinalLevel,
    StimulusResponse,
)
from workstation.records import (
    ClosedSessionError,
    DuplicateRecordNumber,
    RecordNotFound,
)

P, N, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
THRESHOLDS = ImpedanceThresholds(short_below_ohm=200, open_above_ohm=4000)
IMPLANTED = date(2024, 3, 1)


def bipole_response(lead: int = 1, perception: int = 400) -> StimulusResponse:
    return StimulusResponse(
        lead=lead,
        contacts=(P, N, O, O),
        pulse_width_us=300,
        frequency_hz=20,
        sensation=Sensation.TINGLING,
        paresthesia_free=False,
        body_regions=("left knee",),
        perception_threshold_ua=perception,
        comfortable_ua=perception + 200,
        max_tolerable_ua=perception + 600,
    )


def impedance(lead: int, ohms: int, pair: tuple[int, int] = (1, 2)) -> ImpedanceResult:
    return ImpedanceResult(ImpedanceMode.CONTACT_PAIRS, (ImpedanceMeasurement(lead, pair[0], pair[1], ohms),))


def program(name: str, amplitude_ua: int) -> Program:
    lead = LeadConfig(1, (P, N, O, O), amplitude_ua, 300, 20, True, amplitude_ua + 200)
    return Program(name, (lead, LeadConfig(2, (O, O, O, O))))


@pytest.fixture
def new_session(store, patient, identity, capabilities):
    """Opens another session of `patient` (or of the patient given)."""

    def _open(patient_id: int | None = None):
        return store.open_session(patient_id or patient.id, identity, capabilities, "Dr Deer")

    return _open


# -- patients -------------------------------------------------------------


def test_patients_are_found_by_name_or_record_number_after_reopen(store, patient, reopen):
    other = store.add_patient("Grace Hopper", date(1956, 12, 9), "MRN-0002")

    again = reopen()

    assert again.get_patient(patient.id) == patient
    assert again.find_patients("HOPPER") == [other]
    assert again.find_patients("mrn-0001") == [patient]
    assert again.find_patients() == [patient, other]  # by name
    assert again.find_patients("100%") == []  # wildcards are literal


def test_a_record_number_belongs_to_one_patient(store, patient):
    with pytest.raises(DuplicateRecordNumber, match="MRN-0001"):
        store.add_patient("Someone Else", date(1980, 1, 1), " MRN-0001 ")


def test_an_invalid_patient_is_not_saved(store):
    with pytest.raises(ValueError, match="name is missing"):
        store.add_patient("  ", date(1980, 1, 1), "MRN-9")
    assert store.find_patients() == []


def test_unknown_ids_raise_record_not_found(store):
    with pytest.raises(RecordNotFound):
        store.get_patient(999)
    with pytest.raises(RecordNotFound):
        store.get_session(999)
    with pytest.raises(RecordNotFound):
        store.log_event(999, "note_added", {}, "ok")


# -- sessions and events ----------------------------------------------------


def test_open_session_records_the_device_as_reported(store, session, identity, capabilities, reopen):
    assert session.state is SessionState.OPEN
    assert session.device_serial == identity.serial

    again = reopen()

    assert again.get_session(session.id) == session
    device = again.session_device(session.id)
    assert (device.identity, device.capabilities) == (identity, capabilities)
    [opened] = again.session_events(session.id)
    assert (opened.kind, opened.seq) == (EventKind.SESSION_OPENED.value, 1)


def test_the_same_device_is_stored_once_and_a_new_firmware_again(store, patient, identity, capabilities):
    first = store.open_session(patient.id, identity, capabilities, "Dr A")
    second = store.open_session(patient.id, identity, capabilities, "Dr B")
    updated = store.open_session(patient.id, replace(identity, firmware="1.1.0"), capabilities, "Dr C")
    with store._engine.connect() as conn:  # checking the table itself
        assert conn.scalar(sa.text("SELECT count(*) FROM devices")) == 2
    assert store.session_device(updated.id).identity.firmware == "1.1.0"
    assert store.session_device(first.id) == store.session_device(second.id)


def test_logged_events_are_kept_in_order_after_reopen(store, session, reopen):
    ids = [store.log_event(session.id, "set_amplitude", {"lead": 1, "ua": ua}, "ok") for ua in (25, 50, 75)]
    refused = store.log_event(session.id, "set_amplitude", {"lead": 1, "ua": 9000}, "refused")

    again = reopen()

    events = again.session_events(session.id)
    assert [e.id for e in events[1:]] == [*ids, refused]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[2].payload == {"lead": 1, "ua": 50}
    assert events[-1].outcome == "refused"
    assert all(e.time.tzinfo is timezone.utc for e in events)
    assert [e.time for e in events] == sorted(e.time for e in events)
    assert again.get_session(session.id).state is SessionState.ACTIVE  # first write activates


def test_a_payload_that_is_not_json_is_refused_before_writing(store, session):
    with pytest.raises(ValueError, match="JSON"):
        store.log_event(session.id, "note_added", {"value": object()}, "ok")
    assert len(store.session_events(session.id)) == 1
    assert store.get_session(session.id).state is SessionState.OPEN


def test_events_from_two_threads_get_distinct_consecutive_seqs(store, session):
    def log_many(thread: int) -> None:
        for i in range(40):
            store.log_event(session.id, "note_added", {"thread": thread, "i": i}, "ok")

    threads = [threading.Thread(target=log_many, args=(t,)) for t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    events = store.session_events(session.id)
    assert [e.seq for e in events] == list(range(1, 82))
    for thread in range(2):
        mine = [e.payload["i"] for e in events if e.payload.get("thread") == thread]
        assert mine == list(range(40))


def test_session_events_are_append_only_in_the_database(store, session):
    with store._engine.connect() as conn:  # bypassing the store on purpose
        for statement in ("UPDATE session_events SET outcome = 'x'", "DELETE FROM session_events"):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                with conn.begin():
                    conn.execute(sa.text(statement))
    assert [e.outcome for e in store.session_events(session.id)] == ["recorded"]


# -- lifecycle ----------------------------------------------------------------


def test_unclosed_sessions_are_offered_newest_first_and_resumed(store, new_session, reopen):
    closed, active, untouched = new_session(), new_session(), new_session()
    store.log_event(active.id, "measure_impedance", {}, "ok")
    store.close_session(closed.id)

    again = reopen()

    assert [s.id for s in again.unclosed_sessions()] == [untouched.id, active.id]
    resumed = again.resume_session(untouched.id)
    assert resumed.state is SessionState.ACTIVE
    assert again.session_events(untouched.id)[-1].kind == EventKind.SESSION_RESUMED.value
    with pytest.raises(ClosedSessionError):
        again.resume_session(closed.id)


def test_closing_sets_the_end_and_logs_it(store, session):
    closed = store.close_session(session.id)
    assert closed.state is SessionState.CLOSED
    assert closed.ended is not None and closed.ended >= closed.started
    assert store.session_events(session.id)[-1].kind == EventKind.SESSION_CLOSED.value
    assert store.unclosed_sessions() == []


WRITES = {
    "log_event": lambda s, sid: s.log_event(sid, "note_added", {}, "ok"),
    "record_impedance": lambda s, sid: s.record_impedance(sid, impedance(1, 900), THRESHOLDS),
    "record_placement": lambda s, sid: s.record_placement(sid, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, IMPLANTED)),
    "record_response": lambda s, sid: s.record_response(sid, bipole_response()),
    "record_pain_score": lambda s, sid: s.record_pain_score(sid, PainScore(3, PainTiming.AFTER)),
    "add_note": lambda s, sid: s.add_note(sid, Note("late entry")),
    "save_program": lambda s, sid: s.save_program(sid, program("P1", 400), True, True),
    "close_session": lambda s, sid: s.close_session(sid),
    "resume_session": lambda s, sid: s.resume_session(sid),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_closed_session_refuses_every_write(store, session, write):
    store.close_session(session.id)
    before = store.session_events(session.id)

    with pytest.raises(ClosedSessionError, match="correction"):
        write(store, session.id)

    assert store.session_events(session.id) == before


def test_a_correction_references_the_event_and_leaves_it_unchanged(store, session, reopen):
    wrong = store.record_pain_score(session.id, PainScore(7, PainTiming.BEFORE))
    store.close_session(session.id)

    correction = store.add_correction(wrong, "Patient said 5, typed 7", {"nrs": 5})
    again = reopen()

    [trail] = again.corrections_of(wrong)
    assert trail.id == correction
    assert trail.references_event_id == wrong
    assert trail.kind == EventKind.CORRECTION.value
    assert trail.payload == {"reason": "Patient said 5, typed 7", "corrected": {"nrs": 5}}
    events = again.session_events(session.id)
    assert events[-1] == trail  # appended to the corrected event's session, after the close
    original = next(e for e in events if e.id == wrong)
    assert original.payload == {"nrs": 7, "when": "BEFORE", "vas_mm": None}
    assert again.get_session(session.id).state is SessionState.CLOSED


def test_a_correction_needs_a_reason_and_an_existing_event(store, session):
    with pytest.raises(ValueError, match="reason"):
        store.add_correction(store.log_event(session.id, "note_added", {}, "ok"), " ")
    with pytest.raises(RecordNotFound):
        store.add_correction(12345, "typo")


# -- clinical records and history queries ---------------------------------------


def test_sessions_of_a_patient_newest_first(store, patient, new_session):
    other = store.add_patient("Grace Hopper", date(1956, 12, 9), "MRN-0002")
    mine = [new_session() for _ in range(3)]
    new_session(other.id)

    assert [s.id for s in store.sessions_of(patient.id)] == [s.id for s in reversed(mine)]


def test_impedance_history_of_one_contact_pair_across_sessions(store, patient, new_session, reopen):
    other = store.add_patient("Grace Hopper", date(1956, 12, 9), "MRN-0002")
    for ohms in (5200, 1100, 150):
        sid = new_session().id
        store.record_impedance(sid, impedance(2, ohms), THRESHOLDS)
        store.record_impedance(sid, impedance(2, 999, pair=(3, 4)), THRESHOLDS)
        store.record_impedance(sid, impedance(1, 999), THRESHOLDS)
    store.record_impedance(new_session(other.id).id, impedance(2, 999), THRESHOLDS)

    history = reopen().impedance_history(patient.id, lead=2, contact_a=1, contact_b=2)

    assert [(p.ohms, p.impedance_class) for p in history] == [
        (5200, ImpedanceClass.OPEN),
        (1100, ImpedanceClass.NORMAL),
        (150, ImpedanceClass.SHORT),
    ]
    assert all(p.mode is ImpedanceMode.CONTACT_PAIRS for p in history)
    assert [p.time for p in history] == sorted(p.time for p in history)


def test_an_impedance_sweep_is_one_event_with_every_measurement(store, session):
    sweep = ImpedanceResult(
        ImpedanceMode.LEAD_PAIR,
        tuple(ImpedanceMeasurement(lead, 1, 2, 1000 + lead) for lead in range(1, 5)),
    )
    event_id = store.record_impedance(session.id, sweep, THRESHOLDS)

    event = store.session_events(session.id)[-1]
    assert event.id == event_id
    assert event.payload["thresholds"] == {"short_below_ohm": 200, "open_above_ohm": 4000}
    assert [m["ohms"] for m in event.payload["measurements"]] == [1001, 1002, 1003, 1004]


def test_programs_over_time_keep_their_write_and_verify_flags(store, patient, new_session, reopen):
    first, second = new_session(), new_session()
    store.save_program(first.id, program("Knee", 400), written=True, verified=True)
    store.save_program(second.id, program("Knee", 600), written=True, verified=False, mismatch="lead 1 amplitude")
    store.save_program(second.id, program("Draft", 800), written=False, verified=False)

    history = reopen().program_history(patient.id)

    assert [h.program for h in history] == [
        program("Knee", 400),
        program("Knee", 600),
        program("Draft", 800),
    ]
    assert [(h.written, h.verified, h.mismatch) for h in history] == [
        (True, True, None),
        (True, False, "lead 1 amplitude"),
        (False, False, None),
    ]
    assert [h.session_id for h in history] == [first.id, second.id, second.id]


def test_a_program_cannot_be_verified_without_being_written(store, session):
    with pytest.raises(ValueError, match="written"):
        store.save_program(session.id, program("P", 100), written=False, verified=True)
    with pytest.raises(ValueError, match="mismatch"):
        store.save_program(session.id, program("P", 100), True, True, mismatch="amp")


def test_thresholds_are_filed_under_the_lead_placement_in_force(store, patient, new_session, reopen):
    first = new_session().id
    store.record_response(first, bipole_response(lead=1, perception=100))  # not yet placed
    store.record_placement(first, LeadPlacement(1, SpinalLevel.L4, Side.LEFT, IMPLANTED))
    store.record_placement(first, LeadPlacement(2, SpinalLevel.L1, Side.RIGHT, IMPLANTED))
    store.record_response(first, bipole_response(lead=1, perception=400))
    store.record_response(first, bipole_response(lead=2, perception=700))
    second = new_session().id
    store.record_response(second, bipole_response(lead=1, perception=450))
    store.record_placement(second, LeadPlacement(1, SpinalLevel.L5, Side.LEFT, IMPLANTED))
    store.record_response(second, bipole_response(lead=1, perception=300))

    again = reopen()
    history = again.threshold_history(patient.id)

    assert [(p.level, p.side, p.response.perception_threshold_ua) for p in history] == [
        (SpinalLevel.L1, Side.RIGHT, 700),
        (SpinalLevel.L4, Side.LEFT, 400),
        (SpinalLevel.L4, Side.LEFT, 450),
        (SpinalLevel.L5, Side.LEFT, 300),
    ]
    assert history[1].response == bipole_response(lead=1, perception=400)
    only_l4 = again.threshold_history(patient.id, SpinalLevel.L4)
    assert [p.session_id for p in only_l4] == [first, second]
    assert again.current_placements(patient.id) == {
        1: LeadPlacement(1, SpinalLevel.L5, Side.LEFT, IMPLANTED),
        2: LeadPlacement(2, SpinalLevel.L1, Side.RIGHT, IMPLANTED),
    }


def test_pain_scores_and_notes_are_in_the_session_log_after_reopen(store, session, reopen):
    before = store.record_pain_score(session.id, PainScore(8, PainTiming.BEFORE))
    note = store.add_note(session.id, Note("Knee pain mostly at night."))

    events = {e.id: e for e in reopen().session_events(session.id)}

    assert events[before].kind == EventKind.PAIN_SCORE_RECORDED.value
    assert events[before].payload == {"nrs": 8, "when": "BEFORE", "vas_mm": None}
    assert events[note].payload == {"text": "Knee pain mostly at night."}
