#!/usr/bin/env python3
"""TER oracle: sacrebleu_oracle.py's corpus TER plus sentence-level TER.

Reads the cases of sacrebleu_oracle.py (JSON Lines, {"hyps", "refs": [stream, ...], "id"}; a
null in a reference stream means that hypothesis lacks that reference) and writes per case
    id, n, n_ref_streams, input_error   as sacrebleu_oracle.py reports them
    ter              sacrebleu_oracle.py's TER() corpus score (score, num_edits, ref_length,
                     formatted, signature), or {"error": ...}
    sentence_ter     per hypothesis, TER().sentence_score(hyp, its non-null references):
                     score, num_edits, ref_length (or {"error": ...})
    sacrebleu_version
Floats are printed with Python's repr, so they parse back into identical f64.

    sacrebleu_ter_oracle.py cases.jsonl > expected.jsonl
    sacrebleu_ter_oracle.py --time ID cases.jsonl
        times TER().corpus_score on case ID instead (best of 3, after one untimed run so that
        sacreBLEU's imports are loaded; the tokenizer's lru_cache is cleared before each run)
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sacrebleu_oracle as base  # noqa: E402

import sacrebleu  # noqa: E402
from sacrebleu.metrics import TER  # noqa: E402
from sacrebleu.tokenizers.tokenizer_ter import TercomTokenizer  # noqa: E402


def sentence(hyp, refs):
    s = TER().sentence_score(hyp, refs)
    return {"score": base.f(s.score), "num_edits": base.f(s.num_edits),
            "ref_length": base.f(s.ref_length)}


def evaluate(case):
    full = base.evaluate(case)
    out = {k: full[k] for k in ("id", "n", "n_ref_streams", "input_error", "ter") if k in full}
    if "input_error" not in full:
        streams = case["refs"]
        out["sentence_ter"] = [
            base.guarded(lambda i=i, h=h: sentence(
                h, [s[i] for s in streams if s[i] is not None]))
            for i, h in enumerate(case["hyps"])]
    out["sacrebleu_version"] = sacrebleu.__version__
    return out


def cases(paths):
    for path in paths:
        fh = sys.stdin if path == "-" else open(path, encoding="utf-8")
        for line in fh:
            if line.strip():
                yield json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", metavar="ID", help="time corpus TER on case ID")
    ap.add_argument("paths", nargs="*", default=["-"])
    args = ap.parse_args()
    if args.time:
        case = next(c for c in cases(args.paths) if c.get("id") == args.time)
        best = None
        for run in range(4):
            TercomTokenizer.__call__.cache_clear()
            start = time.perf_counter()
            score = TER().corpus_score(case["hyps"], case["refs"])
            elapsed = time.perf_counter() - start
            if run:
                best = elapsed if best is None else min(best, elapsed)
        print(f"{args.time}: {len(case['hyps'])} hypotheses, {score}, "
              f"best of 3: {best * 1e3:.1f} ms (sacrebleu {sacrebleu.__version__})")
        return
    for case in cases(args.paths):
        print(json.dumps(evaluate(case), ensure_ascii=False, allow_nan=False))


if __name__ == "__main__":
    main()
