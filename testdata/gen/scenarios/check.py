#!/usr/bin/python3
"""Run datrace over testdata/scenarios/expected.tsv and report mismatches.

  testdata/gen/scenarios/check.py [DATRACE] [NAME-SUBSTRING...]

Run from the top of the tree (the options in the table use paths relative
to it). DATRACE defaults to build/datrace. For each line: the exit status,
every expect_id present, every listed frame among that verdict's frames
(any verdict with that id), no absent_id present. Exit 0 when all lines
pass. A reference for the C end-to-end tests, not a replacement.
"""
import json
import shlex
import subprocess
import sys

TSV = "testdata/scenarios/expected.tsv"


def rows():
    with open(TSV) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            cols += [""] * (6 - len(cols))
            yield cols


def parse_frames(s):
    out = {}
    for group in filter(None, s.split(";")):
        vid, _, frames = group.partition(":")
        out[vid] = [int(x) for x in frames.split(",") if x]
    return out


def main():
    args = sys.argv[1:]
    exe = "build/datrace"
    if args and "/" in args[0]:
        exe = args.pop(0)
    bad = total = 0
    for file, opts, expect, frames, exitcode, absent in rows():
        if args and not any(a in file for a in args):
            continue
        total += 1
        cmd = [exe, "-f", "json"] + shlex.split(opts) + ["testdata/scenarios/" + file]
        p = subprocess.run(cmd, capture_output=True, text=True)
        problems = []
        if str(p.returncode) != exitcode:
            problems.append("exit %d, want %s" % (p.returncode, exitcode))
        try:
            doc = json.loads(p.stdout)
            verdicts = [v for c in doc["captures"] for v in c["verdicts"]]
        except (ValueError, KeyError) as e:
            problems.append("no JSON: %s %s" % (e, p.stderr.strip()[:200]))
            verdicts = []
        have = {}
        for v in verdicts:
            have.setdefault(v["id"], set()).update(v.get("frames") or [])
        for vid in filter(None, expect.split(",")):
            if vid not in have:
                problems.append("missing " + vid)
        for vid, fr in parse_frames(frames).items():
            if vid in have:
                miss = [x for x in fr if x not in have[vid]]
                if miss:
                    problems.append("%s lacks frames %s (has %s)"
                                    % (vid, miss, sorted(have[vid])))
        for vid in filter(None, absent.split(",")):
            if vid in have:
                problems.append("unwanted " + vid)
        if problems:
            bad += 1
            print("FAIL %s [%s]: %s" % (file, opts, "; ".join(problems)))
    print("%d of %d lines pass" % (total - bad, total))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
