#!/usr/bin/env python3
"""Soak test (issue #12): a `wangge serve --demo` under mixed load for a while, its RSS sampled every 10 s.

Not a CI test (it takes minutes); run it by hand or before a release:

    python3 scripts/soak.py                      # 600 s against the debug binary, SQLite in a temp dir
    WANGGE_BIN=target/release/wangge python3 scripts/soak.py --seconds 600 --workers 8

Load (8 threads by default, keep-alive): grid workers report events (POST /api/v1/events, 1 in 5 requests) and
open their day (GET /api/v1/field/today); staff search people, list events, open the command dashboard and map,
the 一表通 list and an event. Every answer must be 2xx; a 5xx fails the run. Memory is bounded when the RSS of the
last quarter of the run is at most 1.5 x the RSS after warm-up (the first quarter) — printed as a table and
exit 1 otherwise. Only 127.0.0.1.
"""
import argparse, http.client, json, os, random, re, signal, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PW = "soak-pass-123"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Client:
    def __init__(self, port, token):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.h = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method, path, body=None):
        h = dict(self.h)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            self.c.request(method, path, body=data, headers=h)
            r = self.c.getresponse()
            out = r.read()
            return r.status, out
        except (ConnectionError, http.client.HTTPException, OSError):
            self.c.close()
            self.c = http.client.HTTPConnection(self.c.host, self.c.port, timeout=30)
            return 0, b""


def login(port, user, pw):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/session", body=json.dumps({"username": user, "password": pw}),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    assert r.status == 200, body
    return body["token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--port", type=int, default=18099)
    args = ap.parse_args()
    binary = os.environ.get("WANGGE_BIN", os.path.join(ROOT, "target/debug/wangge"))
    data = tempfile.mkdtemp(prefix="wangge-soak-")
    env = dict(os.environ, WANGGE_ADMIN_PASSWORD=PW, WANGGE_DEMO_PASSWORD=PW, RUST_LOG="warn")
    env.pop("WANGGE_DATABASE_URL", None)
    log = open(os.path.join(data, "serve.log"), "w")
    srv = subprocess.Popen([binary, "serve", "--demo", "--scale", "small", "--events", "--data", data,
                            "--addr", f"127.0.0.1:{args.port}"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(600):
            try:
                login(args.port, "admin", PW)
                break
            except (OSError, AssertionError, http.client.HTTPException, ValueError):
                time.sleep(1)
                if srv.poll() is not None:
                    sys.exit(f"serve exited: see {log.name}")
        worker = login(args.port, "demo_grid_worker", PW)
        staff = login(args.port, "demo_street", PW)
        c = Client(args.port, staff)
        _, body = c.call("GET", "/api/v1/events?limit=20")
        event_ids = [e["id"] for e in json.loads(body).get("items", [])] or [1]
        stop = time.time() + args.seconds
        counts = {"ok": 0, "client_4xx": 0, "server_5xx": 0, "failed": 0}
        lock = threading.Lock()
        errors = []

        def run(i):
            rnd = random.Random(i)
            w, s = Client(args.port, worker), Client(args.port, staff)
            n = 0
            while time.time() < stop:
                n += 1
                k = rnd.random()
                if k < 0.2:
                    st, _ = w.call("POST", "/api/v1/events", {"category": "E0102", "description": f"浸泡测试{i}-{n}",
                                                               "grid_code": "33019900100101"})
                elif k < 0.35:
                    st, _ = w.call("GET", "/api/v1/field/today")
                elif k < 0.5:
                    st, _ = s.call("GET", "/api/v1/people?q=" + rnd.choice(["wang", "zsf", "li", "%E5%BC%A0"]) + "&limit=20")
                elif k < 0.65:
                    st, _ = s.call("GET", "/api/v1/events?limit=50")
                elif k < 0.75:
                    st, _ = s.call("GET", "/api/v1/command/dashboard")
                elif k < 0.85:
                    st, _ = s.call("GET", "/api/v1/command/map")
                elif k < 0.92:
                    st, _ = s.call("GET", "/api/v1/data-requests")
                else:
                    st, _ = s.call("GET", f"/api/v1/events/{rnd.choice(event_ids)}")
                with lock:
                    if 200 <= st < 300:
                        counts["ok"] += 1
                    elif 400 <= st < 500:
                        counts["client_4xx"] += 1
                    elif st >= 500:
                        counts["server_5xx"] += 1
                        errors.append(st)
                    else:
                        counts["failed"] += 1

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(args.workers)]
        t0 = time.time()
        for t in threads:
            t.start()
        samples = []
        while time.time() < stop:
            time.sleep(10)
            samples.append((round(time.time() - t0), rss_mib(srv.pid), dict(counts)))
            print(f"{samples[-1][0]:5d}s  RSS {samples[-1][1]:7.1f} MiB  requests {sum(counts.values())}", flush=True)
        for t in threads:
            t.join(timeout=35)
        q = max(1, len(samples) // 4)
        warm = max(r for _, r, _ in samples[:q])
        late = max(r for _, r, _ in samples[-q:])
        total = sum(counts.values())
        print(json.dumps({"seconds": args.seconds, "workers": args.workers, "requests": total,
                          "per_second": round(total / max(1, time.time() - t0), 1), **counts,
                          "rss_warm_mib": round(warm, 1), "rss_late_mib": round(late, 1),
                          "rss_peak_mib": round(max(r for _, r, _ in samples), 1)}, ensure_ascii=False))
        bad = counts["server_5xx"] > 0 or late > 1.5 * warm
        if bad:
            print(f"FAIL: 5xx={counts['server_5xx']} rss warm {warm:.1f} late {late:.1f} (log {log.name})")
        return 1 if bad else 0
    finally:
        srv.send_signal(signal.SIGTERM)
        try:
            srv.wait(timeout=20)
        except subprocess.TimeoutExpired:
            srv.kill()


if __name__ == "__main__":
    sys.exit(main())
