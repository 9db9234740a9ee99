"""batch's proof cache: a repeat run is all hits with the same files; a policy shared by many
principals is proved once; a corrupt or misfiled entry is a miss and never a wrong result;
concurrent runs may share a cache."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import AWS_FIXTURES, BLOG_CATALOG, inline_account, json_paths, replaced, run
from verify_refine.batch import cache

ACCOUNT = AWS_FIXTURES / "account-small.json"
FINDINGS = AWS_FIXTURES / "findings-small"
# the customer managed and inline policies of the account (its AWS managed ones have their
# own tests)
ARGS = ["--catalog", str(BLOG_CATALOG), "--jobs", "1", "--skip-aws-managed"]


def batch(capsys, out: Path, store: Path, *more):
    return run(capsys, "batch", ACCOUNT, "--findings", FINDINGS, "-o", out, "--cache", store,
               *ARGS, *more)


def snapshot(out: Path, seconds: bool = True) -> dict[str, str]:
    """Every file under out, by path; without the seconds each query took when asked."""
    files = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        text = path.read_text()
        if not seconds and path.name.endswith(".cert.json"):
            cert = json.loads(text)
            for ob in cert["obligations"]:
                ob.pop("seconds")
            text = json.dumps(cert)
        files[path.relative_to(out).as_posix()] = text
    return files


def entries(store: Path) -> list[Path]:
    return sorted((store / cache.LAYOUT).glob("*/*.json"))


def test_a_repeat_run_is_all_hits_and_writes_the_same_files(capsys, tmp_path):
    out, store = tmp_path / "out", tmp_path / "cache"
    code, first_stdout, err = batch(capsys, out, store)
    assert code == 0 and "cache hits 0% (0 of 5)" in err
    assert len(entries(store)) == 5
    first = snapshot(out)
    code, stdout, err = batch(capsys, out, store)
    assert code == 0 and "cache hits 100% (5 of 5)" in err and "warning" not in err
    assert stdout == first_stdout and snapshot(out) == first
    for cert in sorted(out.glob("*/*.cert.json")):  # a hit's certificate checks like any
        code, text, _ = run(capsys, "check", cert)
        assert code == 0 and "valid" in text


# batch in a process of its own, every look-up sharing forked (a chunk a policy); it says
# how many times the look-ups were shared out
FORKING = """
import sys
from verify_refine.batch import hits
hits.FORK_MIN = hits.CHUNK = 1
shared, calls = hits._forked, []
hits._forked = lambda *args: calls.append(1) or shared(*args)
from verify_refine.cli import main
code = main(sys.argv[1:])
print(f"shared out {len(calls)} time(s)", file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="batch forks its look-ups on Linux only")
def test_a_repeat_shared_among_forked_processes_writes_what_one_process_writes(
        capsys, tmp_path):
    """The look-ups of a large repeat are shared among --jobs forked processes: the same
    files and counts, and the corrupt entry one of them meets is a miss proved again, its
    note said once."""
    out, store = tmp_path / "out", tmp_path / "cache"
    assert batch(capsys, out, store)[0] == 0
    first = snapshot(out, seconds=False)
    entries(store)[0].write_bytes(b"{}")
    argv = [sys.executable, "-c", FORKING, "batch", ACCOUNT, "--findings", FINDINGS, "-o", out,
            "--cache", store, *ARGS, "--jobs", "2"]
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "cache hits 80% (4 of 5)" in done.stderr and "shared out 1 time" in done.stderr
    assert done.stderr.count("not used, proving again") == 1
    assert snapshot(out, seconds=False) == first


def test_an_older_layout_left_in_the_cache_is_named_once_and_not_read(capsys, tmp_path):
    out, store = tmp_path / "out", tmp_path / "cache"
    (store / "proofs-v2" / "ab").mkdir(parents=True)
    code, _, err = batch(capsys, out, store)
    assert code == 0 and "cache hits 0% (0 of 5)" in err
    assert err.count("proofs-v2/, entries of an older layout") == 1
    assert "delete it to free its space" in err and (store / "proofs-v2").is_dir()


def test_no_cache_keeps_nothing_and_reads_nothing(capsys, tmp_path):
    store = tmp_path / "cache"
    assert batch(capsys, tmp_path / "a", store)[0] == 0
    code, _, err = run(capsys, "batch", ACCOUNT, "--findings", FINDINGS, "-o", tmp_path / "b",
                       "--no-cache", *ARGS)
    assert code == 0 and "cache hits 0% (0 of 5)" in err
    code, _, err = run(capsys, "batch", ACCOUNT, "--findings", FINDINGS, "-o", tmp_path / "c",
                       "--no-cache", "--cache", store, *ARGS)
    assert code == 2 and err == "--cache and --no-cache cannot be given together\n"


def shared_account(folder: Path, roles: int) -> Path:
    """Roles that all carry the same inline policy and the same findings."""
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "lambda:*"], "Resource": "*"}]}
    unused = ["lambda:DeleteFunction", "lambda:CreateFunction", "s3:GetObjectAcl"]
    return inline_account(folder, {f"app-{n}": (document, unused) for n in range(roles)},
                          policy_name="app")


def test_a_policy_shared_by_many_principals_is_proved_once(capsys, tmp_path):
    auth, store = shared_account(tmp_path, 5), tmp_path / "cache"
    code, stdout, err = run(capsys, "batch", auth, "--findings", tmp_path / "findings", "-o",
                            tmp_path / "out", "--cache", store, *ARGS)
    assert code == 0 and stdout.startswith("batch: 5 policies: 5 proved"), err
    assert len(entries(store)) == 1
    for n in range(5):
        cert_path = tmp_path / "out" / f"app-{n}" / "app.cert.json"
        cert = json.loads(cert_path.read_text())
        assert cert["files"] == {"original": "app.original.json", "unused": "findings.json",
                                 "refined": "app.refined.json"}
        code, text, _ = run(capsys, "check", cert_path)
        assert code == 0 and "valid" in text


def mutations():
    """A change to a stored entry: its bytes cut short, or one JSON value replaced."""
    values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                       st.just("proved"), st.lists(st.integers(), max_size=2))
    return st.one_of(st.tuples(st.just("cut"), st.floats(0, 1)),
                     st.tuples(st.just("value"), st.integers(0, 10**6), values))


def mutate(path: Path, mutation) -> bool:
    """Apply a mutation; False when it changed nothing."""
    data = path.read_bytes()
    if mutation[0] == "cut":
        new = data[:int(len(data) * mutation[1])]
    else:  # in the header line or in the body after it
        head, _, body = data.partition(b"\n")
        parts = [json.loads(head), json.loads(body)]
        paths = list(json_paths(parts))
        changed = replaced(copy.deepcopy(parts), paths[mutation[1] % len(paths)], mutation[2])
        if changed == parts:
            return False
        if not (isinstance(changed, list) and len(changed) == 2):
            new = json.dumps(changed).encode()
        else:  # a body left as it was keeps its bytes, so that only the header is wrong
            new = json.dumps(changed[0]).encode() + b"\n" + (
                body if changed[1] == parts[1] else json.dumps(changed[1]).encode())
    path.write_bytes(new)
    return new != data


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutation=mutations(), which=st.integers(0, 3))
def test_a_corrupt_entry_is_a_miss_never_a_wrong_result(tmp_path_factory, capsys, mutation,
                                                        which):
    tmp = tmp_path_factory.mktemp("corrupt")
    store = tmp / "cache"
    assert batch(capsys, tmp / "fresh", store)[0] == 0
    fresh = snapshot(tmp / "fresh", seconds=False)
    target = entries(store)[which]
    if not mutate(target, mutation):
        return
    code, _, err = batch(capsys, tmp / "again", store)
    assert code == 0, err
    assert snapshot(tmp / "again", seconds=False) == fresh  # proved again, the same result
    assert "cache hits 80% (4 of 5)" in err
    assert err.count(f"warning: cache entry {target} not used, proving again: ") == 1


def test_an_entry_filed_under_another_key_is_refused_by_its_hashes(capsys, tmp_path):
    store = tmp_path / "cache"
    assert batch(capsys, tmp_path / "fresh", store)[0] == 0
    fresh = snapshot(tmp_path / "fresh", seconds=False)
    first, second = entries(store)[:2]
    moved = cache.read_entry(first.read_bytes(), first.stem)  # whole, for other inputs
    second.write_bytes(cache.entry_bytes(second.stem, moved))  # filed under another key
    code, _, err = batch(capsys, tmp_path / "again", store)
    assert code == 0 and snapshot(tmp_path / "again", seconds=False) == fresh
    assert f"cache entry {second} not used, proving again: its recorded hashes are not " \
           "those of the policy, findings and refined text" in err


def test_concurrent_runs_share_a_cache(tmp_path, capsys):
    store = tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-m", "verify_refine", "batch", str(ACCOUNT),
                               "--findings", str(FINDINGS), "-o", str(tmp_path / f"out{n}"),
                               "--cache", str(store), *ARGS],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert len(entries(store)) == 5
    assert not list(store.rglob("*.tmp"))
    code, _, err = batch(capsys, tmp_path / "after", store)
    assert code == 0 and "cache hits 100% (5 of 5)" in err
    assert snapshot(tmp_path / "after", seconds=False) == snapshot(tmp_path / "out0",
                                                                  seconds=False)
