#!/usr/bin/env python3
"""Runs kvm-unit-tests' arm64 suite under el2emu, as kvm-unit-tests' own
runner does under QEMU: every entry of unittests.cfg (plus pl031, sieve and
spinlock-test) with its arguments, vCPU count, memory and machine options,
in four configurations (--mode nvhe|vhe x --entry-el 1|2). Prints a table
(entry x configuration: verdict, PASS/FAIL/SKIP counts from SUMMARY:, the
EXIT status, seconds) and fails when an entry the expectations file says
passes does not. Then checks micro-bench's ipi figure against the README's
account of it (check_microbench_ipi).

usage: kvm-unit-tests.py EL2EMU [--tests DIR] [--expect FILE] [--only NAME,...]
                                [--configs nvhe-el1,...] [--jobs N] [--write-expect]
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

CONFIGS = ["nvhe-el1", "vhe-el1", "nvhe-el2", "vhe-el2"]
# kvm-unit-tests' $MAX_SMP is the host's CPU count; the reference QEMU run used 4.
MAX_SMP = 4
# The three entries QEMU's reference run adds to unittests.cfg.
EXTRA = """
[pl031]
file = pl031.flat
[sieve]
file = sieve.flat
timeout = 30
[spinlock-test]
file = spinlock-test.flat
smp = 4
"""
MIGRATION_PROMPT = "press a key to continue"


def parse_cfg(text):
    entries, cur = [], None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^\[(.+)\]$", line)
        if m:
            cur = {"name": m.group(1)}
            entries.append(cur)
        elif cur is not None and "=" in line:
            k, v = line.split("=", 1)
            cur[k.strip()] = v.strip()
    return entries


def smp(expr):
    """unittests.cfg's smp: a number, $MAX_SMP, or a shell min() of it."""
    if not expr:
        return 1
    expr = expr.replace("$MAX_SMP", str(MAX_SMP))
    m = re.match(r"^\$\(\(\((\d+) < (\d+)\)\?(\d+):(\d+)\)\)$", expr)
    if m:
        a, b, x, y = map(int, m.groups())
        return x if a < b else y
    return int(expr)


def command(el2emu, tests, e, config):
    mode, el = config.split("-")
    args = [el2emu, "run", os.path.join(tests, e["file"]), "--format", "binary",
            "--cpus", str(smp(e.get("smp"))), "--mode", mode, "--entry-el", el[2:]]
    test_args = e.get("test_args") or e.get("extra_params", "")
    if test_args:
        args += ["--append", " ".join(shlex.split(test_args))]
    params = shlex.split(e.get("qemu_params", ""))
    i = 0
    while i < len(params):
        p = params[i]
        if p == "-m":
            args += ["--mem", params[i + 1] + "M"]
            i += 1
        elif p == "-machine":
            # Machine options el2emu must honour or refuse (never swap): passed on as options.
            for opt in params[i + 1].split(","):
                k, _, v = opt.partition("=")
                if k == "gic-version":
                    args += ["--gic-version", v]
                elif k == "mte":
                    args += ["--mte"] if v == "on" else []
            i += 1
        i += 1
    return args


def timeout_of(e, default):
    t = e.get("timeout", "")
    return float(t.rstrip("s")) if t else default


def run(el2emu, tests, e, config, default_timeout):
    args = command(el2emu, tests, e, config)
    limit = timeout_of(e, default_timeout)
    start = time.monotonic()
    # A test of the migration group waits for a key after its prompt, as QEMU's runner gives it.
    feed = b"\n" if "migration" in e.get("groups", "").split() else b""
    try:
        p = subprocess.run(args + ["--timeout", str(limit)], input=feed, capture_output=True,
                           timeout=limit + 10)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        status = p.returncode
    except subprocess.TimeoutExpired as t:
        out = (t.stdout or b"").decode(errors="replace")
        status = None
    seconds = time.monotonic() - start
    summary = re.findall(r"SUMMARY: (\d+) tests(?:, (\d+) unexpected failures)?(?:, (\d+) expected failures)?(?:, (\d+) skipped)?", out)
    counts = None
    if summary:
        total, failed, _, skipped = (int(x or 0) for x in summary[-1])
        counts = (total - failed - skipped, failed, skipped)
    exit_line = re.findall(r"EXIT: STATUS=(\d+)", out)
    code = int(exit_line[-1]) if exit_line else None
    refused = re.search(r"Error: (.*)", out)
    if code is not None and code >> 1 == 0 and code & 1:
        verdict = "PASS"
    elif code is not None and 77 in (code, code >> 1):   # a skipping test prints STATUS=77
        verdict = "SKIP"
    elif refused and status == 64:
        verdict = "N/A"   # an option el2emu refuses (hardware it does not model)
    elif status is None or "time limit" in out:
        verdict = "TIMEOUT"
    else:
        verdict = "FAIL"
    reason = refused.group(1) if refused else ""
    if status is not None and status < 0:
        reason = "el2emu died of signal %d" % -status
    if verdict in ("FAIL", "TIMEOUT") and not reason:
        last = [l for l in out.splitlines() if l.startswith("el2emu:")]
        reason = last[-1][8:] if last else ""
    return {"verdict": verdict, "counts": counts, "exit": code, "status": status,
            "seconds": seconds, "reason": reason.strip()}


def check_microbench_ipi(el2emu, tests, jobs):
    """micro-bench's ipi is one SYS64 exit on the sender (its ICC_SGI1R_EL1
    write) and one IRQ exit on the spinning receiver (KVM's kick), plus the
    wait for the scheduler: vCPUs take turns on one host thread, so the
    sender sees the receiver's flag at most two slices (--quantum) later.
    Checked with `--stats` at two slice lengths in both designs: the figure
    lies between the two exits and the exits plus two slices, and grows with
    the slice. Returns the failures."""
    def one(job):
        mode, q = job
        p = subprocess.run([el2emu, "run", os.path.join(tests, "micro-bench.flat"), "--format", "binary",
                            "--cpus", "2", "--mode", mode, "--quantum", str(q), "--stats", "--timeout", "120"],
                           capture_output=True, timeout=180)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        ipi = re.search(r"^ipi\s+\S+\s+(\S+)", out, re.M)
        avg = lambda kind: re.search(r"^\s*%s\s.*?(\d+) \( \+-" % kind, out, re.M)
        if not (ipi and avg("SYS64") and avg("IRQ")):
            return (mode, q, None, None, out[-400:])
        # micro-bench prints ns; the model's clock is 2 GHz.
        return (mode, q, float(ipi.group(1)) * 2, int(avg("SYS64").group(1)) + int(avg("IRQ").group(1)), "")
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, [(m, q) for m in ("nvhe", "vhe") for q in (2500, 5000)]))
    failures = []
    print("\nmicro-bench ipi (cycles) against its exits (SYS64 + IRQ) and the scheduler's slice:")
    for mode, q, ipi, exits, err in results:
        if ipi is None:
            failures.append("micro-bench %s --quantum %d: no ipi figure or exit statistics: %s" % (mode, q, err))
            continue
        ok = exits <= ipi <= exits + 2 * q + 500
        print("  %-4s slice %5d: ipi %6.0f, exits %5d, exits + two slices %6d  %s" % (mode, q, ipi, exits, exits + 2 * q, "ok" if ok else "OUT OF BOUNDS"))
        if not ok:
            failures.append("micro-bench %s --quantum %d: ipi %.0f cycles outside [%d, %d]" % (mode, q, ipi, exits, exits + 2 * q + 500))
    for mode in ("nvhe", "vhe"):
        short, long = [r[2] for r in results if r[0] == mode]
        if short is not None and long is not None and not long > short:
            failures.append("micro-bench %s: ipi does not grow with the slice (%.0f at 2500, %.0f at 5000)" % (mode, short, long))
    return failures


def cell(r):
    c = "%d/%d/%d" % r["counts"] if r["counts"] else "-"
    return "%-7s %-8s %5.1fs" % (r["verdict"], c, r["seconds"])


def read_expect(path):
    want = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#")[0].split()
            if len(line) == 2:
                want[tuple(line)] = "PASS"
    return want


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("el2emu")
    ap.add_argument("--tests", default=os.path.join(here, "..", "..", "shared", "kvm-unit-tests"))
    ap.add_argument("--expect", default=os.path.join(here, "kvm-unit-tests.expected"))
    ap.add_argument("--only", default="")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30, help="seconds per run unless the entry says")
    ap.add_argument("--write-expect", action="store_true", help="record every PASS as expected")
    a = ap.parse_args()

    cfg = os.path.join(a.tests, "unittests.cfg")
    if not os.path.exists(cfg):
        print("kvm-unit-tests: no %s (the built suite lives in ../shared/kvm-unit-tests)" % cfg, file=sys.stderr)
        return 2
    entries = parse_cfg(open(cfg).read() + EXTRA)
    if a.only:
        names = set(a.only.split(","))
        entries = [e for e in entries if e["name"] in names]
    configs = [c for c in a.configs.split(",") if c]
    jobs = [(e, c) for e in entries for c in configs]
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(lambda j: run(a.el2emu, a.tests, j[0], j[1], a.timeout), jobs))
    table = {(e["name"], c): r for (e, c), r in zip(jobs, results)}

    width = max(len(e["name"]) for e in entries)
    print("%-*s  %s" % (width, "entry", "  ".join("%-22s" % c for c in configs)))
    for e in entries:
        print("%-*s  %s" % (width, e["name"], "  ".join("%-22s" % cell(table[(e["name"], c)]) for c in configs)))
    for c in configs:
        n = sum(1 for e in entries if table[(e["name"], c)]["verdict"] == "PASS")
        print("%s: %d of %d pass" % (c, n, len(entries)))
    print("\n(verdict, pass/fail/skip counts from SUMMARY:, seconds; N/A: el2emu refuses the option)")
    for (name, c), r in sorted(table.items()):
        if r["verdict"] != "PASS" and r["reason"]:
            print("  %s %s: %s" % (name, c, r["reason"][:160]))

    if a.write_expect:
        with open(a.expect, "w") as f:
            f.write("# kvm-unit-tests entries that pass under el2emu (entry configuration);\n"
                    "# scripts/kvm-unit-tests.py fails when one of them does not. Tighten as more pass.\n")
            for (name, c), r in sorted(table.items()):
                if r["verdict"] == "PASS":
                    f.write("%s %s\n" % (name, c))
        return 0
    want = read_expect(a.expect)
    fell = [k for k in want if k in table and table[k]["verdict"] != "PASS"]
    new = [k for k, r in table.items() if r["verdict"] == "PASS" and k not in want]
    for k in new:
        print("newly passing (add to %s): %s %s" % (os.path.basename(a.expect), *k))
    for k in fell:
        print("FELL BACK: %s %s: %s %s" % (k[0], k[1], table[k]["verdict"], table[k]["reason"]))
    failures = []
    if any(e["name"] == "micro-bench" for e in entries):
        failures = check_microbench_ipi(a.el2emu, a.tests, a.jobs)
        for f in failures:
            print("FAILED: " + f)
    return 1 if fell or failures else 0


if __name__ == "__main__":
    sys.exit(main())
