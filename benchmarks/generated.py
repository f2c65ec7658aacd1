"""Generated elections for the benchmarks: a million tables of ``ve-2024`` shape.

Table ids walk states 01-24, municipalities, parishes, centres and tables in order,
so every level has many regions; the counts are seeded, so every run is the same.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from actas.adapters.store.sql import pack_votes

__all__ = ["results_csv", "table_ids", "table_result_rows"]


def table_ids(n: int) -> Iterator[str]:
    """``n`` well-formed ``ve-2024`` table ids (at most 24·30·14·30·10 = 3,024,000)."""
    i = 0
    for state in range(1, 25):
        for mun in range(1, 31):
            for par in range(1, 15):
                for centre in range(1, 31):
                    for mesa in range(1, 11):
                        if i >= n:
                            return
                        yield f"{state:02d}{mun:02d}{par:02d}{centre:03d}.{mesa:02d}"
                        i += 1


def table_result_rows(n: int, k: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` rows of ``table_results`` (single readings, ``k`` candidates), as an import
    would leave them; ``votes_list`` holds the votes as a list (not a column)."""
    rnd = random.Random(seed)
    rows = []
    for i, table_id in enumerate(table_ids(n)):
        votes = [rnd.randint(0, 300) for _ in range(k)]
        rows.append(
            {
                "table_id": table_id,
                "status": "single",
                "registered": 700,
                "null_votes": 3,
                "votes": pack_votes(votes),
                "counts": None,
                "votes_list": votes,
                "seqs": str(i),
                "agreeing": 1,
                "channels": "bench",
                "differing": "",
            }
        )
    return rows


def results_csv(path: Path, n: int, seed: int = 7) -> int:
    """Write a results file of ``n`` rows in the opposition's V1 layout (``cvzla``
    format: UTF-8 with BOM, CRLF) for generated tables; returns its row count."""
    rnd = random.Random(seed)
    header = (
        "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,"
        "EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA,URL"
    )
    rows = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(header + "\r\n")
        for table_id in table_ids(n):
            centre, mesa = table_id.split(".")
            votes = [rnd.randint(0, 300) for _ in range(10)]
            null = rnd.randint(0, 5)
            registered = sum(votes) + null + rnd.randint(100, 900)
            fh.write(
                f"{int(centre[:2])},ESTADO {centre[:2]},{int(centre[2:4])},MUNICIPIO {centre[:4]},"
                f"{int(centre[4:6])},PARROQUIA {centre[:6]},{int(centre)},{int(mesa)},"
                f"{registered},{sum(votes)},{null},{','.join(map(str, votes))},"
                f"https://example.org/actas/{centre}{mesa}.jpg\r\n"
            )
            rows += 1
    return rows
