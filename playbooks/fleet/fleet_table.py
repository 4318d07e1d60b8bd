#!/usr/bin/env python3
"""Prints DIR/fleet.json (playbooks/fleet/site.yml) as a table: one row per host and bundle."""
import json
import sys


def clean(text):
    # Names come from hosts and containers: no control characters reach the terminal.
    return "".join(c if c.isprintable() else "?" for c in str(text))


def main(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    rows = [("HOST", "REACHED", "FOUND", "CONTAINERS", "BUNDLE", "VERIFIED", "NOTE")]
    for host, r in sorted(doc["hosts"].items()):
        containers = ",".join(c[:12] for c in r.get("containers", [])) or "-"
        note = clean(r.get("error", "")).strip()[:60]
        bundles = r.get("bundles", [])
        if not bundles:
            rows.append((host, "yes" if r.get("reached") else "no",
                         "yes" if r.get("found") else "no", containers, "-", "-", note or "-"))
        for b in bundles:
            verified = "yes" if b.get("verified") else (
                "NO (copy differs)" if not b.get("transfer_intact") else "NO")
            rows.append((host, "yes", "yes", containers, b["path"].rsplit("/", 1)[-1],
                         verified, note or "-"))
    widths = [max(len(clean(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(clean(v).ljust(w) for v, w in zip(r, widths)).rstrip())


if __name__ == "__main__":
    main(sys.argv[1])
