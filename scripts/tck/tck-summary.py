#!/usr/bin/env python3
"""Totals of a TCK run from its JUnit files, and the tests one run fails that another passes.

Reads the .xml files run-tck.sh writes (<results>/<name>.xml for v1.0, <name>-<category>.xml for
v0.3) and never runs anything. Test tooling only; standard library only.

  tck-summary.py <name> [<name> ...]          one line of totals per run
  tck-summary.py --diff <baseline> <name>     tests <name> fails (or errors) that <baseline> does not

A test counts as passed when JUnit has no failure/error/skipped child (pytest writes an xpassed
test like that); "skipped" includes xfailed. <results> is $TCK_RESULTS or /tmp/tck-results.
"""

import glob
import os
import sys
import xml.etree.ElementTree as ET


def outcomes(results_dir, name):
    """{test id: passed | failed | skipped} over every JUnit file of the run `name`."""
    files = [os.path.join(results_dir, name + ".xml")]
    files += sorted(glob.glob(os.path.join(glob.escape(results_dir), glob.escape(name) + "-*.xml")))
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        raise SystemExit(f"no JUnit files for run '{name}' in {results_dir}")
    out = {}
    for path in files:
        for case in ET.parse(path).getroot().iter("testcase"):
            key = f"{case.get('classname')}::{case.get('name')}"
            state = "passed"
            for child in case:
                if child.tag in ("failure", "error"):
                    state = "failed"
                elif child.tag == "skipped" and state == "passed":
                    state = "skipped"
            out[key] = state
    return out


def totals(results):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for state in results.values():
        counts[state] += 1
    return counts


def main(argv):
    results_dir = os.environ.get("TCK_RESULTS", "/tmp/tck-results")
    if len(argv) == 3 and argv[0] == "--diff":
        base, other = outcomes(results_dir, argv[1]), outcomes(results_dir, argv[2])
        worse = sorted(k for k, s in other.items() if s == "failed" and base.get(k) != "failed")
        better = sorted(k for k, s in base.items() if s == "failed" and other.get(k) != "failed")
        print(f"failed in {argv[2]}, not in {argv[1]}: {len(worse)}")
        for key in worse:
            print(f"  {key} ({argv[1]}: {base.get(key, 'absent')})")
        print(f"failed in {argv[1]}, not in {argv[2]}: {len(better)}")
        for key in better:
            print(f"  {key} ({argv[2]}: {other.get(key, 'absent')})")
        return 0
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for name in argv:
        t = totals(outcomes(results_dir, name))
        print(f"{name}: {t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
