#!/usr/bin/env python3
"""Times sacreBLEU's own corpus BLEU + chrF + TER on one corpus, for bench/translation.rs.

Reads {"hyps": [...], "refs": [[stream A], ...]} from the file given (sacreBLEU's layout), scores
it ITERATIONS times with BLEU(), CHRF() and TER() at their defaults (the metric objects are built
once, outside the timing, as a caller scoring many corpora would), and prints one JSON line:
{"sacrebleu": version, "times_ms": [...], "bleu": x, "chrf": x, "ter": x}. Only the scoring is
timed: not Python's start-up, the import or reading the file.

Usage: python3 sacrebleu_time.py CORPUS.json ITERATIONS
"""
import json
import sys
import time

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER


def main(path, iterations):
    with open(path, encoding="utf-8") as fh:
        corpus = json.load(fh)
    hyps, refs = corpus["hyps"], corpus["refs"]
    bleu, chrf, ter = BLEU(), CHRF(), TER()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        scores = (
            bleu.corpus_score(hyps, refs).score,
            chrf.corpus_score(hyps, refs).score,
            ter.corpus_score(hyps, refs).score,
        )
        times.append((time.perf_counter() - start) * 1000.0)
    print(json.dumps({
        "sacrebleu": sacrebleu.__version__,
        "times_ms": times,
        "bleu": scores[0],
        "chrf": scores[1],
        "ter": scores[2],
    }))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
