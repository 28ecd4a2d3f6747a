"""`drg-field`, the field engineer's command line: each command on a faulty simulator, its
output, its files and its exit status."""

from __future__ import annotations

import csv
import zipfile

import pytest

from drivers.capture import read_pcap
from drivers.protocol.frame import decode_frame
from drivers.protocol.messages import MsgType
from drivers.sim.security import AuthRefusal
from drivers.types import DeviceEvent, EventCode
from workstation.devicelog import AUTH_REFUSALS, describe, severity
from workstation.fieldtool import FAULT, HEALTHY, main

FAULTY = "sim://0?magnet=held&latency_ms=0&impedance_ms=0&open=2.3&short=1.2"
HEALTHY_SIM = "sim://0?magnet=held&latency_ms=0&impedance_ms=0"


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch):
    """drg-field keeps the link keys it pairs in the user's data folder: a temporary one here."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_diagnose_prints_the_conclusions_and_saves_them(tmp_path, capsys):
    out = tmp_path / "diag.csv"
    assert main(["--link", FAULTY, "diagnose", "--csv", str(out)]) == FAULT
    text = capsys.readouterr().out
    assert "lead 2 contact 3 open" in text and "lead 1 contacts 1-2 shorted" in text
    assert "Device: DRG-SIM-4, serial SIM-0001, firmware 1.0.0" in text
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert len(rows) == 16 and {r["device_serial"] for r in rows} == {"SIM-0001"}
    assert next(r for r in rows if (r["lead"], r["contact"]) == ("2", "3"))["case_reading"] == "> 4000 Ω"
    assert out.with_suffix(".txt").exists()
    assert main(["--link", HEALTHY_SIM, "diagnose", "--rounds", "1"]) == HEALTHY


def test_self_test_and_events(tmp_path, capsys):
    assert (
        main(["--link", "sim://0?magnet=held&latency_ms=0&clock=drift", "self-test", "--csv", str(tmp_path / "st.csv")])
        == FAULT
    )
    assert "CLOCK             FAIL" in capsys.readouterr().out
    assert main(["--link", HEALTHY_SIM, "events"]) == HEALTHY
    out = capsys.readouterr().out
    assert "Powered on." in out and "Authenticated session opened (key " in out
    assert "Event code" not in out  # every code the device logs has its sentence
    assert set(AUTH_REFUSALS) == set(AuthRefusal)  # and every reason of an authentication refusal


def test_a_refusal_for_want_of_a_session_is_expected_a_bad_mac_is_not():
    def refused(reason: AuthRefusal) -> DeviceEvent:
        return DeviceEvent(7, 1000, EventCode.AUTH_REFUSED, MsgType.READ_LEAD, reason)

    replug, forged = refused(AuthRefusal.NO_SESSION), refused(AuthRefusal.BAD_MAC)
    assert describe(replug) == (
        "Command READ_LEAD refused: no session was open (after a reset or a replug: the host authenticates again)."
    )
    assert (severity(replug), severity(forged)) == ("info", "warning")


def test_capture_writes_a_pcap_with_telemetry(tmp_path, capsys):
    out = tmp_path / "c.pcap"
    assert main(["--link", HEALTHY_SIM, "capture", "--seconds", "0.5", "--telemetry", "--out", str(out)]) == HEALTHY
    assert "wireshark -X lua_script:" in capsys.readouterr().out
    frames = [decode_frame(p.data) for p in read_pcap(out.read_bytes()) if p.xfer == 3 and p.data]
    assert frames[0].type == MsgType.IDENTIFY  # from the link's opening
    assert any(f.type == MsgType.TELEMETRY_BLOCK for f in frames)


def test_bundle(tmp_path, capsys):
    out = tmp_path / "b.zip"
    assert main(["--link", FAULTY, "bundle", "--out", str(out)]) == FAULT
    with zipfile.ZipFile(out) as bundle:
        assert {"capture.pcap", "lead-diagnosis.csv", "self-test.csv", "device-log.csv"} <= set(bundle.namelist())


def test_a_link_that_cannot_open_is_told(capsys):
    assert main(["--link", "usb://NO-SUCH-DEVICE", "events"]) == 2
    assert "drg-field:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad",
    [
        ["--seconds", "nan"],
        ["--seconds", "inf"],
        ["--seconds", "0"],
        ["--seconds", "-1"],
        ["--seconds", "x"],
        ["--max-mb", "0"],
        ["--max-mb", "-5"],
        ["--max-mb", "1e9"],
        ["--max-mb", "99999"],
    ],
)
def test_capture_refuses_bad_durations_and_sizes_before_opening_anything(bad, tmp_path, capsys):
    out = tmp_path / "c.pcap"
    with pytest.raises(SystemExit) as exit_:
        main(["--link", HEALTHY_SIM, "capture", *bad, "--out", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "must be above 0" in err or "is not a number" in err
    assert not out.exists()
