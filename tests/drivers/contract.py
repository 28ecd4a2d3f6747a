"""The pulse-generator contract: one suite every link must pass.

Like python-can's back-to-back suite, it is written against the public
client API only, so the same tests run through pyusb against the simulator
(test_contract_sim.py) and against a real device (test_contract_usb.py,
enabled by DRG_TEST_LINK=usb://SERIAL). Each test leaves every output off.
"""

from __future__ import annotations

import time

import pytest

from drivers.errors import DeviceRefused
from drivers.protocol.status import Status
from drivers.telemetry import TelemetryReceiver
from drivers.types import EventCode, ImpedanceMode, LeadConfig, Polarity, Program, SelfTestItem

P, M, O = Polarity.ANODE, Polarity.CATHODE, Polarity.OFF


def bipole(lead: int, **values) -> LeadConfig:
    return LeadConfig(lead, (P, M, O, O), **values)


class PulseGeneratorContract:
    """Subclasses provide a `link` fixture yielding an open drivers.links.Link."""

    @pytest.fixture
    def pg(self, link):
        client = link.client
        yield client
        client.stop_all()

    @pytest.fixture
    def caps(self, pg):
        return pg.capabilities()

    def ready_lead(self, pg, lead: int = 1, amplitude_ua: int = 0) -> LeadConfig:
        """A lead on a measured bipole, stimulating at amplitude_ua."""
        pg.write_lead(bipole(lead, pulse_width_us=200, frequency_hz=20, patient_max_ua=3000))
        pg.measure_impedance(ImpedanceMode.LEAD_PAIR, lead)
        pg.set_stimulation(lead, True)
        return pg.set_amplitude(lead, amplitude_ua) if amplitude_ua else pg.read_lead(lead)

    def test_identity_names_the_device(self, pg):
        ident = pg.identify()
        assert ident.model and ident.serial and ident.firmware and ident.hardware_rev

    def test_capabilities_are_consistent(self, caps):
        assert caps.lead_count >= 1 and caps.contacts_per_lead == 4
        uppers = [b.upper_ua for b in caps.amplitude_bands]
        assert uppers == sorted(uppers) and all(b.step_ua > 0 for b in caps.amplitude_bands)
        assert caps.pulse_width_min_us < caps.pulse_width_max_us
        assert caps.frequency_min_hz < caps.frequency_max_hz
        assert caps.contact_area_cm2 > 0 and caps.compliance_mv > 0
        assert caps.impedance_short_ohm < caps.impedance_open_ohm

    def test_battery_reports_a_state(self, pg):
        status = pg.battery()
        assert 0 <= status.percent <= 100 and status.voltage_mv > 0

    def test_every_lead_reads_back(self, pg, caps):
        leads = [pg.read_lead(n) for n in range(1, caps.lead_count + 1)]
        assert [c.lead for c in leads] == list(range(1, caps.lead_count + 1))
        assert all(len(c.contacts) == caps.contacts_per_lead for c in leads)

    def test_written_lead_reads_back(self, pg):
        written = pg.write_lead(bipole(2, pulse_width_us=300, frequency_hz=40, patient_max_ua=2500))
        assert pg.read_lead(2) == written
        assert (written.pulse_width_us, written.frequency_hz, written.patient_max_ua) == (300, 40, 2500)

    def test_changing_contacts_disables_the_lead_and_zeroes_amplitude(self, pg):
        self.ready_lead(pg, 1, 500)
        after = pg.write_lead(LeadConfig(1, (M, P, O, O), 500, 200, 20, True, 3000))
        assert (after.enabled, after.amplitude_ua) == (False, 0)
        assert pg.read_lead(1) == after

    def test_enabling_needs_an_impedance_measurement(self, pg):
        pg.write_lead(bipole(3, patient_max_ua=3000))
        with pytest.raises(DeviceRefused) as refused:
            pg.set_stimulation(3, True)
        assert refused.value.status == Status.IMPEDANCE_REQUIRED
        pg.measure_impedance(ImpedanceMode.LEAD_PAIR, 3)
        assert pg.set_stimulation(3, True).enabled

    @pytest.mark.parametrize(
        "field, value, status",
        [
            ("amplitude_ua", 7000, Status.OUT_OF_RANGE),
            ("amplitude_ua", 1010, Status.OFF_STEP),
            ("pulse_width_us", 30, Status.OUT_OF_RANGE),
            ("pulse_width_us", 205, Status.OFF_STEP),
            ("frequency_hz", 101, Status.OUT_OF_RANGE),
            ("frequency_hz", 21, Status.OFF_STEP),
        ],
    )
    def test_out_of_range_and_off_step_values_are_refused(self, pg, field, value, status):
        before = pg.read_lead(1)
        with pytest.raises(DeviceRefused) as refused:
            pg.write_lead(bipole(1, patient_max_ua=6000).with_(**{field: value}))
        assert refused.value.status == status and refused.value.detail
        assert pg.read_lead(1) == before

    def test_amplitude_above_patient_max_is_refused(self, pg):
        self.ready_lead(pg, 1)
        with pytest.raises(DeviceRefused) as refused:
            pg.set_amplitude(1, 3050)
        assert refused.value.status == Status.ABOVE_PATIENT_MAX
        assert pg.read_lead(1).amplitude_ua == 0

    def test_charge_density_beyond_shannon_is_refused(self, pg):
        pg.write_lead(bipole(1, pulse_width_us=720, patient_max_ua=6000))
        with pytest.raises(DeviceRefused) as refused:
            pg.set_amplitude(1, 6000)
        assert refused.value.status == Status.CHARGE_DENSITY

    def test_stop_all_turns_every_output_off(self, pg, caps):
        self.ready_lead(pg, 1, 300)
        self.ready_lead(pg, 2, 300)
        pg.stop_all()
        assert not any(pg.read_lead(n).enabled for n in range(1, caps.lead_count + 1))

    def test_program_commits_and_reads_back(self, pg, caps):
        leads = tuple(
            bipole(n, amplitude_ua=100 * n, pulse_width_us=200, frequency_hz=20, patient_max_ua=2000)
            for n in range(1, caps.lead_count + 1)
        )
        committed = pg.write_program(Program("Contract", leads))
        assert committed == Program("Contract", leads) == pg.read_program()

    def test_refused_program_leaves_the_stored_one(self, pg, caps):
        before = pg.read_program()
        bad = (bipole(1, amplitude_ua=3000, patient_max_ua=2000),)
        with pytest.raises(DeviceRefused):
            pg.write_program(Program("Too strong", bad))
        assert pg.read_program() == before

    @pytest.mark.parametrize("mode, per_lead", [(ImpedanceMode.CONTACT_TO_CASE, 4), (ImpedanceMode.CONTACT_PAIRS, 6)])
    def test_impedance_covers_every_contact(self, pg, mode, per_lead):
        result = pg.measure_impedance(mode, 1)
        assert result.mode == mode and len(result.measurements) == per_lead
        assert all(m.lead == 1 and m.ohms > 0 for m in result.measurements)

    def test_lead_pair_impedance_uses_the_configured_pair(self, pg):
        pg.write_lead(LeadConfig(2, (O, P, O, M), patient_max_ua=3000))
        (m,) = pg.measure_impedance(ImpedanceMode.LEAD_PAIR, 2).measurements
        assert (m.lead, {m.contact_a, m.contact_b}) == (2, {2, 4})

    def test_telemetry_streams_the_requested_leads_and_rate(self, pg, link):
        self.ready_lead(pg, 1, 500)
        actual = pg.start_telemetry(10_000, (1, 2))
        receiver = TelemetryReceiver(link.transport)
        receiver.start()
        blocks: list = []
        try:
            deadline = time.monotonic() + 5
            while sum(b.n_samples for b in blocks) < 2_000 and time.monotonic() < deadline:
                blocks += receiver.drain()  # until 0.2 s of samples arrived, not for a fixed time
                time.sleep(0.01)
        finally:
            pg.stop_telemetry()
            receiver.stop()
        assert actual.rate_hz == 10_000 and blocks
        assert all(b.leads == (1, 2) and b.rate_hz == 10_000 for b in blocks)
        assert sum(b.n_samples for b in blocks) >= 2_000
        assert min(b.current_ua[0].min() for b in blocks) < -400  # lead 1 cathodic phase delivered

    def test_event_log_records_output_changes(self, pg):
        before = len(pg.read_all_events())
        self.ready_lead(pg, 1, 200)
        events = pg.read_all_events()
        assert len(events) > before
        assert [e.index for e in events] == sorted(e.index for e in events)

    def test_keepalive_is_answered(self, pg):
        pg.keepalive()

    def test_self_test_answers_every_check_and_logs_it(self, pg):
        before = len(pg.read_all_events())
        report = pg.self_test()
        assert [c.check for c in report.checks] == list(SelfTestItem)
        assert all(c.detail and c.expected_min <= c.expected_max for c in report.checks)
        events = pg.read_all_events()
        assert len(events) == before + 1 and events[-1].code == EventCode.SELF_TEST
