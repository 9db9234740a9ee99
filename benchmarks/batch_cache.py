"""Time `verify-refine batch` on a synthetic account: cold and repeated (proof cache), in one process and on a local Dask cluster.

    python benchmarks/batch_cache.py [--roles 300] [--seed 7] [--jobs-list 1,2] [--keep DIR]

Builds a seeded account (authorization details and one findings file per role) from the AWS
managed policies of the shared corpus: each role has 1-4 customer managed policies drawn from
a pool of 150 corpus policies and 0-1 inline ones, and 30% of the actions its policies match
unused (a draw seeded by the role). Then, for each --jobs value, runs the whole `verify-refine
batch` process twice with a fresh cache folder: cold (every policy proved) and repeated
(every result from the cache), and prints the wall time, the process's last line (throughput
and cache hit rate) and the verdict counts. Standard library only, beside verify-refine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from verify_refine.inputs import catalog as catalog_mod
from verify_refine.inputs.policy import parse_policy
from verify_refine.testing.corpus import corpus_files, managed_policies, matched_actions

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "111122223333"


def pool(cat, size: int, rng: random.Random) -> list[tuple[str, dict, list[str]]]:
    """`size` corpus policies with Allow statements matching 1 to 400 catalog actions: name,
    document and matched actions."""
    usable = []
    for path in corpus_files(managed_policies(ROOT)):
        text = Path(path).read_text()
        if "NotAction" in text:
            continue
        matched = matched_actions(parse_policy(text.encode(), path), cat)
        if 0 < len(matched) <= 400:
            usable.append((Path(path).stem, json.loads(text), matched))
    return rng.sample(usable, size)


def make_account(folder: Path, roles: int, seed: int) -> tuple[Path, int]:
    """auth.json and findings/ under folder; returns the account file and the policy count."""
    cat = catalog_mod.load(None)
    rng = random.Random(seed)
    policies = pool(cat, 150, rng)
    (folder / "findings").mkdir(parents=True)
    details, managed, count = [], {}, 0
    for n in range(roles):
        name = f"role-{n:04d}"
        chosen = rng.sample(policies, rng.randint(1, 4))
        inline = [rng.choice(policies)] if rng.random() < 0.5 else []
        attached = []
        for stem, document, _ in chosen:
            arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/{stem}"
            attached.append({"PolicyName": stem, "PolicyArn": arn})
            managed[arn] = (stem, document)
        actions = sorted({a for _, _, matched in chosen + inline for a in matched})
        draw = random.Random(f"{seed}:{name}")
        unused = [a for a in actions if draw.random() < 0.3] or actions[:1]
        (folder / "findings" / f"{name}.json").write_text(json.dumps(unused))
        details.append({"RoleName": name, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
                        "RolePolicyList": [{"PolicyName": f"{stem}-inline",
                                            "PolicyDocument": document}
                                           for stem, document, _ in inline],
                        "AttachedManagedPolicies": attached})
        count += len(chosen) + len(inline)
    versions = [{"PolicyName": stem, "Arn": arn, "DefaultVersionId": "v1",
                 "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0,
                 "PolicyVersionList": [{"Document": document, "VersionId": "v1",
                                        "IsDefaultVersion": True}]}
                for arn, (stem, document) in sorted(managed.items())]
    auth = folder / "auth.json"
    auth.write_text(json.dumps({"RoleDetailList": details, "UserDetailList": [],
                                "GroupDetailList": [], "Policies": versions}))
    return auth, count


def timed(argv: list[str]) -> tuple[float, str, str]:
    """Wall time, first stdout line and last stderr line of one verify-refine process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "verify_refine", *argv],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1, 3):
        sys.exit(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    last = [line for line in done.stderr.splitlines() if " policies in " in line]
    return elapsed, done.stdout.splitlines()[0], last[-1] if last else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roles", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs-list", default="1,2")
    ap.add_argument("--keep", metavar="DIR", help="build the account in DIR and keep it")
    args = ap.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="batch-cache-"))
    auth, count = make_account(folder, args.roles, args.seed)
    print(f"account: {args.roles} roles, {count} policy attachments, seed {args.seed}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for jobs in args.jobs_list.split(","):
        store = folder / f"cache-{jobs}"
        for run in ("cold", "repeat"):
            argv = ["batch", str(auth), "--findings", str(folder / "findings"), "-o",
                    str(folder / f"out-{jobs}-{run}"), "--jobs", jobs, "--cache", str(store)]
            elapsed, verdicts, last = timed(argv)
            print(f"--jobs {jobs} {run}: {elapsed:.1f} s wall; {verdicts}; {last}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
