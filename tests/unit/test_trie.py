"""CamelCase tokens of real action names, and the token trie."""

from __future__ import annotations

import pytest

from verify_refine.refine import trie
from verify_refine.spec import tokens


@pytest.mark.parametrize("name, expected", [
    ("GetBucketCORS", ["Get", "Bucket", "CORS"]),
    ("DescribeDBInstances", ["Describe", "DB", "Instances"]),
    ("ListMFADevices", ["List", "MFA", "Devices"]),
    ("GetObjectAcl", ["Get", "Object", "Acl"]),
    ("DescribeEC2InstanceConnectEndpoints", ["Describe", "EC2", "Instance", "Connect",
                                             "Endpoints"]),
    ("GetObjectV2", ["Get", "Object", "V2"]),
    ("ListV2LoggingLevels", ["List", "V2", "Logging", "Levels"]),
    ("listCommands", ["list", "Commands"]),                 # lower-case first (ssm, in the wild)
    ("connect", ["connect"]),                               # rds-db:connect
    ("AssociateViaAWSService-EventsAndStates",              # vpc-lattice, a hyphen in the name
     ["Associate", "Via", "AWS", "Service", "-Events", "And", "States"]),
    ("GetMultiRegionAccessPoint", ["Get", "Multi", "Region", "Access", "Point"]),
    ("CreateSAMLProvider", ["Create", "SAML", "Provider"]),
])
def test_name_tokens(name, expected):
    assert tokens.name_tokens(name) == expected
    assert "".join(expected) == name


def test_service_prefix_is_one_token():
    assert tokens.tokens("rds-db:connect") == ["rds-db:", "connect"]
    assert tokens.token_prefixes("s3:GetObjectAcl") == [
        "s3:", "s3:Get", "s3:GetObject", "s3:GetObjectAcl"]


def test_trie_marks_actions_and_orders_children():
    root = trie.build(["s3:GetObject", "s3:GetObjectAcl", "s3:GetBucketAcl", "lambda:Invoke"])
    assert [c.prefix for c in root.ordered_children()] == ["lambda:", "s3:"]
    get = root.children["s3:"].children["s3:get"]
    assert [c.prefix for c in get.ordered_children()] == ["s3:GetBucket", "s3:GetObject"]
    obj = get.children["s3:getobject"]
    assert obj.action == "s3:GetObject" and get.action is None
    assert obj.children["s3:getobjectacl"].action == "s3:GetObjectAcl"
