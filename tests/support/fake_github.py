#!/usr/bin/env python3
"""A fake of the parts of GitHub's REST API that the action uses, for tests/action.rs.

    fake_github.py CONFIG.json

Serves on 127.0.0.1 (a free port) and prints "ready http://127.0.0.1:PORT" when it listens.
It stops when its standard input closes (the test that started it ended) or after 10 minutes.

CONFIG:
    {
      "repo": "acme/widgets",
      "tokens": {"TOKEN": "write" | "read"},
      "runs": [                       # newest first, all successful
        {"id": 1, "workflow": "evalgate.yml", "head_branch": "main", "head_sha": "...",
         "event": "push", "head_repository": "acme/widgets",
         "artifacts": [{"id": 9, "name": "evalgate-results", "expired": false,
                        "dir": "/path/whose/files/the/zip/holds"}]}
      ],
      "comments": {"7": [{"id": 1, "body": "...", "user": "someone"}]},
      "state": "/path/of/state.json"  # rewritten after every request
    }

Routes (all under /repos/OWNER/REPO):
    GET   /actions/workflows/WORKFLOW/runs?branch=B&status=success&per_page=N
    GET   /actions/runs?branch=B&status=success&per_page=N
    GET   /actions/runs/ID/artifacts
    GET   /actions/artifacts/ID/zip      302 to /_blob/ID (401 without a known token)
    GET   /issues/N/comments?per_page=P&page=K   with a Link header
    POST  /issues/N/comments             201; 403 for a read-only token
    PATCH /issues/comments/ID            200; 403 for a read-only token
The state file has every request (method, path, query, token kind) and the comments.
"""
import io
import json
import os
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CONFIG = {}
LOCK = threading.Lock()
REQUESTS = []
NEXT_COMMENT = [1000]


def save_state():
    state = {"requests": REQUESTS, "comments": CONFIG.get("comments", {})}
    path = CONFIG["state"]
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(state, fh, indent=1)
    os.replace(path + ".tmp", path)


def run_json(run):
    return {
        "id": run["id"],
        "name": run.get("workflow", ""),
        "path": ".github/workflows/" + run.get("workflow", ""),
        "head_branch": run["head_branch"],
        "head_sha": run["head_sha"],
        "event": run.get("event", "push"),
        "status": "completed",
        "conclusion": "success",
        "head_repository": {"full_name": run.get("head_repository", CONFIG["repo"])},
    }


def artifact_zip(directory):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for root, _dirs, files in os.walk(directory):
            for name in sorted(files):
                full = os.path.join(root, name)
                archive.write(full, os.path.relpath(full, directory))
    return buffer.getvalue()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def token_kind(self):
        header = self.headers.get("Authorization", "")
        if not header:
            return "none"
        if not header.startswith("Bearer "):
            return "malformed"
        return CONFIG["tokens"].get(header[len("Bearer "):], "unknown")

    def reply(self, status, body=None, headers=None):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if body is not None and not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method):
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        kind = self.token_kind()
        with LOCK:
            REQUESTS.append({"method": method, "path": url.path, "query": query, "token": kind})
            try:
                status, payload, headers = self.route(method, url.path, query, body, kind)
            except Exception as error:  # a bug here shows in the test, not as a hang
                status, payload, headers = 500, {"message": repr(error)}, {}
            save_state()
        self.reply(status, payload, headers)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def route(self, method, path, query, body, kind):
        parts = path.strip("/").split("/")
        if parts[:1] == ["_blob"] and method == "GET":
            for run in CONFIG["runs"]:
                for artifact in run.get("artifacts", []):
                    if str(artifact["id"]) == parts[1]:
                        return 200, artifact_zip(artifact["dir"]), {"Content-Type": "application/zip"}
            return 404, {"message": "Not Found"}, {}
        if parts[:3] != ["repos"] + CONFIG["repo"].split("/") or len(parts) < 4:
            return 404, {"message": "Not Found"}, {}
        if kind in ("unknown", "malformed"):
            return 401, {"message": "Bad credentials"}, {}
        rest = parts[3:]
        if method == "GET" and rest[:1] == ["actions"]:
            return self.actions(rest[1:], query, kind)
        if rest[:1] == ["issues"]:
            return self.issues(method, rest[1:], query, body, kind)
        return 404, {"message": "Not Found"}, {}

    def actions(self, rest, query, kind):
        runs = CONFIG["runs"]
        if rest[:1] == ["workflows"] and rest[2:] == ["runs"]:
            runs = [r for r in runs if r.get("workflow") == rest[1]]
            rest = ["runs"]
        if rest == ["runs"]:
            if "branch" in query:
                runs = [r for r in runs if r["head_branch"] == query["branch"]]
            if query.get("status") not in (None, "success", "completed"):
                runs = []
            runs = runs[: int(query.get("per_page", 30))]
            return 200, {"total_count": len(runs), "workflow_runs": [run_json(r) for r in runs]}, {}
        if rest[:1] == ["runs"] and rest[2:] == ["artifacts"]:
            for run in CONFIG["runs"]:
                if str(run["id"]) == rest[1]:
                    base = "http://%s:%d" % self.server.server_address
                    artifacts = [
                        {
                            "id": a["id"],
                            "name": a["name"],
                            "expired": a.get("expired", False),
                            "archive_download_url": "%s/repos/%s/actions/artifacts/%s/zip"
                            % (base, CONFIG["repo"], a["id"]),
                        }
                        for a in run.get("artifacts", [])
                    ]
                    return 200, {"total_count": len(artifacts), "artifacts": artifacts}, {}
            return 404, {"message": "Not Found"}, {}
        if rest[:1] == ["artifacts"] and rest[2:] == ["zip"]:
            if kind == "none":
                return 401, {"message": "Requires authentication"}, {}
            return 302, None, {"Location": "/_blob/%s" % rest[1]}
        return 404, {"message": "Not Found"}, {}

    def issues(self, method, rest, query, body, kind):
        comments = CONFIG.setdefault("comments", {})
        if len(rest) == 2 and rest[1] == "comments":
            number = rest[0]
            listed = comments.setdefault(number, [])
            if method == "GET":
                per_page = int(query.get("per_page", 30))
                page = int(query.get("page", 1))
                chunk = listed[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(listed):
                    headers["Link"] = '<%s?per_page=%d&page=%d>; rel="next"' % (
                        self.path.split("?")[0], per_page, page + 1)
                return 200, [self.comment_json(c) for c in chunk], headers
            if method == "POST":
                if kind != "write":
                    return 403, {"message": "Resource not accessible by integration"}, {}
                NEXT_COMMENT[0] += 1
                comment = {"id": NEXT_COMMENT[0], "body": json.loads(body)["body"], "user": "github-actions[bot]"}
                listed.append(comment)
                return 201, self.comment_json(comment), {}
        if method == "PATCH" and len(rest) == 2 and rest[0] == "comments":
            if kind != "write":
                return 403, {"message": "Resource not accessible by integration"}, {}
            for listed in comments.values():
                for comment in listed:
                    if str(comment["id"]) == rest[1] and comment.get("user") != "github-actions[bot]":
                        return 403, {"message": "Must have admin rights to Repository."}, {}
                    if str(comment["id"]) == rest[1]:
                        comment["body"] = json.loads(body)["body"]
                        comment["edits"] = comment.get("edits", 0) + 1
                        return 200, self.comment_json(comment), {}
        return 404, {"message": "Not Found"}, {}

    def comment_json(self, comment):
        return {
            "id": comment["id"],
            "body": comment["body"],
            "user": {"login": comment.get("user", "someone")},
            "html_url": "https://github.invalid/%s/pull/1#issuecomment-%s" % (CONFIG["repo"], comment["id"]),
        }


def main():
    with open(sys.argv[1], encoding="utf-8") as fh:
        CONFIG.update(json.load(fh))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    save_state()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready http://127.0.0.1:%d" % server.server_address[1], flush=True)
    deadline = time.monotonic() + 600
    # Until stdin closes (the test ended) or the deadline.
    watcher = threading.Thread(target=sys.stdin.read, daemon=True)
    watcher.start()
    while watcher.is_alive() and time.monotonic() < deadline:
        watcher.join(0.5)
    server.shutdown()


if __name__ == "__main__":
    main()
