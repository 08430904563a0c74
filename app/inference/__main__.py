"""``python -m app.inference encoder|evidence ...``: one export and its check, in a process of its own
(``artifacts._export_in_child``), so that PyTorch is loaded only here. Errors: one line, exit 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.inference import artifacts


def main(argv: list[str]) -> int:
    artifacts._exporting_here = True
    try:
        if argv[0] == "encoder":
            model_path, cache_dir, variant, tolerance = argv[1:]
            artifacts.encoder_graph(Path(model_path), Path(cache_dir), artifacts.Variant(variant), float(tolerance))
        elif argv[0] == "evidence":
            from app.mapping.evidence import EvidenceConfig

            program, weights, model_path, cache_dir, variant, tolerance = argv[1:]
            ensemble = json.loads((Path(weights).parent / f"{program}.json").read_text())
            config = EvidenceConfig.model_validate(ensemble).single(Path(weights))
            artifacts.evidence_graph(
                program,
                config,
                Path(weights),
                Path(model_path),
                Path(cache_dir),
                artifacts.Variant(variant),
                float(tolerance),
            )
        else:
            raise artifacts.InferenceError(f"unknown export {argv[0]!r}")
    except artifacts.InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
