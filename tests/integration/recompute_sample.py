"""Recompute an Actas audit sample from docs/audit.md section 1 alone.

An independent re-implementation for outsiders and for the test suite: standard
library only, does not import ``actas``. Reads one JSON request on stdin and
writes one JSON answer on stdout.

Request::

    {"seed": "...", "mode": "srs", "frame": ["id", ...], "k": 10}
    {"seed": "...", "mode": "stratified", "frame": {"id": "stratum", ...},
     "sizes": {"stratum": 3, ...}}
    {"seed": "...", "mode": "ppeb", "frame": {"id": "7/20" or 3, ...}, "n": 10,
     "start": 1}

Answer: ``{"seed": normalised seed, "frame_sha256": hex (srs and stratified),
"sample": [ids] or {"stratum": [ids]}}``.

Usage: ``python recompute_sample.py < request.json``
"""

from __future__ import annotations

import hashlib
import json
import sys
from fractions import Fraction

WHITESPACE = {0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D}


def normalise(seed: str) -> bytes:
    kept = [c for c in seed if ord(c) not in WHITESPACE]
    if not kept or any(not 0x21 <= ord(c) <= 0x7E for c in kept):
        raise SystemExit("bad seed")
    return "".join(kept).encode("ascii")


def check_id(s: str) -> bytes:
    b = s.encode("utf-8")
    if not b or any(not 0x21 <= c <= 0x7E for c in b):
        raise SystemExit(f"bad id or label {s!r}")
    return b


def sha_int(msg: bytes) -> int:
    return int.from_bytes(hashlib.sha256(msg).digest(), "big")


def ticket(seed: bytes, table_id: bytes, draw: int = 1) -> int:
    return sha_int(
        b"actas-audit-v1\nticket\n" + seed + b"\n" + table_id + b"\n" + str(draw).encode()
    )


def sorted_ids(ids: list[str]) -> list[bytes]:
    bs = sorted(check_id(i) for i in ids)  # bytes compare lexicographically, unsigned
    if len(set(bs)) != len(bs):
        raise SystemExit("duplicate id")
    return bs


def srs(seed: bytes, ids: list[bytes], k: int) -> list[bytes]:
    ranked = sorted(ids, key=lambda b: (ticket(seed, b), b))
    return ranked[:k]


def main() -> None:
    req = json.load(sys.stdin)
    seed = normalise(req["seed"])
    mode = req["mode"]
    out: dict[str, object] = {"seed": seed.decode("ascii")}
    if mode == "srs":
        ids = sorted_ids(req["frame"])
        out["frame_sha256"] = hashlib.sha256(b"".join(i + b"\n" for i in ids)).hexdigest()
        out["sample"] = [b.decode("ascii") for b in srs(seed, ids, int(req["k"]))]
    elif mode == "stratified":
        frame: dict[str, str] = req["frame"]
        ids = sorted_ids(list(frame))
        lines = [i + b" " + check_id(frame[i.decode("ascii")]) + b"\n" for i in ids]
        out["frame_sha256"] = hashlib.sha256(b"".join(lines)).hexdigest()
        result: dict[str, list[str]] = {}
        for label, size in req["sizes"].items():
            members = [i for i in ids if frame[i.decode("ascii")] == label]
            result[label] = [b.decode("ascii") for b in srs(seed, members, int(size))]
        out["sample"] = result
    elif mode == "ppeb":
        weights: dict[str, object] = req["frame"]
        ids = sorted_ids(list(weights))
        w = [Fraction(str(weights[i.decode("ascii")])) for i in ids]
        if any(x < 0 for x in w):
            raise SystemExit("negative weight")
        cumulative = []
        total = Fraction(0)
        for x in w:
            total += x
            cumulative.append(total)
        if total <= 0:
            raise SystemExit("all weights are zero")
        start = int(req.get("start", 1))
        drawn = []
        for j in range(start, start + int(req["n"])):
            r = sha_int(b"actas-audit-v1\nppeb\n" + seed + b"\n" + str(j).encode())
            u = Fraction(r, 2**256)
            # first i with u < C_i / T (linear scan: slow but obviously right)
            for i, c in enumerate(cumulative):
                if u < c / total:
                    drawn.append(ids[i].decode("ascii"))
                    break
        out["sample"] = drawn
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
