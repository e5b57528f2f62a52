"""Gather benchmarks/gpu_check.sh's step outputs into OUT_DIR/gpu_check.json and gpu_check.md.

    python benchmarks/gpu_check_report.py OUT_DIR --mode cuda|cpu --tests "FILES"

Reads OUT_DIR/steps.tsv (each step's exit status and times), tests.xml (pytest's JUnit report),
throughput.json (gpu_check_throughput.py) and fid.json (fid_eval.py --json). What a step did not
leave is reported as not measured. Prints the table; exits 1 when a step or a test failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

SWITCHES = ("default", "channels_last", "compile", "bf16-mixed")
TIMED_OUT = (124, 137)  # timeout's exit status, and SIGKILL's after --kill-after


def read_steps(out: Path) -> dict[str, dict[str, float]]:
    """Each step's exit status and seconds, from steps.tsv."""
    steps = {}
    for line in (out / "steps.tsv").read_text().splitlines():
        name, rc, start, end = line.split("\t")
        steps[name] = {"exit_status": int(rc), "seconds": float(end) - float(start)}
    return steps


def read_tests(out: Path, files: list[str]) -> dict[str, Any]:
    """Test counts from pytest's JUnit XML; no counts when it did not get to write one."""
    counts: dict[str, Any] = {"files": files}
    path = out / "tests.xml"
    if not path.is_file():
        return counts
    suite = ET.parse(path).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    keys = ("tests", "failures", "errors", "skipped")
    total, failed, errors, skipped = (int(suite.get(key, 0)) for key in keys)
    return counts | {
        "passed": total - failed - errors - skipped,
        "failed": failed,
        "errors": errors,
        "skipped": skipped,
    }


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def why_missing(step: dict[str, float] | None) -> str:
    if step is None:
        return "not measured: the step did not run"
    if step["exit_status"] in TIMED_OUT:
        return f"not measured: the step ran out of time ({step['seconds']:.0f} s)"
    return f"not measured: the step failed (exit status {step['exit_status']}, see its log)"


def rate_cell(row: dict[str, Any] | None, missing: str, unit: str = "images/s") -> str:
    if row is None:
        return missing
    if "error" in row:
        return f"failed: {row['error']}"
    if unit == "it/s":
        return f"{row['it_per_s']:,.1f} it/s"
    return f"{row['samples_per_s']:,.0f} images/s ({row['it_per_s']:,.2f} it/s)"


def markdown(report: dict[str, Any]) -> str:
    """The report as a Markdown table, with the machine and the settings above it."""
    steps, tests, tp, fid = report["steps"], report["tests"], report["throughput"], report["fid"]
    machine = report["machine"]
    command = f"`benchmarks/gpu_check.sh OUT_DIR{' --cpu' if report['mode'] == 'cpu' else ''}`"
    if machine:
        where = (
            f"Machine: {machine['cuda'] or 'no GPU'}; {machine['cpu']}, {machine['threads']} "
            f"threads; torch {machine['torch']}, Lightning {machine['lightning']}."
        )
    else:
        where = "Machine: not recorded (the throughput step wrote nothing)."
    lines = [f"# GPU check ({report['mode']}, {report['date']})", ""]
    lines += [f"{where} Command: {command}.", ""]
    if report["mode"] == "cpu":
        lines += [
            "`--cpu`: tiny counts, DCGAN at ngf = ndf = 8, compile disabled "
            "(TORCH_COMPILE_DISABLE=1), FID on 64 Inception features. These numbers check the "
            "script; they measure nothing.",
            "",
        ]
    lines += ["| check | result | vs default |", "|---|---|---|"]
    if "passed" in tests:
        result = (
            f"{tests['passed']} passed, {tests['failed']} failed, {tests['errors']} errors, "
            f"{tests['skipped']} skipped ({steps['tests']['seconds']:.0f} s)"
        )
    else:
        result = why_missing(steps.get("tests"))
    lines.append(f"| tests: {' '.join(tests['files'])} | {result} | |")
    settings = tp.get("settings", {})
    missing = why_missing(steps.get("throughput"))
    dcgan = tp.get("runs", {}).get("dcgan64x3", {})
    base = dcgan.get("default", {}).get("it_per_s")
    for switch in SWITCHES:
        row = dcgan.get(switch)
        label = "default" if switch == "default" else f"`{switch}`"
        if switch == "compile" and settings.get("compile_disabled"):
            label += " (disabled: runs eagerly)"
        ratio = ""
        if switch != "default" and base and row and "it_per_s" in row:
            ratio = f"{row['it_per_s'] / base:.2f}"
        lines.append(f"| DCGAN-64 × 3, batch 64, {label} | {rate_cell(row, missing)} | {ratio} |")
    mlp = tp.get("runs", {}).get("mlp_ring", {}).get("default")
    lines.append(f"| ring MLP, batch 256 | {rate_cell(mlp, missing, 'it/s')} | |")
    if fid:
        lines += [
            f"| FID, {fid['num_samples']:,} samples, cached real statistics | "
            f"{fid['with_cache_s']:.1f} s: Inception load {fid['load_s']:.1f} s, statistics "
            f"read {fid['real_stats_cached_s']:.2f} s, generate + embed + distance "
            f"{fid['validation_s']:.1f} s ({fid['images_per_s']:,.0f} images/s) | |",
            f"| FID, the same with the real statistics computed ({fid['num_real']:,} digits) | "
            f"{fid['without_cache_s']:.1f} s | |",
        ]
    else:
        lines.append(f"| FID, cached real statistics | {why_missing(steps.get('fid'))} | |")
    lines.append("")
    if settings:
        lines.append(
            f"Training rates: one run per row, {settings['iterations']} DCGAN iterations "
            f"({settings['warmup']} untimed) and {settings['mlp_iterations']} MLP iterations "
            f"({settings['mlp_warmup']} untimed), benchmarks/train_throughput.py's litgan run "
            "(CSV logger, progress bar, checkpoint and sample callbacks)."
        )
    lines.append(f"The check took {report['total_s']:.0f} s.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--mode", choices=("cuda", "cpu"), required=True)
    parser.add_argument("--tests", default="", help="the test files or ids the tests step ran")
    args = parser.parse_args()

    steps = read_steps(args.out)
    throughput = read_json(args.out / "throughput.json")
    report = {
        "mode": args.mode,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": throughput.get("machine", {}),
        "steps": steps,
        "tests": read_tests(args.out, args.tests.split()),
        "throughput": throughput,
        "fid": read_json(args.out / "fid.json"),
        "total_s": sum(step["seconds"] for step in steps.values()),
    }
    (args.out / "gpu_check.json").write_text(json.dumps(report, indent=2) + "\n")
    table = markdown(report)
    (args.out / "gpu_check.md").write_text(table)
    print(table, end="")
    tests = report["tests"]
    rows = [row for runs in throughput.get("runs", {}).values() for row in runs.values()]
    failed = (
        any(step["exit_status"] for step in steps.values())
        or tests.get("failed", 1) + tests.get("errors", 1) > 0
        or any("error" in row for row in rows)
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
