"""The model both tools call as a program (bench/versus.rs): it answers the last word of the
prompt, so "Classify: case number 7 says neutral" gets "neutral". The HTTP server of
bench/versus/server.rs answers by the same rule. Standard library only.

    model.py --lines     evalgate's `command` provider, protocol `lines`: a JSON request a line
                         on stdin, a JSON answer a line on stdout, flushed
    model.py --once      evalgate's protocol `once`: the prompt on stdin, the answer on stdout
    model.py PROMPT ...  promptfoo's `exec:` provider: the prompt, then the provider's options
                         and the test's context as JSON arguments; the answer on stdout
"""

import json
import sys


def answer(prompt):
    words = prompt.split()
    return words[-1] if words else ""


def main(argv):
    mode = argv[0] if argv else "--lines"
    if mode == "--lines":
        for line in sys.stdin:
            request = json.loads(line)
            print(json.dumps({"id": request["id"], "output": answer(request["prompt"])}), flush=True)
    elif mode == "--once":
        print(answer(sys.stdin.read()))
    else:
        print(answer(mode))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
