#!/usr/bin/env python3
"""Run lexicon.py over a JSONL cases file through the `lines` protocol and
print accuracy, per-class precision/recall/F1, macro F1 and the confusion
matrix (rows: expected, columns: predicted). Standard library only.

    python3 models/evaluate.py [suites/data/tweets.jsonl]
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["negative", "neutral", "positive"]


def main(argv):
    path = argv[0] if argv else os.path.join(HERE, "..", "suites", "data",
                                             "tweets.jsonl")
    with open(path, encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh if line.strip()]
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "lexicon.py")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    predicted = []
    for case in cases:
        req = {"id": case["id"], "input": case["input"],
               "prompt": case["input"], "vars": {}}
        proc.stdin.write((json.dumps(req) + "\n").encode("utf-8"))
        proc.stdin.flush()
        reply = json.loads(proc.stdout.readline())
        predicted.append(reply.get("output", "<error>"))
    proc.stdin.close()
    proc.wait()

    expected = [c["expected"] for c in cases]
    cols = LABELS + sorted(set(predicted) - set(LABELS))
    n = len(cases)
    correct = sum(e == p for e, p in zip(expected, predicted))
    print("cases     %d" % n)
    print("accuracy  %.4f" % (correct / n))
    f1s = []
    print("%-10s %9s %9s %9s %8s" % ("label", "precision", "recall", "f1",
                                     "support"))
    for label in LABELS:
        tp = sum(e == p == label for e, p in zip(expected, predicted))
        npred = predicted.count(label)
        nexp = expected.count(label)
        prec = tp / npred if npred else 0.0
        rec = tp / nexp if nexp else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        f1s.append(f1)
        print("%-10s %9.4f %9.4f %9.4f %8d" % (label, prec, rec, f1, nexp))
    print("f1_macro  %.4f" % (sum(f1s) / len(f1s)))
    print()
    print("confusion (rows expected, columns predicted)")
    print("%-10s" % "" + "".join("%10s" % c for c in cols))
    for e in LABELS:
        print("%-10s" % e + "".join(
            "%10d" % sum(x == e and y == c
                         for x, y in zip(expected, predicted))
            for c in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
