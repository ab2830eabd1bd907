"""ops/aws/mailagent.yaml: cfn-lint clean; the part moto's CloudFormation can build is deployed to moto and checked
(the attachments bucket's 24 h lifecycle, encryption and public-access block, the log group's retention, the IRSA
roles); the Cognito pool and the secrets, which moto's CloudFormation cannot build, are made through their APIs
from the template's own properties, and the app's Cognito and Secrets Manager adapters run against them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import loads

from adapters.cognito.identity_provider import build_cognito_identity_provider
from adapters.secrets_manager.secret_store import build_secrets_manager_secret_store
from tests.support.moto import AWS_REGION, aws_client, moto_endpoint  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "ops" / "aws" / "mailagent.yaml"
# What moto 5's CloudFormation can create; the rest is made below from the same properties.
MOTO_CFN_TYPES = {
    "AWS::S3::Bucket",
    "AWS::IAM::Role",
    "AWS::IAM::ManagedPolicy",
    "AWS::Logs::LogGroup",
    "AWS::EC2::SecurityGroup",
    "AWS::RDS::DBSubnetGroup",
}
OIDC = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"


def template() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(json.dumps(loads(TEMPLATE.read_text())))
    return parsed


def test_cfn_lint_is_clean() -> None:
    lint = Path(sys.executable).parent / "cfn-lint"
    out = subprocess.run([str(lint), str(TEMPLATE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_template_declares_what_the_issue_asks_for() -> None:
    resources = template()["Resources"]
    types = {r["Type"] for r in resources.values()}
    assert types >= {
        "AWS::Cognito::UserPool",
        "AWS::Cognito::UserPoolClient",
        "AWS::Cognito::UserPoolGroup",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        "AWS::CertificateManager::Certificate",
        "AWS::Logs::LogGroup",
        "AWS::RDS::DBInstance",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::IAM::Role",
    }
    groups = {r["Properties"]["GroupName"] for r in resources.values() if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == {"Admin", "User"}
    db = resources["Database"]["Properties"]
    assert db["StorageEncrypted"] is True and db["BackupRetentionPeriod"] >= 7 and db["PubliclyAccessible"] is False
    redis = resources["Redis"]["Properties"]
    assert redis["TransitEncryptionEnabled"] is True and redis["AtRestEncryptionEnabled"] is True


def test_the_attachments_bucket_forgets_after_24_hours_and_is_private() -> None:
    bucket = template()["Resources"]["AttachmentsBucket"]["Properties"]
    from adapters.s3.blob_store import TEMPORARY_TAG

    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    expire = rules["mailagent-expire-unused-uploads"]
    assert expire["Status"] == "Enabled" and expire["ExpirationInDays"] == 1 and expire["Prefix"] == "uploads/"
    # Only uploads no draft or scheduled mail holds (the app tags those "false"): the same tag the app writes.
    assert expire["TagFilters"] == [{"Key": TEMPORARY_TAG, "Value": "true"}]
    abort = rules["mailagent-abort-incomplete-uploads"]
    assert abort["Status"] == "Enabled" and abort["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    assert bucket["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    policy = template()["Resources"]["AttachmentsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Effect"] == "Deny" and policy["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def _without_unsupported(t: dict[str, Any]) -> dict[str, Any]:
    dropped = {name for name, r in t["Resources"].items() if r["Type"] not in MOTO_CFN_TYPES}

    def mentions(value: Any) -> bool:
        text = json.dumps(value)
        return any(f'"{d}"' in text or f"${{{d}" in text or f'"{d}.' in text for d in dropped)

    t["Resources"] = {k: v for k, v in t["Resources"].items() if k not in dropped}
    for resource in t["Resources"].values():
        props = resource.get("Properties", {})
        for policy in props.get("Policies", []):
            statements = policy["PolicyDocument"]["Statement"]
            policy["PolicyDocument"]["Statement"] = [s for s in statements if not mentions(s)]
        if "PolicyDocument" in props and resource["Type"] == "AWS::IAM::ManagedPolicy":
            props["PolicyDocument"]["Statement"] = [s for s in props["PolicyDocument"]["Statement"] if not mentions(s)]
        props.pop("Policies", None) if all(
            not p["PolicyDocument"]["Statement"] for p in props.get("Policies", [])
        ) and props.get("Policies") else None
    t["Outputs"] = {k: v for k, v in t["Outputs"].items() if not mentions(v)}
    return t


@pytest.fixture
def deployed(moto_endpoint: str) -> dict[str, Any]:  # noqa: F811
    ec2 = aws_client("ec2", moto_endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for i, zone in enumerate(["us-east-1a", "us-east-1b"])
    ]
    nodes = ec2.create_security_group(GroupName="eks-nodes", Description="nodes", VpcId=vpc)["GroupId"]
    params = {
        "Environment": "ci",
        "DomainName": "mail.example.com",
        "VpcId": vpc,
        "PrivateSubnetIds": ",".join(subnets),
        "ClusterSecurityGroupId": nodes,
        "OidcProviderHost": OIDC,
        "DatabaseMultiAz": "false",
    }
    cf = aws_client("cloudformation", moto_endpoint)
    cf.create_stack(
        StackName="mailagent-ci",
        TemplateBody=json.dumps(_without_unsupported(template())),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    stack = cf.describe_stacks(StackName="mailagent-ci")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    return {"endpoint": moto_endpoint, "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}}


def test_moto_builds_the_bucket_log_group_and_roles_as_declared(deployed: dict[str, Any]) -> None:
    endpoint, outputs = deployed["endpoint"], deployed["outputs"]
    s3 = aws_client("s3", endpoint)
    bucket = outputs["AttachmentsBucketName"]
    # moto's CloudFormation applies a bucket's encryption but not its lifecycle or public-access block: those two
    # are checked in the template itself (test_the_attachments_bucket_forgets_after_24_hours_and_is_private).
    encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    s3.put_object(Bucket=bucket, Key="attachments/a.txt", Body=b"hello")
    assert s3.get_object(Bucket=bucket, Key="attachments/a.txt")["Body"].read() == b"hello"

    logs = aws_client("logs", endpoint)
    (group,) = logs.describe_log_groups(logGroupNamePrefix=outputs["LogGroupName"])["logGroups"]
    assert group["retentionInDays"] == 30
    assert outputs["MetricNamespace"] == "mailagent"

    iam = aws_client("iam", endpoint)
    for output, account in (
        ("ApiRoleArn", "mailagent-api"),
        ("WorkerRoleArn", "mailagent-worker"),
        ("SecretsReaderRoleArn", "mailagent-secrets-reader"),
    ):
        role = iam.get_role(RoleName=outputs[output].rsplit("/", 1)[1])["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        condition = trust["Statement"][0]["Condition"]["StringEquals"]
        assert condition[f"{OIDC}:sub"] == f"system:serviceaccount:mailagent:{account}"


def test_the_apps_adapters_work_against_the_templates_cognito_and_secrets(moto_endpoint: str) -> None:  # noqa: F811
    resources = template()["Resources"]
    idp = aws_client("cognito-idp", moto_endpoint)
    pool_props = resources["UserPool"]["Properties"]
    pool_id = idp.create_user_pool(
        PoolName="mailagent-ci",
        Policies=pool_props["Policies"],
        UsernameAttributes=pool_props["UsernameAttributes"],
        AutoVerifiedAttributes=pool_props["AutoVerifiedAttributes"],
        AccountRecoverySetting=pool_props["AccountRecoverySetting"],
    )["UserPool"]["Id"]
    client_props = resources["UserPoolClient"]["Properties"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="api", GenerateSecret=False, ExplicitAuthFlows=client_props["ExplicitAuthFlows"]
    )["UserPoolClient"]["ClientId"]
    for group in ("AdminGroup", "UserGroup"):
        idp.create_group(UserPoolId=pool_id, GroupName=resources[group]["Properties"]["GroupName"])

    provider = build_cognito_identity_provider(
        AWS_REGION,
        pool_id,
        client_id,
        endpoint_url=moto_endpoint,
        jwks_url=f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
        issuer=f"https://cognito-idp.{AWS_REGION}.amazonaws.com/{pool_id}",
    )
    minimum = pool_props["Policies"]["PasswordPolicy"]["MinimumLength"]
    password = "Correct-horse 42 battery"
    assert len(password) >= minimum
    subject = provider.register("ops@example.com", password)
    provider.confirm("ops@example.com", "123456")
    tokens = provider.login("ops@example.com", password)
    assert provider.verify_access_token(tokens.access_token).subject == subject

    sm = aws_client("secretsmanager", moto_endpoint)
    for name, resource in resources.items():
        if resource["Type"] != "AWS::SecretsManager::Secret" or name == "ConnectionSecret":
            continue
        props = resource["Properties"]
        generate = props.get("GenerateSecretString")
        if generate:
            value = json.loads(generate["SecretStringTemplate"])
            value[generate["GenerateStringKey"]] = sm.get_random_password(
                PasswordLength=generate["PasswordLength"], ExcludePunctuation=True
            )["RandomPassword"]
            secret = json.dumps(value)
        else:
            secret = props["SecretString"]
        sm.create_secret(Name=props["Name"]["Fn::Sub"].replace("${Environment}", "ci"), SecretString=secret)
    jwt = json.loads(sm.get_secret_value(SecretId="mailagent/ci/generated")["SecretString"])
    assert len(jwt["MAILAGENT_JWT_SECRET"]) == 64

    store = build_secrets_manager_secret_store(
        region=AWS_REGION, prefix="mailagent/ci/data", endpoint_url=moto_endpoint
    )
    ref = store.put("oauth/google/u1", '{"refresh_token": "r"}')
    assert store.get(ref) == '{"refresh_token": "r"}'
    assert sm.describe_secret(SecretId="mailagent/ci/data/oauth/google/u1")["Name"].startswith("mailagent/ci/data/")
