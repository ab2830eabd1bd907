"""ops/k8s, validated offline: each overlay renders with `kubectl kustomize`, passes `kubernetes-validate --strict`
(Kubernetes' own OpenAPI schemas), and our policy: probes, requests and limits, non-root, read-only root, no
capabilities, pinned image tags, the autoscaling and disruption rules, the migration gate, the ALB settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ["local", "eks"]
CUSTOM_KINDS = {"ExternalSecret", "SecretStore"}  # CRDs: kubernetes-validate has no schema; checked below


def kubectl() -> str:
    out = subprocess.run([str(ROOT / "ops" / "k8s" / "tools.sh")], capture_output=True, text=True, check=True)
    return str(Path(out.stdout.strip().splitlines()[-1]) / "kubectl")


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, list[dict[str, Any]]]:
    out = subprocess.run(
        [kubectl(), "kustomize", str(ROOT / "ops" / "k8s" / "overlays" / request.param)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    return request.param, [d for d in yaml.safe_load_all(out.stdout) if d]


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{d['kind']}/{d['metadata']['name']}", d["spec"]["template"]["spec"])
        for d in docs
        if d["kind"] in ("Deployment", "Job")
    ]


def test_every_manifest_passes_kubernetes_validate_strict(
    rendered: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    _, docs = rendered
    core = [d for d in docs if d["kind"] not in CUSTOM_KINDS]
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(core))
    validator = Path(sys.executable).parent / "kubernetes-validate"
    out = subprocess.run([str(validator), "--strict", "--quiet", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert {d["kind"] for d in core} >= {
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Secret" if rendered[0] == "local" else "ConfigMap",
        "Deployment",
        "Service",
        "Job",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "Ingress",
    }


def test_every_container_is_probed_limited_and_locked_down(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    for where, spec in pod_specs(docs):
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True and pod_sc["runAsUser"] != 0, where
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", where
        for c in spec.get("initContainers", []) + spec["containers"]:
            name = f"{where}/{c['name']}"
            for key in ("cpu", "memory"):
                assert key in c["resources"]["requests"] and key in c["resources"]["limits"], f"{name}: {key}"
            sc = c["securityContext"]
            assert sc["runAsNonRoot"] is True, name
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            image = c["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert (tag and tag != "latest") or "@sha256:" in image, f"{name}: pin the image tag ({image})"
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{name}: a writable /tmp on the read-only root"
        if where.startswith("Deployment/"):
            for c in spec["containers"]:
                assert "livenessProbe" in c and "readinessProbe" in c, f"{where}/{c['name']}: probes"


def test_api_probes_use_healthz_and_readyz(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    api = next(d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "mailagent-api")
    c = api["spec"]["template"]["spec"]["containers"][0]
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_autoscaling_and_disruption_budgets(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    (hpa,) = of_kind(docs, "HorizontalPodAutoscaler")
    spec = hpa["spec"]
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
    targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
    assert targets == {"cpu": 70, "memory": 80}
    assert spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 30
    assert spec["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 30
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"]
        for p in of_kind(docs, "PodDisruptionBudget")
    }
    deployments = {
        d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for d in of_kind(docs, "Deployment")
    }
    assert budgets == deployments == {"api", "worker"}


def test_pods_wait_for_the_migration_job(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, docs = rendered
    (job,) = of_kind(docs, "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]
    assert job["metadata"]["name"] != "mailagent-migrate", "each release's Job needs its own name"
    for d in of_kind(docs, "Deployment"):
        init = d["spec"]["template"]["spec"]["initContainers"]
        assert init[0]["args"][:2] == ["db", "check"], d["metadata"]["name"]


def test_network_policies_deny_by_default_and_open_only_what_is_needed(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, docs = rendered
    policies = {p["metadata"]["name"]: p["spec"] for p in of_kind(docs, "NetworkPolicy")}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    metrics = policies["mailagent-metrics-from-monitoring"]["ingress"][0]
    assert metrics["ports"] == [{"port": 9100, "protocol": "TCP"}]
    assert "namespaceSelector" in metrics["from"][0]


def test_ingress_paths_and_the_eks_load_balancer(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, docs = rendered
    (ingress,) = of_kind(docs, "Ingress")
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            assert path["pathType"] in {"Exact", "Prefix", "ImplementationSpecific"}  # not checked by the schemas
    if overlay != "eks":
        return
    a = ingress["metadata"]["annotations"]
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert a["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert a["alb.ingress.kubernetes.io/ssl-redirect"] == "443"
    assert "idle_timeout.timeout_seconds=3600" in a["alb.ingress.kubernetes.io/load-balancer-attributes"]
    assert "stickiness.enabled=false" in a["alb.ingress.kubernetes.io/target-group-attributes"]
    accounts = {s["metadata"]["name"]: s for s in of_kind(docs, "ServiceAccount")}
    for name in ("mailagent-api", "mailagent-worker", "mailagent-secrets-reader"):
        assert accounts[name]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    (external,) = of_kind(docs, "ExternalSecret")
    assert external["apiVersion"] == "external-secrets.io/v1"
    assert external["spec"]["target"]["name"] == "mailagent-secrets"
    assert external["spec"]["secretStoreRef"]["name"] == of_kind(docs, "SecretStore")[0]["metadata"]["name"]
    assert of_kind(docs, "SecretStore")[0]["spec"]["provider"]["aws"]["service"] == "SecretsManager"
    config = of_kind(docs, "ConfigMap")[0]["data"]
    assert config["MAILAGENT_SECRETS_BACKEND"] == "secretsmanager"
    assert config["MAILAGENT_IDENTITY_PROVIDER"] == "cognito"
