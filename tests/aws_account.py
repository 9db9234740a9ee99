"""A mocked AWS account for `pull`'s tests, with nothing reaching the network: moto serves IAM and
STS; botocore's Stubber, whose every response is validated against the service's model, answers
what moto does not implement (Access Analyzer, Security Hub, IAM Access Advisor); faults that
botocore's retries must see are injected at the HTTP layer, where moto sits too."""

from __future__ import annotations

import json
import threading
import urllib.parse
from pathlib import Path

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import StubAssertionError, Stubber
from moto import mock_aws

ACCOUNT_ID = "123456789012"  # moto's account, as in tests/fixtures/aws
REGION = "us-east-1"
ANALYZER = f"arn:aws:access-analyzer:{REGION}:{ACCOUNT_ID}:analyzer/unused-access"


class RoutedStubber(Stubber):
    """botocore's Stubber, answering each call with the first queued answer of its operation
    whose expected parameters equal the call's, in whatever order the calls come (pull's workers
    call concurrently). An operation never queued goes on to moto."""

    def __init__(self, client, hooks: dict):
        super().__init__(client)
        self.lock, self.hooks, self.queued = threading.Lock(), hooks, set()
        self.local = threading.local()

    def _add_response(self, method, service_response, expected_params):
        super()._add_response(method, service_response, expected_params)
        self.queued.add(self._queue[-1]["operation_name"])

    def add_client_error(self, method, *args, **kwargs):
        super().add_client_error(method, *args, **kwargs)
        self.queued.add(self._queue[-1]["operation_name"])

    def _assert_expected_params(self, model, params, context, **kwargs):
        """Before the request is built (PARAMS are the call's): choose the answer."""
        self.local.answer = None
        for hook in self.hooks.get(model.name, []):
            hook(params)
        if model.name not in self.queued:
            return
        with self.lock:
            for item in self._queue:
                wanted = item["expected_params"]
                if item["operation_name"] == model.name and (wanted is None or wanted == params):
                    self._queue.remove(item)
                    self.local.answer = item["response"]
                    return
        raise StubAssertionError(operation_name=model.name,
                                 reason=f"no answer queued for {params}")

    def _get_response_handler(self, model, params, context, **kwargs):
        answer, self.local.answer = getattr(self.local, "answer", None), None
        return answer


class Raw:
    """An HTTP body botocore reads as a stream."""

    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **_):
        yield self.body


def throttled(request) -> AWSResponse:
    """IAM's answer to a throttled request (query protocol), as AWS sends it."""
    body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate "
            b"exceeded</Message></Error><RequestId>0</RequestId></ErrorResponse>")
    return AWSResponse(request.url, 400, {}, Raw(body))


class FakeAws:
    """What each service answers. Every client boto3 makes during the test gets a
    RoutedStubber with the answers queued for its service, and the HTTP faults asked for."""

    def __init__(self):
        self.answers: dict[str, list] = {}
        self.hooks: dict[str, dict] = {}
        self.faults: dict[str, list] = {}
        self.stubbers: dict[str, RoutedStubber] = {}
        self.sent: list[str] = []

    def answer(self, service, method, response, params=None) -> None:
        self.answers.setdefault(service, []).append(("response", method, response, params))

    def error(self, service, method, code, message, params=None, status=400) -> None:
        self.answers.setdefault(service, []).append(
            ("error", method, (code, message, status), params))

    def on(self, service, operation, hook) -> None:
        """Call HOOK(params) when the operation is called, before it is answered."""
        self.hooks.setdefault(service, {}).setdefault(operation, []).append(hook)

    def throttle(self, service, operation, times: int) -> None:
        """The first TIMES requests of the operation get a throttling error over HTTP."""
        self.faults.setdefault(service, []).append([operation, times])

    def attach(self, service: str, client) -> None:
        stubber = RoutedStubber(client, self.hooks.get(service, {}))
        for kind, method, response, params in self.answers.get(service, []):
            if kind == "response":
                stubber.add_response(method, response, params)
            else:
                code, message, status = response
                stubber.add_client_error(method, code, message, status, expected_params=params)
        stubber.activate()
        self.stubbers[service] = stubber
        for operation, times in self.faults.get(service, []):
            left = [times]

            def send(request, operation=operation, left=left, **_):
                self.sent.append(operation)
                if left[0] > 0:
                    left[0] -= 1
                    return throttled(request)
                return None
            client.meta.events.register_first(f"before-send.{service}.{operation}", send)


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """Fake credentials and region, no AWS configuration files, moto for every call, and the
    FakeAws whose answers the clients made during the test get."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    fake = FakeAws()
    original = boto3.session.Session.client

    def client(self, service_name, *args, **kwargs):
        made = original(self, service_name, *args, **kwargs)
        fake.attach(service_name, made)
        return made
    monkeypatch.setattr(boto3.session.Session, "client", client)
    with mock_aws():
        yield fake


def create_account(details: Path) -> None:
    """The roles, users, groups and customer managed policies of an authorization details
    file, created in moto's IAM (without AWS managed policies: moto does not load them unless
    told to, slowly, and batch skips them)."""
    iam = boto3.session.Session().client("iam")
    value = json.loads(details.read_text())
    for pol in value.get("Policies", []):
        if ":aws:policy/" in pol["Arn"]:
            continue
        versions = pol["PolicyVersionList"]
        iam.create_policy(PolicyName=pol["PolicyName"], Path=pol["Path"],
                          PolicyDocument=json.dumps(versions[0]["Document"]))
        for version in versions[1:]:
            iam.create_policy_version(PolicyArn=pol["Arn"], PolicyDocument=json.dumps(
                version["Document"]), SetAsDefault=version["IsDefaultVersion"])
    for group in value.get("GroupDetailList", []):
        iam.create_group(GroupName=group["GroupName"], Path=group["Path"])
        for pol in group.get("GroupPolicyList", []):
            iam.put_group_policy(GroupName=group["GroupName"], PolicyName=pol["PolicyName"],
                                 PolicyDocument=json.dumps(pol["PolicyDocument"]))
    for role in value.get("RoleDetailList", []):
        iam.create_role(RoleName=role["RoleName"], Path=role["Path"],
                        AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))
        _policies(iam, role, "role", role["RoleName"])
    for user in value.get("UserDetailList", []):
        iam.create_user(UserName=user["UserName"], Path=user["Path"])
        _policies(iam, user, "user", user["UserName"])
        for group in user.get("GroupList", []):
            iam.add_user_to_group(GroupName=group, UserName=user["UserName"])


def document(value) -> str:
    """A policy document as IAM takes it (a dump may hold it URL-encoded, as IAM's API does)."""
    return urllib.parse.unquote(value) if isinstance(value, str) else json.dumps(value)


def _policies(iam, item: dict, kind: str, name: str) -> None:
    put = iam.put_role_policy if kind == "role" else iam.put_user_policy
    attach = iam.attach_role_policy if kind == "role" else iam.attach_user_policy
    key = {"role": "RoleName", "user": "UserName"}[kind]
    for pol in item.get(f"{kind.capitalize()}PolicyList", []):
        put(**{key: name}, PolicyName=pol["PolicyName"],
            PolicyDocument=document(pol["PolicyDocument"]))
    for att in item.get("AttachedManagedPolicies", []):
        if ":aws:policy/" not in att["PolicyArn"]:
            attach(**{key: name}, PolicyArn=att["PolicyArn"])
