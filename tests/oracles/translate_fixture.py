#!/usr/bin/env python3
"""Expected scores for a translate suite whose model echoes its input, from sacreBLEU itself.

Reads the suite's cases file (JSONL: `input` is the hypothesis, `reference` or `references` the
references), lays it out as sacreBLEU's reference streams (a case with fewer references than
the most has `None` in the missing streams, which sacreBLEU skips), scores it with
sacrebleu_oracle.py beside this file, and adds, per case, the reference with the highest
sentence chrF against it alone, and the sentence chrF++ and TER (by which a broken floor
ranks the cases). Writes one JSON object to stdout.

Usage: .oracle-venv/bin/python tests/oracles/translate_fixture.py \\
           tests/fixtures/translate/outputs.jsonl > tests/fixtures/translate/expected.json
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sacrebleu  # noqa: E402
from sacrebleu.metrics import CHRF, TER  # noqa: E402
from sacrebleu_oracle import evaluate  # noqa: E402


def main(path):
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    hyps = [row["input"] for row in rows]
    refs = [row["references"] if "references" in row else [row["reference"]] for row in rows]
    streams = max(len(r) for r in refs)
    stream_refs = [[r[k] if k < len(r) else None for r in refs] for k in range(streams)]
    scores = evaluate({"hyps": hyps, "refs": stream_refs})
    chrf, chrf_pp, ter = CHRF(), CHRF(word_order=2), TER()
    cases = []
    for row, hyp, case_refs, bleu, sentence_chrf in zip(
        rows, hyps, refs, scores["sentence_bleu"], scores["sentence_chrf"]
    ):
        alone = [chrf.sentence_score(hyp, [r]).score for r in case_refs]
        cases.append({
            "id": row["id"],
            "chrf": sentence_chrf["score"],
            "bleu": bleu["score"],
            "closest_reference": alone.index(max(alone)),
            # What a broken chrf_pp or ter floor ranks the cases by.
            "chrf_pp": chrf_pp.sentence_score(hyp, case_refs).score,
            "ter": ter.sentence_score(hyp, case_refs).score,
        })
    out = {
        "sacrebleu_version": sacrebleu.__version__,
        "metrics": {m: scores[m]["score"] for m in ("bleu", "chrf", "chrf_pp", "ter")},
        "signatures": {m: scores[m]["signature"] for m in ("bleu", "chrf", "chrf_pp", "ter")},
        "cases": cases,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main(sys.argv[1])
