"""Electrode-tissue model, delivered waveform and scenario options of the simulator."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from drivers.sim.scenario import ContactRef, Scenario, ShortedPair
from drivers.sim.tissue import Tissue
from drivers.sim.waveform import LeadDrive, delivered_ua, render
from drivers.types import CASE, BatteryState, LeadConfig, Polarity

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF
SHORT, OPEN = 200, 4000  # the device's classification thresholds


def tissue(**options: str) -> Tissue:
    return Tissue(Scenario.from_query(options), lead_count=4, contacts_per_lead=4)


def pairs(lead: int) -> list[tuple[int, int, int]]:
    return [(lead, a, b) for a, b in itertools.combinations(range(1, 5), 2)]


# ---- impedance classes -------------------------------------------------------------------


def test_healthy_contacts_read_normal_on_every_pair_and_to_the_case():
    model = tissue(seed="7")
    for lead in range(1, 5):
        assert all(SHORT <= model.measure(*pair) <= OPEN for pair in pairs(lead))
        assert all(SHORT <= model.measure(lead, c, CASE) <= OPEN for c in range(1, 5))


def test_the_case_adds_about_100_ohm_to_one_contact():
    model = tissue()
    e = model.electrodes[ContactRef(1, 1)]
    readings = [model.measure(1, 1, CASE) for _ in range(50)]
    assert np.mean(readings) - e.rs_ohm == pytest.approx(100 + 1e-4 / (2 * e.cdl_f), abs=15)


def test_an_open_contact_reads_megaohms_on_every_measurement_it_is_in():
    model = tissue(open="2.3")
    involved = [p for p in pairs(2) if 3 in p[1:]] + [(2, 3, CASE)]
    assert all(5e6 * 0.99 <= model.measure(*p) <= 20e6 * 1.01 for p in involved)
    assert all(model.measure(*p) <= OPEN for p in pairs(2) if 3 not in p[1:])


def test_a_shorted_pair_reads_50_to_150_ohm_and_only_that_pair():
    model = tissue(short="3.1-4")
    assert 50 * 0.99 <= model.measure(3, 1, 4) <= 150 * 1.01
    assert model.measure(3, 4, 1) == pytest.approx(model.measure(3, 1, 4), rel=0.03)
    assert all(model.measure(*p) > SHORT for p in pairs(3) if p[1:] != (1, 4))


def test_an_intermittent_contact_reads_normal_or_open_at_random():
    model = tissue(intermittent="4.2", seed="3")
    readings = [model.measure(4, 1, 2) for _ in range(200)]
    opens = sum(r > OPEN for r in readings)
    assert 60 < opens < 140 and all(r > OPEN or SHORT <= r <= OPEN for r in readings)


def test_the_seed_fixes_the_tissue_and_a_new_seed_changes_it():
    assert tissue(seed="5").electrodes == tissue(seed="5").electrodes
    assert tissue(seed="5").electrodes != tissue(seed="6").electrodes
    values = tissue(seed="9").electrodes.values()
    assert all(400 <= e.rs_ohm <= 900 and 5e-6 <= e.cdl_f <= 20e-6 for e in values)


def test_a_fault_on_a_contact_that_does_not_exist_is_refused():
    with pytest.raises(ValueError, match="5.1"):
        tissue(open="5.1")


# ---- the load a lead drives ------------------------------------------------------------


def test_drive_path_puts_same_side_contacts_in_parallel():
    model = tissue()
    single = model.drive_path(LeadConfig(1, (M, P, O, O)))
    double = model.drive_path(LeadConfig(1, (M, P, M, P)))
    assert double.r_ohm < single.r_ohm and double.c_f > single.c_f
    e1, e2 = model.electrodes[ContactRef(1, 1)], model.electrodes[ContactRef(1, 2)]
    assert single.r_ohm == pytest.approx(e1.rs_ohm + e2.rs_ohm)
    assert single.c_f == pytest.approx(1 / (1 / e1.cdl_f + 1 / e2.cdl_f))


def test_faults_change_the_drive_path():
    assert tissue(open="1.1").drive_path(LeadConfig(1, (M, P, O, O))).r_ohm > 5e6
    assert tissue(short="1.1-2").drive_path(LeadConfig(1, (M, P, O, O))).r_ohm < 150


# ---- the delivered waveform -------------------------------------------------------------


def test_compliance_clips_the_current_so_the_peak_voltage_is_12_v():
    path = tissue(open="1.1").drive_path(LeadConfig(1, (M, P, O, O)))
    amplitude = delivered_ua(2000, 300, 20, path, 12.0)
    assert 0 < amplitude < 3
    current, voltage = render([LeadDrive(amplitude, 300, 20, path)], 0, 5000, 100_000)
    assert voltage.min() == pytest.approx(-12_000, abs=5)


def test_a_normal_load_gets_the_full_current_cathodic_first_and_balanced():
    path = tissue().drive_path(LeadConfig(1, (M, P, O, O)))
    assert delivered_ua(3000, 300, 50, path, 12.0) == 3000
    current, voltage = render([LeadDrive(3000.0, 300, 50, path)], 0, 2000, 100_000)  # one 20 ms period
    assert (current[0, :30] == -3000).all() and current[0, 30] > 0
    assert abs(int(current.astype(np.int64).sum())) < 0.01 * 3000 * 30
    assert voltage[0, 29] < voltage[0, 0] < 0  # the double layer charges during the phase


def test_idle_leads_render_zero():
    current, voltage = render([LeadDrive.idle()] * 3, 12345, 100, 10_000)
    assert current.shape == voltage.shape == (3, 100) and not current.any() and not voltage.any()


# ---- scenario options ------------------------------------------------------------------


def test_query_options_parse_into_a_scenario():
    scenario = Scenario.from_query(
        {
            "serial": "SIM-0007",
            "open": "1.1, 2.3",
            "short": "1.2,4.1-3",
            "intermittent": "3.4",
            "battery": "ERI",
            "impedance_ms": "2.5",
            "seed": "42",
        }
    )
    assert scenario == Scenario(
        "SIM-0007",
        (ContactRef(1, 1), ContactRef(2, 3)),
        (ShortedPair(1, 1, 2), ShortedPair(4, 1, 3)),
        (ContactRef(3, 4),),
        BatteryState.ERI,
        2.5,
        42,
    )
    assert Scenario.from_query({}) == Scenario()


@pytest.mark.parametrize(
    "params, names",
    [
        ({"opne": "1.1"}, "opne"),
        ({"open": "1"}, "open"),
        ({"short": "1.1"}, "1.1"),
        ({"short": "1.2-2"}, "1.2-2"),
        ({"battery": "low"}, "battery"),
        ({"impedance_ms": "-1"}, "impedance_ms"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_options_raise_value_error_naming_them(params, names):
    with pytest.raises(ValueError, match=names):
        Scenario.from_query(params)


def test_a_json_file_holds_the_same_options(tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"open": ["2.3", "1.1"], "battery": "eos", "seed": 3}))
    assert Scenario.from_file(path) == Scenario.from_query({"open": "2.3,1.1", "battery": "eos", "seed": "3"})
    path.write_text(json.dumps({"colour": "red"}))
    with pytest.raises(ValueError, match="colour"):
        Scenario.from_file(path)
