"""The --simulate spec: one parser, one clear line for a bad spec, a distinct exit code."""

from __future__ import annotations

import subprocess

import pytest

from seller_studio.common.errors import ExitCode
from seller_studio.diagnostics.faults import (
    PLATFORM_FAULTS,
    STREAM_FAULTS,
    Fault,
    FaultSpecError,
    parse_simulate,
    parse_time_s,
)
from tests.helpers import SELLER_STUDIO


def test_the_issue_example_parses():
    faults = parse_simulate("net-drop@30s:20s,camera-lost@60s:10s,slow-uplink@90s:1500kbps,mic-lost@120s")
    assert faults == [
        Fault("net-drop", 30.0, 20.0),
        Fault("camera-lost", 60.0, 10.0),
        Fault("slow-uplink", 90.0, None, rate_kbps=1500.0),
        Fault("mic-lost", 120.0, None),
    ]


def test_units_and_platform_faults():
    assert parse_time_s("1m30s") == 90.0 and parse_time_s("500ms") == 0.5 and parse_time_s("2.5") == 2.5
    faults = parse_simulate("delayed-acks@10s:1500ms:20s, disconnect@5s", PLATFORM_FAULTS)
    assert faults == [Fault("disconnect", 5.0), Fault("delayed-acks", 10.0, 20.0, delay_ms=1500.0)]
    assert parse_simulate("slow-uplink@1s:2mbps:3s")[0] == Fault("slow-uplink", 1.0, 3.0, rate_kbps=2000.0)


@pytest.mark.parametrize("spec, words", [
    ("net-drop@30s", "needs a duration"),
    ("net-drop@3x:2s", "time '3x'"),
    ("wifi-gone@3s", "unknown kind 'wifi-gone'"),
    ("camera-lost", "missing '@TIME'"),
    ("slow-uplink@3s", "needs a rate"),
    ("slow-uplink@3s:fast", "rate 'fast'"),
    ("mic-lost@1s:2s:3s", "too many"),
    ("disconnect@1s", "unknown kind 'disconnect' here"),
    (" , ", "empty spec"),
])
def test_bad_specs_name_the_problem(spec, words):
    with pytest.raises(FaultSpecError) as info:
        parse_simulate(spec, STREAM_FAULTS)
    message = str(info.value)
    assert words in message and "\n" not in message and message.startswith("--simulate:")
    assert info.value.exit_code == ExitCode.BAD_SIMULATE_SPEC


@pytest.mark.parametrize("command", [["stream", "--record", "x.mkv"], ["sandbox", "--port", "0", "--rtmp-port", "0"]])
def test_cli_bad_spec_is_one_line_and_its_own_exit_code(tmp_path, command):
    proc = subprocess.run(SELLER_STUDIO + command + ["--simulate", "net-drop@oops"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == ExitCode.BAD_SIMULATE_SPEC, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("seller-studio: error:")]
    assert len(errors) == 1 and "--simulate" in errors[0] and "Traceback" not in proc.stderr
