"""The deployment files: Kubernetes manifests (rendered and schema-checked offline), the NATS
permissions, the compose stack, the Dockerfile and the monitoring rules and dashboard."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase
from vp_contracts.events import jobs as job_events
from vp_contracts.events import story as story_events
from vp_contracts.events.base import Event
from vp_runtime.messaging.topology import default_topology
from vp_runtime.observability import metrics
from vp_runtime.settings import RuntimeSettings

from tests.support import infra_kustomize, infra_nats

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "infra" / "k8s"
KUBERNETES_VERSION = "1.31.0"
SERVICES = ("gateway", "notifier", "planner", "generator", "compositor", "upscaler")
WORKERS = ("planner", "generator", "compositor", "upscaler")
TREES = ("base", "overlays/dev", "overlays/prod")
Obj = dict[str, Any]


def _exposed() -> set[str]:
    """Every series name the services' metrics expose (``_total``, ``_bucket``, ... included)."""
    names = {"up"}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.collect():
                names |= {sample.name for sample in family.samples}
                names.add(family.name)
                if family.type == "counter":
                    names.add(family.name + "_total")
                if family.type == "histogram":
                    names |= {family.name + s for s in ("_bucket", "_count", "_sum")}
    return names


METRICS = _exposed()


@functools.cache
def rendered(tree: str) -> tuple[Obj, ...]:
    return tuple(infra_kustomize.render(K8S / tree))


def of_kind(tree: str, kind: str) -> dict[str, Obj]:
    return {obj["metadata"]["name"]: obj for obj in rendered(tree) if obj["kind"] == kind}


def containers(obj: Obj) -> list[Obj]:
    result: list[Obj] = obj["spec"]["template"]["spec"]["containers"]
    return result


def env_of(container: Obj) -> dict[str, Obj]:
    return {item["name"]: item for item in container.get("env", [])}


# -- rendering ----------------------------------------------------------------------------


@pytest.mark.parametrize("tree", TREES)
def test_the_python_renderer_matches_kubectl(tree: str) -> None:
    if infra_kustomize.kubectl() is None:
        pytest.skip("kubectl is not installed: the Python renderer is the one in use")
    by_kubectl = infra_kustomize.render(K8S / tree, use_kubectl=True)
    by_python = infra_kustomize.render(K8S / tree, use_kubectl=False)
    key = lambda obj: (obj["kind"], obj["metadata"]["name"])  # noqa: E731
    assert sorted(by_python, key=key) == sorted(by_kubectl, key=key)


@pytest.mark.parametrize("tree", TREES)
def test_every_object_is_valid_for_kubernetes(tree: str) -> None:
    objects = rendered(tree)
    assert len(objects) >= 18
    custom = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            custom.append(obj["kind"])
        except kubernetes_validate.ValidationError as error:
            raise AssertionError(f"{obj['kind']}/{obj['metadata']['name']}: {error}") from None
    assert set(custom) <= {"ScaledObject"}
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "videoplanet", obj["metadata"]["name"]
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "videoplanet"


@pytest.mark.parametrize("tree", TREES)
def test_deployments_are_probed_bounded_and_unprivileged(tree: str) -> None:
    deployments = of_kind(tree, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        template = deployment["spec"]["template"]
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == "8080"
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["automountServiceAccountToken"] is False
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        (container,) = containers(deployment)
        assert (
            container["image"].split("/")[-1].startswith(f"{name}:") or name in container["image"]
        )
        assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"]
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, (name, kind)
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]
        assert container["envFrom"][0] == {"configMapRef": {"name": "vp-config"}}
        # Only the notifier (and the declare Job) read the webhook receivers.
        webhooks = {"secretRef": {"name": "vp-webhooks", "optional": True}}
        assert (webhooks in container["envFrom"]) is (name == "notifier"), name


def test_media_stages_get_more_cpu_and_memory_than_the_api() -> None:
    deployments = of_kind("base", "Deployment")

    def memory(name: str) -> int:
        value = containers(deployments[name])[0]["resources"]["limits"]["memory"]
        return int(value.removesuffix("Gi")) * 1024 if value.endswith("Gi") else int(value[:-2])

    for heavy in ("generator", "compositor", "upscaler"):
        for light in ("gateway", "notifier", "planner"):
            assert memory(heavy) > memory(light)


@pytest.mark.parametrize("tree", TREES)
def test_secrets_are_only_referenced(tree: str) -> None:
    assert of_kind(tree, "Secret") == {}
    config = of_kind(tree, "ConfigMap")["vp-config"]["data"]
    for key in config:
        assert not re.search(r"SECRET|PASSWORD|ACCESS_KEY|JWT|PROVIDERS|DATABASE_URL", key), key
    sensitive = re.compile(r"SECRET|PASSWORD|ACCESS_KEY|PROVIDERS|DATABASE_URL")
    for obj in [*of_kind(tree, "Deployment").values(), *of_kind(tree, "Job").values()]:
        for container in containers(obj):
            for name, item in env_of(container).items():
                if sensitive.search(name):
                    assert "value" not in item, (obj["metadata"]["name"], name)
                    assert "secretKeyRef" in item["valueFrom"], (obj["metadata"]["name"], name)


OUTSIDE_TEAMS = {"team-analytics"}


def test_each_service_logs_in_to_nats_as_its_own_user() -> None:
    users = infra_nats.users()
    server_env = infra_nats.values()["container"]["env"]
    variables = infra_nats.password_variables()
    objects = [*of_kind("base", "Deployment").values(), *of_kind("base", "Job").values()]
    seen = set()
    for obj in objects:
        env = env_of(containers(obj)[0])
        user = env["VP_NATS_USER"]["value"]
        assert user in users
        secret = env["VP_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": f"vp-nats-{user}", "key": "password"}
        # The server reads the same Secret for that user's password.
        assert server_env[variables[user]]["valueFrom"]["secretKeyRef"] == secret
        if obj["kind"] == "Deployment":
            assert user == obj["metadata"]["name"]
        seen.add(user)
    assert seen == set(users) - OUTSIDE_TEAMS  # an outside team runs nothing here


def test_gateway_and_notifier_have_services_and_hpas() -> None:
    deployments = of_kind("base", "Deployment")
    services = of_kind("base", "Service")
    hpas = of_kind("base", "HorizontalPodAutoscaler")
    assert set(hpas) == {"gateway", "notifier"}
    assert set(services) >= {"gateway", "notifier"}
    for name in ("gateway", "notifier"):
        assert hpas[name]["apiVersion"] == "autoscaling/v2"
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] in deployments
        assert 1 <= hpas[name]["spec"]["minReplicas"] <= hpas[name]["spec"]["maxReplicas"]
        selector = services[name]["spec"]["selector"]
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items()
        assert services[name]["spec"]["ports"][0]["targetPort"] == "http"
    assert containers(deployments["gateway"])[0]["args"] == ["serve"]


def test_workers_scale_with_keda_on_their_declared_consumers() -> None:
    topology = default_topology()
    declared = {(spec.stream, spec.name) for spec in topology.consumers}
    scaled = of_kind("base", "ScaledObject")
    deployments = of_kind("base", "Deployment")
    assert set(scaled) == set(WORKERS)
    triggered = set()
    for name, obj in scaled.items():
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        assert obj["spec"]["scaleTargetRef"]["name"] == name
        assert name in deployments
        assert "replicas" not in deployments[name]["spec"]  # KEDA owns the replica count
        for trigger in obj["spec"]["triggers"]:
            meta = trigger["metadata"]
            assert trigger["type"] == "nats-jetstream"
            assert meta["natsServerMonitoringEndpoint"].endswith(":8222")
            assert meta["account"] in infra_nats.merge_block()["accounts"]
            assert int(meta["lagThreshold"]) >= 1
            assert (meta["stream"], meta["consumer"]) in declared
            assert meta["consumer"].startswith(name)
            triggered.add(meta["consumer"])
    workers = {spec.name for spec in topology.consumers if spec.name != "gateway-projector"}
    assert triggered == workers


@pytest.mark.parametrize("tree", ["base", "overlays/dev", "overlays/prod"])
def test_capacity_is_declared_once_and_the_scaling_agrees(tree: str) -> None:
    """The ConfigMap's replicas and workers are what the consumers are declared with; KEDA
    scales each worker to exactly those replicas, one replica per lane's worth of lag."""
    config = of_kind(tree, "ConfigMap")["vp-config"]["data"]
    settings = RuntimeSettings.model_validate(
        {key.removeprefix("VP_").lower(): value for key, value in config.items()}
    )
    capacity = settings.capacity()
    topology = default_topology(capacity=capacity)
    pending = {spec.name: spec.max_ack_pending for spec in topology.consumers}
    for name, scaled in of_kind(tree, "ScaledObject").items():
        replicas = scaled["spec"]["maxReplicaCount"]
        assert replicas == getattr(capacity, f"{name}_replicas"), (tree, name)
        for trigger in scaled["spec"]["triggers"]:
            consumer = trigger["metadata"]["consumer"]
            lane = "interactive" if consumer.endswith("-interactive") else "batch"
            lag = int(trigger["metadata"]["lagThreshold"])
            if consumer in ("generator-requests", "compositor-dispatch"):
                assert pending[consumer] == replicas  # one dispatcher per replica
                continue
            assert lag == capacity.workers(name, lane), (tree, consumer)
            assert pending[consumer] == replicas * lag, (tree, consumer)
    for deployment in of_kind(tree, "Deployment").values():
        for container in containers(deployment):
            sources = [
                ref.get("configMapRef", {}).get("name") for ref in container.get("envFrom", [])
            ]
            assert "vp-config" in sources


def test_jobs_declare_the_streams_and_migrate_the_database() -> None:
    jobs = of_kind("base", "Job")
    commands = {
        tuple(containers(job)[0].get("command", [])) + tuple(containers(job)[0]["args"])
        for job in jobs.values()
    }
    assert commands == {("vp-streams", "declare"), ("migrate",)}
    for job in jobs.values():
        (container,) = containers(job)
        assert container["image"].startswith("videoplanet/gateway")
        assert job["spec"]["template"]["spec"]["restartPolicy"] in {"OnFailure", "Never"}
        assert job["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    migrate = next(job for job in jobs.values() if containers(job)[0]["args"] == ["migrate"])
    assert "VP_DATABASE_URL" in env_of(containers(migrate)[0])
    # The webhook receivers are part of the topology: their consumers are declared here.
    declare = next(job for job in jobs.values() if containers(job)[0]["args"] == ["declare"])
    webhooks = {"secretRef": {"name": "vp-webhooks", "optional": True}}
    assert webhooks in containers(declare)[0]["envFrom"]


def test_dev_runs_one_of_everything_on_dev_images() -> None:
    assert of_kind("overlays/dev", "ConfigMap")["vp-config"]["data"]["VP_STREAM_REPLICAS"] == "1"
    for hpa in of_kind("overlays/dev", "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["minReplicas"] == hpa["spec"]["maxReplicas"] == 1
    for scaled in of_kind("overlays/dev", "ScaledObject").values():
        assert scaled["spec"]["minReplicaCount"] == scaled["spec"]["maxReplicaCount"] == 1
    for obj in [
        *of_kind("overlays/dev", "Deployment").values(),
        *of_kind("overlays/dev", "Job").values(),
    ]:
        assert containers(obj)[0]["image"].endswith(":dev")
    base = containers(of_kind("base", "Deployment")["compositor"])[0]
    dev = containers(of_kind("overlays/dev", "Deployment")["compositor"])[0]
    assert dev["resources"] != base["resources"]
    # The patch changed the resources only: the rest of the container is the base's.
    assert {**dev, "resources": None, "image": None} == {**base, "resources": None, "image": None}


def test_prod_replicates_pins_and_protects() -> None:
    tree = "overlays/prod"
    assert of_kind(tree, "ConfigMap")["vp-config"]["data"]["VP_STREAM_REPLICAS"] == "3"
    deployments = of_kind(tree, "Deployment")
    for obj in [*deployments.values(), *of_kind(tree, "Job").values()]:
        image = containers(obj)[0]["image"]
        assert re.search(r"(:\d+\.\d+\.\d+|@sha256:[0-9a-f]{64})$", image), image
    pdbs = of_kind(tree, "PodDisruptionBudget")
    assert set(pdbs) == set(SERVICES)
    for name, pdb in pdbs.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for deployment in deployments.values():
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {constraint["topologyKey"] for constraint in spread} == {
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        }
    for hpa in of_kind(tree, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["minReplicas"] >= 2
    assert of_kind(tree, "ScaledObject")["generator"]["spec"]["maxReplicaCount"] > 1


def test_prod_serves_https_through_cert_manager_and_smoke_tests_what_it_serves() -> None:
    tree = "overlays/prod"
    ingress = of_kind(tree, "Ingress")["videoplanet"]
    assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-redirect"] == "true"
    hosts = {
        rule["host"]: rule["http"]["paths"][0]["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
    }
    (tls,) = ingress["spec"]["tls"]
    assert set(tls["hosts"]) == set(hosts) and tls["secretName"]
    services = of_kind(tree, "Service")
    assert set(hosts.values()) == {"gateway", "notifier"} <= set(services)
    # The browser's live-update links point at the notifier's host, over HTTPS.
    notifier_url = of_kind(tree, "ConfigMap")["vp-config"]["data"]["VP_NOTIFIER_URL"]
    assert (
        notifier_url.startswith("https://")
        and hosts[notifier_url.removeprefix("https://")] == "notifier"
    )
    smoke = of_kind(tree, "Job")["vp-smoke"]
    container = containers(smoke)[0]
    assert container["command"] == ["vp-smoke"]
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["VP_SMOKE_LIVE_URL"] == notifier_url
    assert hosts[env["VP_SMOKE_API_URL"].removeprefix("https://")] == "gateway"
    assert "Ingress" not in {obj["kind"] for obj in rendered("overlays/dev")}


# -- NATS permissions ---------------------------------------------------------------------


def _event_names() -> set[str]:
    names = set()
    for module in (story_events, job_events):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event) and "name" in vars(value):
                names.add(str(value.name))
    return names


def _publish(user: str) -> list[str]:
    allowed: list[str] = infra_nats.users()[user]["permissions"]["publish"]["allow"]
    return allowed


def _facts(user: str) -> set[str]:
    return {
        subject.removeprefix("vp.story.*.")
        for subject in _publish(user)
        if subject.startswith("vp.story.")
    }


def test_nats_users_publish_only_real_events_and_every_event_has_a_publisher() -> None:
    events = _event_names()
    assert {"created", "planned", "completed", "job_started"} <= events
    publishers: dict[str, set[str]] = {}
    for user in infra_nats.users():
        for fact in _facts(user):
            assert fact in events, f"{user} may publish unknown event {fact!r}"
            publishers.setdefault(fact, set()).add(user)
    assert events <= set(publishers), f"nobody may publish {sorted(events - set(publishers))}"
    assert _facts("notifier") == set()
    assert "vp.story.*.created" not in _publish("planner")
    assert {"planned", "planning_failed"} <= _facts("planner")
    assert not any(
        subject.startswith("vp.story.>") for user in SERVICES for subject in _publish(user)
    )


def test_nats_users_are_limited_to_their_own_consumers() -> None:
    topology = default_topology()
    owner = {
        "planner": "planner",
        "generator-requests": "generator",
        "generator-scenes-interactive": "generator",
        "generator-scenes-batch": "generator",
        "compositor-dispatch": "compositor",
        "compositor-interactive": "compositor",
        "compositor-batch": "compositor",
        "compositor-segments": "compositor",
        "upscaler": "upscaler",
        "gateway-projector": "gateway",
    }
    for spec in topology.consumers:
        pull = f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.name}"
        ack = f"$JS.ACK.{spec.stream}.{spec.name}.>"
        for user in SERVICES:
            allowed = user == owner[spec.name]
            assert (pull in _publish(user)) is allowed, (user, spec.name)
            assert (ack in _publish(user)) is allowed, (user, spec.name)
    # The notifier's webhook consumers may have any name but a pipeline consumer's.
    deny = infra_nats.users()["notifier"]["permissions"]["publish"]["deny"]
    for spec in topology.consumers:
        if spec.stream == topology.story_stream:
            assert f"$JS.API.CONSUMER.*.{spec.stream}.{spec.name}" in deny
            assert f"$JS.API.CONSUMER.MSG.NEXT.{spec.stream}.{spec.name}" in deny
    assert _publish("streams") == ["$JS.API.>"]
    for user in SERVICES:
        assert not any(subject.startswith("$JS.API.STREAM.CREATE") for subject in _publish(user))


def test_nats_values_run_a_jetstream_cluster_with_env_passwords() -> None:
    values = infra_nats.values()
    config = values["config"]
    assert config["cluster"]["enabled"] is True
    assert config["cluster"]["replicas"] == 3
    assert config["jetstream"]["enabled"] is True
    assert config["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    assert config["monitor"]["enabled"] is True
    assert set(infra_nats.password_variables()) == {"streams", *SERVICES, *OUTSIDE_TEAMS}
    conf = infra_nats.render_conf()
    assert "$VP_NATS_PLANNER_PASSWORD" in conf
    assert "<<" not in conf
    for variable in infra_nats.password_variables().values():
        assert "secretKeyRef" in values["container"]["env"][variable]["valueFrom"]
    version = tuple(
        int(part) for part in values["container"]["image"]["tag"].split("-")[0].split(".")
    )
    assert version >= (2, 12)


# -- compose, Dockerfile ------------------------------------------------------------------


def test_compose_runs_the_whole_stack() -> None:
    compose = yaml.safe_load((ROOT / "infra" / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {*SERVICES, "nats", "postgres", "minio", "streams", "migrate"}
    nats_image = services["nats"]["image"]
    assert nats_image.startswith("nats:2.")
    assert int(nats_image.split(":")[1].split(".")[1].split("-")[0]) >= 12
    assert any("jetstream" in arg or arg == "-js" for arg in services["nats"]["command"])
    assert services["postgres"]["image"] == "postgres:17"
    for name in SERVICES:
        service = services[name]
        assert service["build"]["args"]["SERVICE"] == name
        assert service["build"]["dockerfile"] == "Dockerfile"
        assert (ROOT / "infra" / service["build"]["context"] / "Dockerfile").exists()
        assert "healthcheck" in service
        env = service["environment"]
        assert env["VP_STORAGE_BACKEND"] == "s3"
        assert env["VP_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert service["depends_on"]["streams"]["condition"] == "service_completed_successfully"
    assert services["gateway"]["ports"] == ["8000:8080"]
    assert services["notifier"]["ports"] == ["8001:8080"]
    assert services["streams"]["entrypoint"] == ["vp-streams"]
    assert services["streams"]["command"] == ["declare"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["gateway"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_dockerfile_builds_any_service_as_non_root() -> None:
    text = (ROOT / "Dockerfile").read_text()
    lines = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 3
    assert any(" AS builder" in line for line in stages)
    assert "ARG UV_VERSION=0.13.9" in lines
    assert "ARG SERVICE" in lines
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in lines
    syncs = [line for line in text.split("RUN") if "uv sync" in line]
    assert syncs
    for sync in syncs:
        assert "--frozen" in sync
        assert "--no-dev" in sync
        assert '--package "vp-${SERVICE}"' in sync
    for service in SERVICES:
        assert service in text
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert "EXPOSE 8080" in lines
    assert any(line.startswith("ENTRYPOINT [") for line in lines)
    assert re.search(r"generator\) packages=\"ffmpeg espeak-ng\"", text)
    assert re.search(r"compositor\) packages=\"ffmpeg fonts-noto-cjk", text)  # Hangul subtitles
    for variable in ("VP_GATEWAY_HOST=0.0.0.0", "VP_GATEWAY_PORT=8080", "VP_HEALTH_PORT=8080"):
        assert variable in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)
    # uv reads the whole workspace: every member's metadata must be in the builder.
    workspace = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    members = [path for pattern in workspace["members"] for path in ROOT.glob(pattern)]
    for member in members:
        relative = member.relative_to(ROOT).as_posix()
        assert f"COPY {relative}/pyproject.toml {relative}/" in lines, relative


# -- monitoring ---------------------------------------------------------------------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:])(?!\s*\()")
_PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "le"}


def metrics_in(expr: str) -> set[str]:
    """Names of the series an expression selects: what is left once strings, label matchers,
    ranges, grouping clauses and function calls are taken out."""
    text = _STRINGS.sub(" ", expr)
    text = _MATCHERS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\$__\w+", " ", text)
    return {
        name
        for name in _IDENTIFIER.findall(text)  # a name before "(" is a function
        if name.lower() not in _PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]?", name)
    }


MONITORING = ROOT / "infra" / "monitoring"


def _rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load((MONITORING / "rules.yaml").read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def recorded() -> set[str]:
    """The series the recording rules make (alerts and panels may select them)."""
    return {rule["record"] for rule in _rules() if "record" in rule}


def test_alert_rules_are_well_formed_and_use_known_metrics() -> None:
    rules = yaml.safe_load((MONITORING / "rules.yaml").read_text())
    alerts = {}
    known = METRICS | recorded()
    for group in rules["groups"]:
        assert group["name"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "record", "expr", "for", "labels", "annotations"}
            assert metrics_in(rule["expr"]) <= known, rule.get("alert") or rule.get("record")
            assert metrics_in(rule["expr"]), rule
            if "record" in rule:
                assert ":" in rule["record"]
                continue
            assert re.fullmatch(r"\d+[smh]", rule["for"])
            assert rule["labels"]["severity"] in {"critical", "warning", "info"}
            assert rule["annotations"]["summary"]
            alerts[rule["alert"]] = rule
    assert {"HighFailureRate", "LongQueueTime", "HighCost"} <= set(alerts)
    assert alerts["HighFailureRate"]["labels"]["severity"] == "critical"
    assert alerts["LongQueueTime"]["labels"]["severity"] == "warning"
    assert alerts["HighCost"]["labels"]["severity"] == "info"
    assert "video_generation_duration_seconds_count" in alerts["HighFailureRate"]["expr"]
    assert "queue_depth" in alerts["LongQueueTime"]["expr"]
    assert "generation_cost_dollars_total" in alerts["HighCost"]["expr"]
    # The availability KPI: each burn-rate alert pairs a long window with a short one.
    fast = alerts["AvailabilityBudgetBurnFast"]["expr"]
    assert "rate1h > (14.4 * 0.001)" in fast and "rate5m > (14.4 * 0.001)" in fast
    assert "rate6h > (6 * 0.001)" in fast and "rate30m > (6 * 0.001)" in fast
    assert alerts["AvailabilityBudgetBurnFast"]["labels"]["severity"] == "critical"
    assert alerts["AvailabilityBudgetBurnSlow"]["labels"]["severity"] == "warning"


def test_promtool_checks_the_rules_and_their_unit_tests_pass() -> None:
    """`promtool` of the Prometheus the rules are written for (Debian's package, installed by
    make): the rules parse, and rules.test.yaml's series fire exactly the alerts it expects."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: `make install` installs Debian's prometheus package"
    checked = subprocess.run(
        [promtool, "check", "rules", "rules.yaml"], cwd=MONITORING, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in checked.stdout
    tested = subprocess.run(
        [promtool, "test", "rules", "rules.test.yaml"],
        cwd=MONITORING,
        capture_output=True,
        text=True,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def check_dashboard(path: Path) -> subprocess.CompletedProcess[str]:
    checker = MONITORING / "check"
    if not (checker / "node_modules" / "@grafana" / "schema").exists():
        pytest.fail("make infra/monitoring/check/node_modules/.installed (Grafana's schema)")
    return subprocess.run(
        ["node", str(checker / "check.mjs"), str(path)], capture_output=True, text=True, timeout=120
    )


def test_the_dashboard_is_valid_against_grafanas_own_schema(tmp_path: Path) -> None:
    """@grafana/schema's Dashboard type (Grafana's CUE kind, schemaVersion 39 and later): no
    unknown field, no wrong type, nothing required missing; and the check does find those."""
    checked = check_dashboard(MONITORING / "dashboard.json")
    assert checked.returncode == 0, checked.stdout + checked.stderr

    broken = json.loads((MONITORING / "dashboard.json").read_text())
    broken["panels"][1]["gridPos"]["w"] = "wide"
    broken["panels"][2]["colour"] = "red"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    refused = check_dashboard(tmp_path / "broken.json")
    assert refused.returncode == 1
    assert "2 finding(s)" in refused.stdout and "'\"colour\"' does not exist" in refused.stdout


def test_dashboard_charts_the_pipeline_from_a_chosen_prometheus() -> None:
    dashboard = json.loads((ROOT / "infra" / "monitoring" / "dashboard.json").read_text())
    assert dashboard["schemaVersion"] >= 36
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    used: set[str] = set()
    ids = set()
    known = METRICS | recorded()
    for panel in dashboard["panels"]:
        assert panel["id"] not in ids
        ids.add(panel["id"])
        if panel["type"] == "row":
            continue
        assert panel["datasource"]["uid"] == "${datasource}"
        for target in panel["targets"]:
            found = metrics_in(target["expr"])
            assert found <= known, panel["title"]
            used |= found
    assert {
        "video_generation_duration_seconds_bucket",
        "video_generation_duration_seconds_count",
        "ai_api_calls_total",
        "generation_cost_dollars_total",
        "queue_depth",
        "http_requests_total",
        "http_request_duration_seconds_bucket",
        # the roadmap's KPIs as objectives
        "slo:http_availability:ratio_rate30d",
        "slo:generation_success:ratio_rate1h",
        "slo:generation_duration_seconds:avg1h",
    } <= used
