"""What the device link's MAC costs a command round trip (docs/protocol.md §7.1).

A sim:// link with no simulated USB latency (pyusb, the simulated backend and its firmware
thread: the real host code) runs READ_LEAD round trips through PulseGenerator.call, alternating
two ways, many times:
- sealed: as the product runs, the host seals the command and checks the reply's MAC, the
  device checks the command's MAC and counter and seals its reply;
- unsealed: the same command on the same link with the MAC work taken out at both ends (the
  client's unsealed path, and the device admitting it without a check), so the difference is
  the MAC alone.
Figure: p99 of sealed minus p99 of unsealed, target <= 0.2 ms; also p50 of both. Interleaving
the two keeps the machine's load the same for both.

Run: .venv/bin/python bench/link_mac.py [--tries 5000]
"""

from __future__ import annotations

import argparse
import time

from _harness import machine, percentiles, result

from drivers.links import open_link
from drivers.protocol.messages import LeadRef, MsgType

TARGET_MS = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5000)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    link = open_link("sim://0?pair=1&latency_ms=0")
    client, security = link.client, link.simulator.model.security
    sealed_admit = security.admit
    session = client.session
    sealed: list[float] = []
    unsealed: list[float] = []
    try:
        for n in range(args.tries * 2 + 200):
            plain = n % 2 == 1
            security.admit = (lambda frame, mtype: None) if plain else sealed_admit
            start = time.perf_counter()
            if plain:
                client._call(MsgType.READ_LEAD, LeadRef(1), 500, None)
            else:
                client._call(MsgType.READ_LEAD, LeadRef(1), 500, session)
            elapsed = (time.perf_counter() - start) * 1e3
            if n >= 200:  # warm-up
                (unsealed if plain else sealed).append(elapsed)
    finally:
        security.admit = sealed_admit
        link.close()
    with_mac, without = percentiles(sealed), percentiles(unsealed)
    added = with_mac["p99"] - without["p99"]
    print(
        f"READ_LEAD round trip, {args.tries} each: sealed p50 {with_mac['p50']:.3f} ms p99 {with_mac['p99']:.3f} ms; "
        f"unsealed p50 {without['p50']:.3f} ms p99 {without['p99']:.3f} ms; the MAC adds {added:.3f} ms at p99 "
        f"({with_mac['p50'] - without['p50']:.3f} ms at p50)"
    )
    result(
        "link_mac",
        mac_added_p99_ms=max(added, 0.0),
        target_mac_added_p99_ms=TARGET_MS,
        sealed_p99_ms=with_mac["p99"],
        unsealed_p99_ms=without["p99"],
        sealed_p50_ms=with_mac["p50"],
        unsealed_p50_ms=without["p50"],
    )


if __name__ == "__main__":
    main()
