#!/usr/bin/env python3
"""Measures the steady footprint of monitoring agents and writes a Markdown report.

  footprint.py measure --out FILE --window S --interval S  LABEL=PID ...
      Samples every process tree (PID and all its descendants) together, in one loop, for S
      seconds: RSS and PSS of the main process and of the tree, CPU of one core from
      /proc/<pid>/stat deltas. Writes JSON.
  footprint.py dims --port P --host H
      Counts the dimensions of host H's charts on the parent at 127.0.0.1:P
      (/host/H/api/v1/charts, Netdata's shape). Prints JSON.
  footprint.py mirrored-guid --port P [--exclude GUID]
      Prints the GUID of the first reachable mirrored child (hops > 0) in /api/v1/info.
  footprint.py report --measure FILE --dims LABEL=FILE ... --command CMD [--notes FILE]
      Prints the Markdown block (machine, command, table, ratios, targets).

Standard library only.
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024

# Targets from the footprint issue, for the Tributary agent.
TARGET_RSS_MIB = 10.0
TARGET_CPU_PCT = 0.5
TARGET_CPU_PER_1K = 0.3


def read_stat(pid):
    """(comm, ppid, utime+stime+cutime+cstime ticks, utime+stime ticks, rss bytes) or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    # comm may hold spaces and parentheses: it ends at the last ')'.
    lpar, rpar = raw.index("("), raw.rindex(")")
    comm = raw[lpar + 1:rpar]
    fields = raw[rpar + 2:].split()
    # fields[0] is state (field 3 of proc(5)); field N is fields[N - 3].
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    rss = int(fields[21]) * PAGE
    return comm, ppid, utime + stime + cutime + cstime, utime + stime, rss


def read_pss(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def snapshot():
    """All processes: pid -> read_stat tuple."""
    procs = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = read_stat(int(name))
            if st:
                procs[int(name)] = st
    return procs


def tree_of(root, procs):
    children = {}
    for pid, st in procs.items():
        children.setdefault(st[1], []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            out.append(pid)
            todo.extend(children.get(pid, []))
    return out


def sample(roots):
    procs = snapshot()
    now = time.monotonic()
    result = {}
    for label, root in roots.items():
        if root not in procs:
            result[label] = None
            continue
        pids = tree_of(root, procs)
        members = {}
        for pid in pids:
            comm, _, _, _, rss = procs[pid]
            if pid == root:
                comm += " (main)"
            m = members.setdefault(comm, {"rss": 0, "pss": 0, "count": 0})
            m["rss"] += rss
            m["pss"] += read_pss(pid)
            m["count"] += 1
        result[label] = {
            "t": now,
            "main_cpu": procs[root][3],
            # Children that exited and were reaped moved their time into cutime/cstime of the
            # process that reaped them, still inside the tree: the sum stays comparable.
            "tree_cpu": sum(procs[p][2] for p in pids),
            "main_rss": procs[root][4],
            "main_pss": read_pss(root),
            "tree_rss": sum(m["rss"] for m in members.values()),
            "tree_pss": sum(m["pss"] for m in members.values()),
            "members": members,
            "pid_cpu": {p: (procs[p][0] + (" (main)" if p == root else ""), procs[p][3])
                        for p in pids},
        }
    return result


def cmd_measure(args):
    roots = {}
    for spec in args.targets:
        label, pid = spec.split("=", 1)
        roots[label] = int(pid)
    series = {label: [] for label in roots}
    deadline = time.monotonic() + args.window
    while True:
        for label, s in sample(roots).items():
            if s is None:
                print(f"footprint: {label} (pid {roots[label]}) exited during the window",
                      file=sys.stderr)
            else:
                series[label].append(s)
        if time.monotonic() >= deadline:
            break
        time.sleep(min(args.interval, max(0.0, deadline - time.monotonic())))
    out = {}
    for label, ss in series.items():
        if len(ss) < 2:
            out[label] = {"error": "process gone or too few samples"}
            continue
        first, last = ss[0], ss[-1]
        secs = last["t"] - first["t"]
        comms = sorted({c for s in ss for c in s["members"]})
        out[label] = {
            "pid": roots[label],
            "seconds": secs,
            "samples": len(ss),
            "cpu_main_pct": 100.0 * (last["main_cpu"] - first["main_cpu"]) / CLK_TCK / secs,
            "cpu_tree_pct": 100.0 * (last["tree_cpu"] - first["tree_cpu"]) / CLK_TCK / secs,
        }
        for key in ("main_rss", "main_pss", "tree_rss", "tree_pss"):
            vals = [s[key] for s in ss]
            out[label][key + "_avg_mib"] = sum(vals) / len(vals) / MIB
            out[label][key + "_max_mib"] = max(vals) / MIB
        out[label]["members"] = {
            c: {
                "rss_avg_mib": sum(s["members"].get(c, {}).get("rss", 0) for s in ss) / len(ss) / MIB,
                "pss_avg_mib": sum(s["members"].get(c, {}).get("pss", 0) for s in ss) / len(ss) / MIB,
                "seen_in_samples": sum(1 for s in ss if c in s["members"]),
                "max_count": max(s["members"].get(c, {}).get("count", 0) for s in ss),
            }
            for c in comms
        }
        # CPU by command, from the processes alive for the whole window (their own time).
        for pid, (comm, ticks) in last["pid_cpu"].items():
            if pid in first["pid_cpu"] and first["pid_cpu"][pid][0] == comm:
                m = out[label]["members"][comm]
                m["cpu_pct"] = m.get("cpu_pct", 0.0) + 100.0 * (
                    ticks - first["pid_cpu"][pid][1]) / CLK_TCK / secs
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)


def http_json(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=15) as r:
        return json.loads(r.read().decode("utf-8", "replace"))


def cmd_dims(args):
    charts = http_json(args.port, f"/host/{args.host}/api/v1/charts").get("charts", {})
    total = per_sec = own = 0
    for chart_id, chart in charts.items():
        n = len(chart.get("dimensions", {}))
        total += n
        per_sec += n / max(1, int(chart.get("update_every", 1) or 1))
        # Netdata's self-monitoring (netdata.* charts: workers, dictionaries, web server...).
        if chart_id.startswith("netdata."):
            own += n
    json.dump({"charts": len(charts), "dimensions": total, "dims_per_sec": per_sec,
               "self_monitoring_dims": own}, sys.stdout)
    print()


def cmd_mirrored_guid(args):
    info = http_json(args.port, "/api/v1/info")
    for h in info.get("mirrored_hosts_status", []):
        guid = h.get("guid", "")
        if h.get("hops", 0) > 0 and h.get("reachable", True) and guid != args.exclude:
            print(guid)
            return
    sys.exit(1)


def machine_info():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "kernel": platform.release(),
        "host": platform.node(),
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        # apps.plugin's cost grows with the number of processes it walks every second.
        "processes": sum(1 for d in os.listdir("/proc") if d.isdigit()),
    }


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def report(args):
    with open(args.measure) as f:
        meas = json.load(f)
    dims = {}
    for spec in args.dims or []:
        label, path = spec.split("=", 1)
        try:
            with open(path) as f:
                dims[label] = json.load(f)
        except (OSError, ValueError):
            dims[label] = {}
    mi = machine_info()
    lines = [f"### Agent footprint, {mi['date']}", ""]
    lines.append(f"- Machine: {mi['nproc']} CPU ({mi['cpu']}), {mi['memory']} RAM, "
                 f"kernel {mi['kernel']}, load average at the end {mi['load']}, "
                 f"{mi['processes']} processes")
    lines.append(f"- Command: `{args.command}`")
    if args.window_note:
        lines.append(f"- {args.window_note}")
    lines += ["", "| tool | RSS main MiB | RSS tree MiB | PSS tree MiB | CPU % main | CPU % tree "
              "| dimensions | dims/s | CPU % tree per 1k dims/s |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = {}
    for label, m in meas.items():
        d = dims.get(label, {})
        if "error" in m:
            lines.append(f"| {label} | {m['error']} | | | | | | | |")
            continue
        dps = d.get("dims_per_sec")
        per1k = m["cpu_tree_pct"] / (dps / 1000.0) if dps else None
        rows[label] = dict(m, dims=d.get("dimensions"), dps=dps, per1k=per1k)
        lines.append(
            f"| {label} | {fmt(m['main_rss_avg_mib'])} | {fmt(m['tree_rss_avg_mib'])} "
            f"| {fmt(m['tree_pss_avg_mib'])} | {fmt(m['cpu_main_pct'], 2)} "
            f"| {fmt(m['cpu_tree_pct'], 2)} | {d.get('dimensions', 'n/a')} "
            f"| {fmt(dps, 0)} | {fmt(per1k, 2)} |")
    lines.append("")
    lines.append("RSS and PSS are averages over the samples; CPU is (utime+stime) over the "
                 "window, as % of one core; \"tree\" is the main process and all its "
                 "descendants (plugins). Dimensions are counted on each side's parent, "
                 "dims/s weighs each chart by 1/update_every.")
    for label, r in rows.items():
        parts = ", ".join(f"{c} {v['rss_avg_mib']:.1f} MiB"
                          + (f" {v['cpu_pct']:.2f} %" if "cpu_pct" in v else "")
                          + (f" (x{v['max_count']})" if v["max_count"] > 1 else "")
                          + ("" if v["seen_in_samples"] == r["samples"] else
                             f" [in {v['seen_in_samples']}/{r['samples']} samples]")
                          for c, v in sorted(r["members"].items(),
                                             key=lambda kv: -kv[1]["rss_avg_mib"]))
        own = dims.get(label, {}).get("self_monitoring_dims")
        extra = f"; {own} of the dimensions are netdata.* self-monitoring" if own else ""
        lines.append(f"- {label} tree (average RSS, CPU): {parts}{extra}")
    base, cand = args.baseline, args.candidate
    if base in rows and cand in rows:
        b, c = rows[base], rows[cand]

        def ratio(key):
            return fmt(c[key] / b[key], 2) if b.get(key) and c.get(key) is not None else "n/a"

        lines += ["", f"Ratios {cand} / {base}: RSS main {ratio('main_rss_avg_mib')}, "
                  f"RSS tree {ratio('tree_rss_avg_mib')}, CPU tree {ratio('cpu_tree_pct')}, "
                  f"dimensions {ratio('dims')}, CPU per 1k dims/s {ratio('per1k')}."]

        def verdict(ok):
            return "met" if ok else "NOT met"

        lines.append(
            f"Targets for {cand}: RSS tree ≤ {TARGET_RSS_MIB:g} MiB "
            f"({verdict(c['tree_rss_avg_mib'] <= TARGET_RSS_MIB)}), CPU tree ≤ "
            f"{TARGET_CPU_PCT:g} % ({verdict(c['cpu_tree_pct'] <= TARGET_CPU_PCT)}), ≤ "
            f"{TARGET_CPU_PER_1K:g} % per 1k dims/s "
            f"({verdict(c['per1k'] is not None and c['per1k'] <= TARGET_CPU_PER_1K)}).")
    elif cand not in rows:
        lines += ["", f"{cand}: skipped ({args.skip_reason or 'not measured'})."]
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("measure")
    p.add_argument("--out", required=True)
    p.add_argument("--window", type=float, required=True)
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("targets", nargs="+", metavar="LABEL=PID")
    p.set_defaults(func=cmd_measure)
    p = sub.add_parser("dims")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--host", required=True)
    p.set_defaults(func=cmd_dims)
    p = sub.add_parser("mirrored-guid")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--exclude", default="")
    p.set_defaults(func=cmd_mirrored_guid)
    p = sub.add_parser("report")
    p.add_argument("--measure", required=True)
    p.add_argument("--dims", action="append", metavar="LABEL=FILE")
    p.add_argument("--command", required=True)
    p.add_argument("--baseline", default="netdata 1.37 child")
    p.add_argument("--candidate", default="tributary-agent")
    p.add_argument("--skip-reason", default="")
    p.add_argument("--window-note", default="")
    p.set_defaults(func=report)
    args = ap.parse_args()
    try:
        args.func(args)
    except (OSError, ValueError) as e:
        print(f"footprint.py {args.cmd}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
