"""deploy/k8s agrees with itself, with deploy/docker-compose.yml and with what the programs read.

No cluster here: these checks read the files. The topology itself (2 Rasa, 2 action servers,
2 gateways, PostgreSQL, Redis, a balancing proxy) runs with real processes in tests/scaled.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import yaml

# Plain dataclasses and the standard library: importable in the Rasa environment too.
from connectors import settings as gateway_settings
from tthc.settings import LogSettings, placeholder_problem

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
KUSTOMIZATION = "kustomization.yaml"
# Not applied (kubectl apply -k would replace the real Secret with its placeholders).
TEMPLATE = "secret.template.yaml"
SECRET = "trolyao-secrets"

# Deployment -> the compose service it stands for (its replica -2 is the same service).
COMPOSE_SERVICE = {"rasa": "rasa-1", "actions": "actions-1", "gateway": "gateway-1"}
# Dockerfile -> the image name the Deployments use (kustomization.yaml's images: rewrite it).
IMAGE = {"deploy/Dockerfile.rasa": "trolyao-rasa", "deploy/Dockerfile.gateway": "trolyao-gateway"}

# Values that differ on purpose. Compose reaches the replicas through its nginx; in the cluster
# the Services balance them: the variable names the Service of this Deployment instead.
THROUGH_SERVICES = {"ACTION_ENDPOINT_URL": "actions", "RASA_URL": "rasa", "ACTIONS_URL": "actions"}
# Compose trusts its nginx's fixed address (172.28.0.10); the cluster the ingress controller's pods.
TRUSTED_PROXIES = "TROLYAO_TRUSTED_PROXIES"
# Variables only one side sets, each with its reason. None today: both set the same names.
COMPOSE_ONLY: dict[str, str] = {}
K8S_ONLY: dict[str, str] = {}

# Resident memory measured per process (docs/benchmarks.md, "Load"): requests must cover it.
MEASURED_MIB = {"rasa": 653 / 1.048576, "actions": 55 / 1.048576, "gateway": 78 / 1.048576}
# trolyao/stack.py gives a stopping gateway GATEWAY_SHUTDOWN_TIMEOUT_S + 5 s before killing it.
GATEWAY_STOP_MARGIN_S = 5

PUBLIC_PATHS = {"/", "/static", "/api", "/webhooks", "/media", "/health"}
ALLOW_LIST = (
    "nginx.ingress.kubernetes.io/whitelist-source-range",
    "nginx.ingress.kubernetes.io/allowlist-source-range",
)

ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
COMPOSE_REF = re.compile(r"\$\{(\w+)(?::?([-?])([^}]*))?\}")


# --- reading the files -------------------------------------------------------------------------


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


@cache
def files() -> dict[str, list[dict[str, Any]]]:
    """Every manifest of deploy/k8s (the template too), by file name."""
    return {path.name: _documents(path) for path in sorted(K8S.glob("*.yaml")) if path.name != KUSTOMIZATION}


@cache
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / KUSTOMIZATION).read_text(encoding="utf-8"))


def applied() -> list[dict[str, Any]]:
    """The objects kubectl apply -k creates (before kustomize's namespace and image rewrites)."""
    return [doc for name in kustomization()["resources"] for doc in files()[name]]


def objects(kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for doc in applied():
        if doc["kind"] == kind:
            assert doc["metadata"]["name"] not in found, f"two {kind} named {doc['metadata']['name']}"
            found[doc["metadata"]["name"]] = doc
    return found


def template() -> dict[str, Any]:
    (secret,) = files()[TEMPLATE]
    return secret


@cache
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def pod(deployment: str) -> dict[str, Any]:
    return objects("Deployment")[deployment]["spec"]["template"]


def container(deployment: str) -> dict[str, Any]:
    (only,) = pod(deployment)["spec"]["containers"]
    return only


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def selected_deployments(selector: dict[str, str]) -> list[str]:
    return [name for name in objects("Deployment") if selects(selector, pod(name)["metadata"]["labels"])]


def port_number(deployment: str, port: int | str) -> int:
    """A container port of the Deployment, given by number or by name."""
    ports = container(deployment)["ports"]
    for entry in ports:
        if port in (entry["containerPort"], entry.get("name")):
            return entry["containerPort"]
    raise AssertionError(f"{deployment}: port {port!r} is not one of its container ports {ports}")


class Env(NamedTuple):
    """Where a container's variable comes from: a literal value or a key of the Secret."""

    value: str  # the literal, or the Secret's key
    secret: bool = False
    optional: bool = False


def container_env(deployment: str) -> dict[str, Env]:
    """Every variable set in the Deployment's container, after envFrom and env (env wins)."""
    configmaps = objects("ConfigMap")
    found: dict[str, Env] = {}
    spec = container(deployment)
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            data = configmaps[source["configMapRef"]["name"]]["data"]
            found.update({name: Env(str(value)) for name, value in data.items()})
        else:
            ref = source["secretRef"]
            assert ref["name"] == SECRET
            found.update({key: Env(key, True, bool(ref.get("optional"))) for key in template()["stringData"]})
    for entry in spec.get("env", []):
        if "value" in entry:
            found[entry["name"]] = Env(str(entry["value"]))
        elif "configMapKeyRef" in entry["valueFrom"]:
            ref = entry["valueFrom"]["configMapKeyRef"]
            found[entry["name"]] = Env(str(configmaps[ref["name"]]["data"][ref["key"]]))
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref["name"] == SECRET, f"{deployment}: {entry['name']} from Secret {ref['name']}"
            found[entry["name"]] = Env(ref["key"], True, bool(ref.get("optional")))
    return found


def literal_env(deployment: str) -> dict[str, str]:
    """The container's environment with every secret empty (what the settings parse)."""
    return {name: "" if env.secret else env.value for name, env in container_env(deployment).items()}


def compose_env(deployment: str) -> dict[str, str]:
    return {
        name: str(value) for name, value in compose()["services"][COMPOSE_SERVICE[deployment]]["environment"].items()
    }


@cache
def gateway_reads() -> frozenset[str]:
    """What the gateway process reads: its settings object and its log settings, the only
    places it reads the environment (tests/unit/test_architecture.py keeps it so)."""
    names = gateway_settings.Settings.env_names() | LogSettings.env_names()
    assert {"TROLYAO_STATE_DB_URL", "TROLYAO_DB_URL", "RASA_URL"} <= names
    return frozenset(names)


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1000 / 1048576, "M": 1e6 / 1048576, "G": 1e9 / 1048576}
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)", quantity)
    assert match, f"memory quantity {quantity!r}"
    return float(match[1]) * units[match[2]]


def covers(path: str, path_type: str, request: str) -> bool:
    """Whether an Ingress path sends this request path to its backend."""
    if path_type == "Exact":
        return request == path
    prefix = path.rstrip("/")
    return request == prefix or request.startswith(prefix + "/")


# --- the files themselves ----------------------------------------------------------------------


def test_every_manifest_parses_and_names_its_object() -> None:
    assert files(), "no manifest in deploy/k8s"
    for name, docs in files().items():
        assert docs, f"{name} is empty"
        for doc in docs:
            assert doc.get("apiVersion") and doc.get("kind"), f"{name}: an object without apiVersion/kind"
            assert doc.get("metadata", {}).get("name"), f"{name}: a {doc['kind']} without metadata.name"


def test_kustomization_lists_exactly_the_manifests_but_the_secret_template() -> None:
    present = {path.name for path in K8S.iterdir() if path.is_file()}
    assert all(name.endswith(".yaml") for name in present), f"not a .yaml manifest: {sorted(present)}"
    listed = kustomization()["resources"]
    assert len(listed) == len(set(listed)), "a file listed twice"
    assert set(listed) == present - {KUSTOMIZATION, TEMPLATE}
    # Applying the template would overwrite the real Secret with placeholders.
    assert TEMPLATE in present and TEMPLATE not in listed
    assert not objects("Secret"), "secrets are created from the environment, never applied from a file"


def test_one_namespace_for_everything() -> None:
    (namespace,) = objects("Namespace")
    assert kustomization()["namespace"] == namespace
    for doc in applied():
        assert doc["metadata"].get("namespace", namespace) == namespace, doc["metadata"]["name"]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_kustomize_builds_the_manifests() -> None:
    """kubectl kustomize works without a cluster: the set renders, in one namespace, real images."""
    result = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(rendered) == len(applied())
    namespace = kustomization()["namespace"]
    for doc in rendered:
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == namespace, doc["metadata"]["name"]
        if doc["kind"] == "Deployment":
            for spec in doc["spec"]["template"]["spec"]["containers"]:
                assert spec["image"] not in IMAGE.values(), f"{spec['image']}: not rewritten by images:"


# --- wiring: Services, probes, Ingress, budgets, policies --------------------------------------


def test_deployments_are_the_compose_services_with_two_replicas() -> None:
    assert set(objects("Deployment")) == set(COMPOSE_SERVICE)
    services = compose()["services"]
    used = {spec["image"] for name in COMPOSE_SERVICE for spec in pod(name)["spec"]["containers"]}
    assert used <= {image["name"] for image in kustomization()["images"]}, "an image kustomization does not set"
    for name, service in COMPOSE_SERVICE.items():
        deployment = objects("Deployment")[name]
        assert deployment["spec"]["replicas"] == 2
        assert selects(deployment["spec"]["selector"]["matchLabels"], pod(name)["metadata"]["labels"])
        # The replica -2 of compose is the same service (a YAML alias).
        assert services[service.replace("-1", "-2")] == services[service]
        assert container(name)["image"] == IMAGE[services[service]["build"]["dockerfile"]]
        # Container ports: those the image exposes.
        dockerfile = (REPO / services[service]["build"]["dockerfile"]).read_text(encoding="utf-8")
        exposed = {int(port) for line in re.findall(r"^EXPOSE (.+)$", dockerfile, re.M) for port in line.split()}
        assert {entry["containerPort"] for entry in container(name)["ports"]} <= exposed


def test_services_reach_their_deployment_on_a_container_port() -> None:
    services = objects("Service")
    assert set(services) == set(COMPOSE_SERVICE)
    for name, service in services.items():
        assert selected_deployments(service["spec"]["selector"]) == [name]
        for port in service["spec"]["ports"]:
            port_number(name, port.get("targetPort", port["port"]))


def test_probes_ask_a_container_port() -> None:
    for name in objects("Deployment"):
        spec = container(name)
        assert spec.get("readinessProbe") and spec.get("livenessProbe"), f"{name}: probes missing"
        for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
            if kind in spec:
                port_number(name, spec[kind]["httpGet"]["port"])
    # /status answers only with Rasa's HTTP API on (and 409 until the model is loaded).
    rasa = container("rasa")
    assert rasa["readinessProbe"]["httpGet"]["path"] == "/status" and "--enable-api" in rasa["command"]
    assert container("actions")["readinessProbe"]["httpGet"]["path"] == "/health"


def test_no_service_links_in_the_pods() -> None:
    """With them Kubernetes sets GATEWAY_PORT=tcp://<ip>:8000 for the Service "gateway": the
    gateway reads GATEWAY_PORT as its port number and refuses to start."""
    injected = {f"{name.upper().replace('-', '_')}_PORT" for name in objects("Service")}
    assert injected & gateway_reads(), "the premise: a Service's link variable is one the gateway reads"
    for name in objects("Deployment"):
        assert pod(name)["spec"].get("enableServiceLinks") is False, name


def test_every_deployment_has_a_disruption_budget() -> None:
    budgets = objects("PodDisruptionBudget")
    covered = []
    for name, budget in budgets.items():
        assert budget["spec"]["minAvailable"] == 1, name
        covered += selected_deployments(budget["spec"]["selector"]["matchLabels"])
    assert sorted(covered) == sorted(objects("Deployment"))


def test_network_policies_open_the_ports_the_services_use() -> None:
    services = objects("Service")
    for name, policy in objects("NetworkPolicy").items():
        (target,) = selected_deployments(policy["spec"]["podSelector"]["matchLabels"])
        for rule in policy["spec"]["ingress"]:
            for peer in rule["from"]:
                assert selected_deployments(peer["podSelector"]["matchLabels"]), f"{name}: a peer matching nothing"
            assert {port["port"] for port in rule["ports"]} == {
                port_number(target, port.get("targetPort", port["port"])) for port in services[target]["spec"]["ports"]
            }


def _ingress_paths() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(Ingress name, path, pathType, backend service) of every rule."""
    found = []
    for name, ingress in objects("Ingress").items():
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                found.append((name, path["path"], path["pathType"], path["backend"]["service"]))
    return found


def test_ingress_sends_the_public_paths_to_the_gateway_service() -> None:
    services = objects("Service")
    for name, path, _, backend in _ingress_paths():
        assert backend["name"] == "gateway", f"{name} {path}: only the gateways are public"
        assert backend["port"]["number"] in {port["port"] for port in services["gateway"]["spec"]["ports"]}
    public = {
        path
        for name, path, _, _ in _ingress_paths()
        if not any(key in objects("Ingress")[name]["metadata"].get("annotations", {}) for key in ALLOW_LIST)
    }
    assert public == PUBLIC_PATHS


def test_admin_console_only_behind_an_allow_list() -> None:
    ingresses = objects("Ingress")
    reaching = {
        name
        for name, path, kind, _ in _ingress_paths()
        if covers(path, kind, "/admin") or covers(path, kind, "/admin/api/tickets")
    }
    assert reaching, "no Ingress for the officers' console"
    for name in reaching:
        annotations = ingresses[name]["metadata"].get("annotations", {})
        ranges = next((annotations[key] for key in ALLOW_LIST if key in annotations), None)
        assert ranges, f"Ingress {name} reaches /admin without an allow-list"
        for cidr in ranges.split(","):
            ipaddress.ip_network(cidr.strip())


def test_resources_cover_the_measured_memory() -> None:
    for name, measured in MEASURED_MIB.items():
        resources = container(name)["resources"]
        request = mebibytes(resources["requests"]["memory"])
        assert request >= measured, f"{name}: requests {request:.0f} MiB, measured {measured:.0f} MiB"
        assert mebibytes(resources["limits"]["memory"]) >= request
        assert resources["requests"].get("cpu"), name


# --- the same settings as docker-compose.yml ---------------------------------------------------


@pytest.mark.parametrize("deployment", sorted(COMPOSE_SERVICE))
def test_same_variables_as_compose(deployment: str) -> None:
    k8s = set(container_env(deployment))
    composed = set(compose_env(deployment))
    assert k8s - set(K8S_ONLY) == composed - set(COMPOSE_ONLY), (
        f"{deployment}: only in k8s {sorted(k8s - composed)}, only in compose {sorted(composed - k8s)}"
    )


@pytest.mark.parametrize("deployment", sorted(COMPOSE_SERVICE))
def test_same_values_as_compose(deployment: str) -> None:
    k8s = container_env(deployment)
    for name, value in compose_env(deployment).items():
        if name in COMPOSE_ONLY:
            continue
        env = k8s[name]
        refs = COMPOSE_REF.findall(value)
        if name in THROUGH_SERVICES:
            # The same scheme and path, the Service of the right Deployment on one of its ports.
            url, composed = urlsplit(env.value), urlsplit(value)
            assert not env.secret and (url.scheme, url.path) == (composed.scheme, composed.path), name
            service = objects("Service")[url.hostname]
            assert selected_deployments(service["spec"]["selector"]) == [THROUGH_SERVICES[name]], name
            assert url.port in {port["port"] for port in service["spec"]["ports"]}, name
        elif name == TRUSTED_PROXIES:
            assert not env.secret and env.value and env.value != value, "the ingress controller's range"
            for network in env.value.split(","):
                ipaddress.ip_network(network.strip())
        elif not refs:
            assert env == Env(value), f"{deployment} {name}: {env} in k8s, {value!r} in compose"
        elif len(refs) == 1 and refs[0][1] == "-" and value == f"${{{refs[0][0]}:-{refs[0][2]}}}":
            # ${X:-default}: the default, or an optional key of the Secret when it is empty.
            if env.secret:
                assert refs[0][2] == "" and env.optional, f"{deployment} {name}: compose defaults it to empty"
            else:
                assert env.value == refs[0][2], f"{deployment} {name}: {env.value!r}, compose's default {refs[0][2]!r}"
        else:
            # Required and from the environment in compose (a password, the URL holding one).
            assert env.secret and not env.optional, f"{deployment} {name}: a required secret"


def test_one_compose_expression_one_source_in_k8s() -> None:
    """Variables compose derives from the same expression (the database URL for the records and
    the channel state, PUBLIC_URL for both platforms) get the same value or Secret key."""
    sources: dict[str, set[Env]] = {}
    for deployment in COMPOSE_SERVICE:
        k8s = container_env(deployment)
        for name, value in compose_env(deployment).items():
            if "${" in value and name not in COMPOSE_ONLY:
                sources.setdefault(value, set()).add(k8s[name])
    for value, found in sources.items():
        assert len(found) == 1, f"{value}: {found}"


def test_rasa_and_actions_commands_are_the_compose_ones() -> None:
    services = compose()["services"]
    assert container("actions")["command"] == shlex.split(services["actions-1"]["command"])
    assert "command" not in container("gateway") and "command" not in services["gateway-1"], "the image's CMD"

    def options(argv: list[str]) -> dict[str, str]:
        aliases = {"-m": "--model"}
        pairs, rest = {}, argv[3:]  # python -m rasa run
        while rest:
            flag = aliases.get(rest[0], rest[0])
            if len(rest) > 1 and not rest[1].startswith("-"):
                pairs[flag], rest = rest[1], rest[2:]
            else:
                pairs[flag], rest = "", rest[1:]
        return pairs

    k8s, composed = options(container("rasa")["command"]), options(shlex.split(services["rasa-1"]["command"]))
    assert container("rasa")["command"][:4] == ["python", "-m", "rasa", "run"]
    workdir = re.search(r"^WORKDIR (\S+)$", (DEPLOY / "Dockerfile.rasa").read_text(encoding="utf-8"), re.M)[1]
    composed["--endpoints"] = f"{workdir}/{composed['--endpoints']}"
    assert k8s == composed


# --- what each program reads -------------------------------------------------------------------


def test_gateway_sets_only_variables_the_gateway_reads() -> None:
    unknown = set(container_env("gateway")) - gateway_reads()
    assert not unknown, f"the gateway reads no {sorted(unknown)} (connectors/settings.py and its modules)"


def test_gateway_settings_accept_the_manifest_values() -> None:
    settings = gateway_settings.Settings.from_env(literal_env("gateway"))  # SettingsError otherwise
    assert settings.host == "0.0.0.0"
    assert settings.port == port_number("gateway", "http")


def test_gateway_grace_period_fits_its_shutdown() -> None:
    spec = pod("gateway")["spec"]
    timeout = gateway_settings.Settings.from_env(literal_env("gateway")).shutdown_timeout_s
    pre_stop = container("gateway").get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    sleep = float(pre_stop[1]) if pre_stop[:1] == ["sleep"] else 0.0
    assert spec["terminationGracePeriodSeconds"] >= sleep + timeout + GATEWAY_STOP_MARGIN_S


def test_rasa_gets_every_variable_of_its_endpoints_file() -> None:
    text = (DEPLOY / "endpoints.scaled.yml").read_text(encoding="utf-8")
    needed = set(re.findall(r"\$\{(\w+)\}", text))
    assert needed, "endpoints.scaled.yml takes its values from the environment"
    env = container_env("rasa")
    missing = needed - set(env)
    assert not missing, f"Rasa's Deployment does not set {sorted(missing)}"
    assert not [name for name in needed if env[name].optional], "endpoints need every value"
    assert "TICKET_LOCK_LIFETIME" in env


def test_rasa_mounts_the_endpoints_file_it_is_given() -> None:
    command = container("rasa")["command"]
    endpoints = command[command.index("--endpoints") + 1]
    (mount,) = [m for m in container("rasa")["volumeMounts"] if m["mountPath"] == endpoints]
    (volume,) = [v for v in pod("rasa")["spec"]["volumes"] if v["name"] == mount["name"]]
    configmap = objects("ConfigMap")[volume["configMap"]["name"]]
    copy = configmap["data"][mount["subPath"]]
    assert copy == (DEPLOY / "endpoints.scaled.yml").read_text(encoding="utf-8"), (
        "configmap.yaml's copy differs from deploy/endpoints.scaled.yml"
    )


# --- the Secret: a template only ---------------------------------------------------------------


def test_secret_template_holds_placeholders_only() -> None:
    secret = template()
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == SECRET
    assert "data" not in secret, "base64 data could hide a real value: stringData placeholders only"
    for key, value in secret["stringData"].items():
        assert re.fullmatch(r"<[^<>]+>", value), f"{key}: not a <placeholder>"
        assert placeholder_problem(value, key), f"{key}: the gateway would not refuse it"


def test_secret_template_has_the_keys_the_deployments_use() -> None:
    used = {env.value for name in objects("Deployment") for env in container_env(name).values() if env.secret}
    assert set(template()["stringData"]) == used


def test_readme_creates_every_key_of_the_secret() -> None:
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    assert f"create secret generic {SECRET}" in readme
    missing = [key for key in template()["stringData"] if f"--from-literal={key}=" not in readme]
    assert not missing, f"deploy/README.md's kubectl create secret leaves out {missing}"
