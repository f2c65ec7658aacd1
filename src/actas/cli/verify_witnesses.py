"""``actas verify --witness KEY … --quorum K``: the bundle's checkpoint has enough cosigners."""

from __future__ import annotations

from pathlib import Path

from actas.cli.support import out, print_json

__all__ = ["check_witnesses"]


def check_witnesses(
    bundle: Path, keys: list[str], quorum: int | None, *, as_json: bool = False
) -> None:
    """Print who cosigned the bundle's checkpoint; raise VerificationError below quorum."""
    from actas.app.witnessing import bundle_quorum
    from actas.core.errors import VerificationError

    result = bundle_quorum(bundle, keys, quorum)
    if as_json:
        print_json(
            {
                "quorum": result.quorum,
                "witnesses": [
                    {"name": w.name, "key": w.key, "timestamp": w.timestamp, "problem": w.problem}
                    for w in result.witnesses
                ],
            }
        )
    for w in result.witnesses:
        if w.ok:
            out.print(
                f"witness {w.name}: cosigned at time {w.timestamp}", highlight=False, soft_wrap=True
            )
        else:
            out.print(f"witness {w.name}: MISSING ({w.problem})", highlight=False, soft_wrap=True)
    if not result.ok:
        missing = ", ".join(f"{w.name} ({w.problem})" for w in result.missing)
        raise VerificationError(
            f"the checkpoint has {len(result.cosigned)} of the {result.quorum} cosignatures "
            f"required; missing: {missing}"
        )
    out.print(f"OK: {len(result.cosigned)} of {len(result.witnesses)} witnesses cosigned "
              f"(quorum {result.quorum})", highlight=False, soft_wrap=True)  # fmt: skip
