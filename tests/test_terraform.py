"""Static checks of terraform/ (no terraform binary or provider is available here).

Every .tf file is parsed with python-hcl2. Each property is a checker function returning a
list of problems for a parsed tree; the tests assert the real tree has none, and the
`test_checker_catches_*` tests break a copy of the tree to prove each checker can fail.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2  # python-hcl2 (test extra): a missing parser must fail loudly, not skip
import pytest
import yaml

from elt_pipeline import settings
from tests.support import deploy_files

REPO = Path(__file__).resolve().parents[1]
TERRAFORM = REPO / "terraform"
DEPLOY = settings.PACKAGE_DIR / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
SAMPLE_PROJECT = "acme-ml-prod-123"
PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
MODULE_META_ARGS = {"source", "version", "providers", "depends_on", "count", "for_each"}
# Google-owned service agent domains (not a customer project id).
SERVICE_AGENT_DOMAINS = re.compile(r"^(gcp-sa-[a-z0-9-]+|compute-system|cloudservices|container-engine-robot)$")
# Names of GCP resources that must be derived from variables/locals, by argument.
NAME_ARGS = ("name", "account_id", "secret_id", "dataset_id", "repository_id")
# Settings env vars that only exist for local mode or tests, not for a deployment.
LOCAL_ONLY_ENV = {"ELT_DATA_DIR", "ELT_DUCKDB_PATH", "ELT_PIPELINE_CONFIG", "ELT_BQ_API_ENDPOINT"}
SECRET_ENV = {"ELT_HASH_SALT", "DAGSTER_PG_PASSWORD"}
# The alert sensor's variables: optional; the operator's via var.alert_env, these two from Secret Manager.
ALERT_SECRET_ENV = {"ELT_ALERT_WEBHOOK_URL", "ELT_ALERT_SMTP_PASSWORD"}
# Every variable the production instance (deploy/dagster.yaml) reads, but the secret password.
DAGSTER_ENV = set(re.findall(r"env: ([A-Z0-9_]+)", (DEPLOY / "dagster.yaml").read_text())) - {"DAGSTER_PG_PASSWORD"}


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------
@dataclass
class Module:
    path: Path
    files: dict[str, dict] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)

    def blocks(self, kind: str) -> Iterator[tuple[str, dict]]:
        for name, doc in self.files.items():
            for block in doc.get(kind, []):
                yield name, block

    @property
    def variables(self) -> dict[str, dict]:
        return {k: v for _, b in self.blocks("variable") for k, v in b.items()}

    @property
    def outputs(self) -> dict[str, dict]:
        return {k: v for _, b in self.blocks("output") for k, v in b.items()}

    @property
    def locals(self) -> dict[str, Any]:
        return {k: v for _, b in self.blocks("locals") for k, v in b.items()}

    @property
    def modules(self) -> dict[str, dict]:
        return {k: v for _, b in self.blocks("module") for k, v in b.items()}

    def resources(self, kind: str = "resource") -> Iterator[tuple[str, str, dict]]:
        """(type, name, body) of every resource (or data source)."""
        for _, block in self.blocks(kind):
            for rtype, named in block.items():
                for rname, body in named.items():
                    yield rtype, rname, body

    def text(self) -> str:
        return "\n".join(self.texts.values())


OPTIONS = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


def load_module(path: Path) -> Module:
    module = Module(path)
    for tf in sorted(path.glob("*.tf")):
        text = tf.read_text()
        module.texts[tf.name] = text
        with tf.open() as f:
            module.files[tf.name] = hcl2.load(f, serialization_options=OPTIONS)
    return module


def load_tree(root: Path) -> dict[str, Module]:
    """'' for the root module, 'modules/<name>' for each local module."""
    tree = {"": load_module(root)}
    for sub in sorted((root / "modules").iterdir()):
        if sub.is_dir():
            tree[f"modules/{sub.name}"] = load_module(sub)
    return tree


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, leaf) of every scalar in a parsed structure."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")
    else:
        yield path, value


def block(body: dict, name: str) -> dict:
    """The single nested block `name` of a resource body ({} when absent)."""
    value = body.get(name, [])
    if isinstance(value, list):
        return value[0] if value else {}
    return value


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("${")


def regex_of(condition: str) -> str:
    """The pattern of `can(regex("<pattern>", ...))` in a validation condition."""
    match = re.search(r'regex\("((?:[^"\\]|\\.)*)"', condition)
    assert match, f"no regex in {condition!r}"
    # HCL string escapes -> the pattern RE2 receives.
    return match.group(1).encode().decode("unicode_escape")


# ---------------------------------------------------------------------------------------------
# Checkers: each returns a list of problems (empty = property holds)
# ---------------------------------------------------------------------------------------------
def check_variables_typed_and_described(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        for var, body in mod.variables.items():
            if not body.get("type"):
                problems.append(f"{mod_name or 'root'}: variable {var} has no type")
            if not str(body.get("description", "")).strip():
                problems.append(f"{mod_name or 'root'}: variable {var} has no description")
    return problems


def check_root_validations(tree: dict[str, Module]) -> list[str]:
    required = {
        "project_id",
        "region",
        "zone",
        "bq_location",
        "sources",
        "ml_readers_group",
        "dagster_ui_members",
        "kms_key_name",
        "subnet_cidr",
        "name_prefix",
    }
    variables = tree[""].variables
    problems = []
    for var in sorted(required):
        validations = variables.get(var, {}).get("validation")
        if not validations:
            problems.append(f"root variable {var} has no validation")
            continue
        for validation in validations if isinstance(validations, list) else [validations]:
            if f"var.{var}" not in str(validation.get("condition", "")):
                problems.append(f"root variable {var}: a validation does not test var.{var}")
    return problems


def check_used_variables_declared(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        used = set(re.findall(r"\bvar\.([A-Za-z0-9_]+)", mod.text()))
        for var in sorted(used - set(mod.variables)):
            problems.append(f"{mod_name or 'root'}: var.{var} used but not declared")
    return problems


def check_module_inputs(tree: dict[str, Module]) -> list[str]:
    problems = []
    for _mod_name, mod in tree.items():
        for call, body in mod.modules.items():
            source = body["source"]
            target = (mod.path / source).resolve()
            try:
                child = tree.get(str(target.relative_to(tree[""].path.resolve())))
            except ValueError:
                child = None
            if child is None:
                problems.append(f"module {call}: local source {source} not found")
                continue
            declared = child.variables
            passed = set(body) - MODULE_META_ARGS
            for arg in sorted(passed - set(declared)):
                problems.append(f"module {call}: input {arg} is not declared in {source}")
            for var, vbody in declared.items():
                if "default" not in vbody and var not in passed:
                    problems.append(f"module {call}: required input {var} of {source} not passed")
            outputs_used = set(re.findall(rf"\bmodule\.{call}\.([A-Za-z0-9_]+)", mod.text()))
            for out in sorted(outputs_used - set(child.outputs)):
                problems.append(f"module.{call}.{out} is used but {source} has no such output")
    return problems


def check_no_hardcoded_projects(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        blocks = [(f"{t}.{n}", b) for t, n, b in mod.resources()]
        blocks += [(f"data.{t}.{n}", b) for t, n, b in mod.resources("data")]
        blocks += [(f"module.{n}", b) for n, b in mod.modules.items()]
        blocks += [(f"provider.{p}", b) for _, blk in mod.blocks("provider") for p, b in blk.items()]
        blocks += [("locals", mod.locals)]
        for where, body in blocks:
            for path, leaf in walk(body):
                last = path.rsplit(".", 1)[-1]
                if last in ("project", "project_id", "billing_project") and not is_expression(leaf):
                    problems.append(f"{mod_name or 'root'}: {where}.{path} is a literal project {leaf!r}")
                if not isinstance(leaf, str):
                    continue
                for m in re.finditer(r"projects/([^/\"]+)/", leaf):
                    if m.group(1) != "_" and "${" not in m.group(1):
                        problems.append(f"{mod_name or 'root'}: {where}.{path} names project {m.group(1)!r}")
                for m in re.finditer(r"@([^@\s\"]+?)\.iam\.gserviceaccount\.com", leaf):
                    domain = m.group(1)
                    if "${" not in domain and not SERVICE_AGENT_DOMAINS.match(domain):
                        problems.append(f"{mod_name or 'root'}: {where}.{path} hard-codes {m.group(0)!r}")
                for m in re.finditer(r"docker\.pkg\.dev/([^/\"]+)/", leaf):
                    if "${" not in m.group(1):
                        problems.append(f"{mod_name or 'root'}: {where}.{path} hard-codes image project {m.group(1)!r}")
    return problems


def check_names_from_variables(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            for arg in NAME_ARGS:
                if arg in body and not is_expression(body[arg]):
                    problems.append(f"{mod_name or 'root'}: {rtype}.{rname}.{arg} is the literal {body[arg]!r}")
    return problems


def check_buckets_private(tree: dict[str, Module]) -> list[str]:
    problems, count = [], 0
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            if rtype != "google_storage_bucket":
                continue
            count += 1
            if body.get("uniform_bucket_level_access") is not True:
                problems.append(f"{mod_name}: bucket {rname} lacks uniform_bucket_level_access = true")
            if body.get("public_access_prevention") != "enforced":
                problems.append(f"{mod_name}: bucket {rname} lacks public_access_prevention = enforced")
        for rtype, rname, body in mod.resources():
            if rtype.endswith(("_iam_member", "_iam_binding")):
                members = [*body.get("members", []), body.get("member", "")]
                for m in members:
                    if m in ("allUsers", "allAuthenticatedUsers"):
                        problems.append(f"{mod_name}: {rtype}.{rname} grants {m}")
    if count == 0:
        problems.append("no google_storage_bucket at all")
    return problems


def check_storage_layout(tree: dict[str, Module]) -> list[str]:
    """Landing versioned, Parquet and compute logs with a lifecycle, CMEK wired to the variable."""
    problems = []
    storage = tree.get("modules/storage")
    if storage is None:
        return ["modules/storage is missing"]
    buckets = storage.locals.get("buckets", {})
    if set(buckets) != {"landing", "parquet", "dagster-logs"}:
        problems.append(f"storage buckets are {sorted(buckets)}")
    if buckets.get("landing", {}).get("versioning") is not True:
        problems.append("landing bucket is not versioned")
    for purpose in ("parquet", "dagster-logs"):
        if "Delete" not in str(buckets.get(purpose, {}).get("lifecycle", "")):
            problems.append(f"{purpose} bucket has no Delete lifecycle rule")
    ((_, _, bucket),) = [r for r in storage.resources() if r[0] == "google_storage_bucket"]
    encryption = [d["encryption"] for d in bucket.get("dynamic", []) if "encryption" in d]
    if not encryption or "var.kms_key_name" not in str(encryption):
        problems.append("buckets do not take CMEK from var.kms_key_name")
    return problems


def check_no_primitive_roles(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            for path, leaf in walk(body):
                if isinstance(leaf, str) and any(re.search(rf"{re.escape(r)}\b", leaf) for r in PRIMITIVE_ROLES):
                    problems.append(f"{mod_name or 'root'}: {rtype}.{rname}.{path} = {leaf!r}")
        for path, leaf in walk(mod.locals):
            if isinstance(leaf, str) and leaf in PRIMITIVE_ROLES:
                problems.append(f"{mod_name or 'root'}: local {path} = {leaf!r}")
    return problems


def check_cloudsql_private(tree: dict[str, Module]) -> list[str]:
    problems, count = [], 0
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            if rtype != "google_sql_database_instance":
                continue
            count += 1
            ip = block(block(body, "settings"), "ip_configuration")
            if ip.get("ipv4_enabled") is not False:
                problems.append(f"{mod_name}: {rname} does not set ipv4_enabled = false")
            if not ip.get("private_network"):
                problems.append(f"{mod_name}: {rname} has no private_network")
            if ip.get("authorized_networks"):
                problems.append(f"{mod_name}: {rname} has authorized_networks")
            if not str(body.get("database_version", "")).startswith(("POSTGRES", "${var.")):
                problems.append(f"{mod_name}: {rname} is not PostgreSQL")
    if count != 1:
        problems.append(f"expected one Cloud SQL instance, found {count}")
    return problems


def check_vm_private(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            if rtype != "google_compute_instance":
                continue
            for nic in body.get("network_interface", []):
                if "access_config" in nic or "ipv6_access_config" in nic:
                    problems.append(f"{mod_name}: {rname} has an external IP (access_config)")
            sa = block(body, "service_account")
            if not is_expression(sa.get("email")):
                problems.append(f"{mod_name}: {rname} does not run as the runner service account")
            if str(body.get("metadata", {}).get("enable-oslogin", "")).upper() != "TRUE":
                problems.append(f"{mod_name}: {rname} without OS Login")
    return problems


IAP_RANGE_REF = "${local.iap_tcp_forwarding_range}"


def check_ui_allowlisted(tree: dict[str, Module]) -> list[str]:
    """The UI is reached only through IAP: the one ingress allow rule is from IAP's TCP-forwarding
    range, tunnel rights are granted per member on the VM alone (never project-wide), and no
    load balancer or external address exposes port 3000."""
    problems = []
    network = tree.get("modules/network")
    iap_range = (network.locals.get("iap_tcp_forwarding_range") if network else None) or ""
    if iap_range != "35.235.240.0/20":
        problems.append(f"IAP TCP-forwarding range is {iap_range!r}, not 35.235.240.0/20")
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            allowed_from = body.get("source_ranges")
            if rtype == "google_compute_firewall" and body.get("allow") and allowed_from != [IAP_RANGE_REF]:
                problems.append(f"{mod_name}: firewall {rname} allows ingress from {body.get('source_ranges')}")
            if rtype in (
                "google_compute_global_forwarding_rule",
                "google_compute_forwarding_rule",
                "google_compute_address",
            ):
                problems.append(f"{mod_name}: {rtype}.{rname} exposes the VM beyond IAP")
            if rtype.startswith("google_project_iam") and "iap." in str(body.get("role", "")):
                problems.append(f"{mod_name}: {rtype}.{rname} grants IAP rights project-wide")
    runtime = tree.get("modules/dagster_runtime")
    grants = [b for t, _, b in runtime.resources() if t == "google_iap_tunnel_instance_iam_member"] if runtime else []
    if not grants or grants[0].get("for_each") != "${toset(var.ui_members)}":
        problems.append("IAP tunnel access is not granted per member of var.ui_members on the VM")
    return problems


def check_no_secret_values(tree: dict[str, Module]) -> list[str]:
    problems = []
    for mod_name, mod in tree.items():
        for rtype, rname, body in mod.resources():
            if rtype == "google_secret_manager_secret_version":
                problems.append(f"{mod_name}: {rtype}.{rname} puts a secret value in code/state")
            if rtype == "google_sql_user" and ("password" in body or "password_wo" in body):
                problems.append(f"{mod_name}: {rtype}.{rname} sets a password")
        for rtype, rname, _body in mod.resources("data"):
            if rtype == "google_secret_manager_secret_version":
                problems.append(f"{mod_name}: data.{rtype}.{rname} reads a secret value into state")
        if re.search(r"\brandom_password\b", mod.text()):
            problems.append(f"{mod_name}: random_password stores a secret in state")
    return problems


def check_default_names(tree: dict[str, Module]) -> list[str]:
    """Defaults produce exactly the names elt_pipeline.settings expects."""
    problems = []
    root = tree[""]
    templates = root.locals.get("default_bucket_names", {})
    for purpose in ("landing", "parquet", "dagster-logs"):
        template = templates.get(purpose)
        if not isinstance(template, str):
            problems.append(f"local.default_bucket_names has no {purpose}")
            continue
        rendered = template.replace("${var.project_id}", SAMPLE_PROJECT)
        expected = settings.default_bucket_name(SAMPLE_PROJECT, purpose)
        if rendered != expected:
            problems.append(f"{purpose} bucket default {rendered!r} != settings {expected!r}")
    if root.modules.get("storage", {}).get("bucket_names") != "${local.bucket_names}":
        problems.append("module storage is not given local.bucket_names")
    if "local.default_bucket_names" not in str(root.locals.get("bucket_names")):
        problems.append("local.bucket_names does not start from local.default_bucket_names")
    storage = tree.get("modules/storage")
    if storage:
        names = [b.get("name") for t, _, b in storage.resources() if t == "google_storage_bucket"]
        if names != ["${var.bucket_names[each.key]}"]:
            problems.append(f"storage buckets are named {names}, not from var.bucket_names")

    variables = root.variables
    expected_defaults = {
        "raw_dataset_id": settings.DEFAULT_RAW_DATASET,
        "staging_dataset_id": settings.DEFAULT_STAGING_DATASET,
        "marts_dataset_id": settings.DEFAULT_MARTS_DATASET,
        "bq_location": settings.DEFAULT_BQ_LOCATION,
    }
    for var, expected in expected_defaults.items():
        actual = variables.get(var, {}).get("default")
        if actual != expected:
            problems.append(f"variable {var} defaults to {actual!r}, settings expects {expected!r}")
    datasets = root.locals.get("dataset_ids", {})
    for layer in ("raw", "staging", "marts"):
        if datasets.get(layer) != f"${{var.{layer}_dataset_id}}":
            problems.append(f"local.dataset_ids.{layer} is {datasets.get(layer)!r}")
    bigquery = tree.get("modules/bigquery")
    if bigquery:
        ids = [b.get("dataset_id") for t, _, b in bigquery.resources() if t == "google_bigquery_dataset"]
        if ids != ["${each.value}"] or root.modules.get("bigquery", {}).get("dataset_ids") != "${local.dataset_ids}":
            problems.append("BigQuery datasets are not created from local.dataset_ids")

    pipeline = yaml.safe_load(settings.DEFAULT_PIPELINE_CONFIG.read_text())
    sources = [s["name"] for s in pipeline["sources"]]
    if variables.get("sources", {}).get("default") != sources:
        problems.append(f"variable sources default != pipeline.yaml sources {sources}")
    return problems


def settings_env_names() -> set[str]:
    source = Path(settings.__file__).read_text()
    return set(re.findall(r'"((?:ELT|DAGSTER)_[A-Z_]+)"', source))


def check_pipeline_env_outputs(tree: dict[str, Module]) -> list[str]:
    problems = []
    root = tree[""]
    runtime = tree.get("modules/dagster_runtime")
    outputs = root.outputs
    if outputs.get("pipeline_env", {}).get("value") != "${module.dagster_runtime.env}":
        problems.append("output pipeline_env is not module.dagster_runtime.env")
    passed_env = root.modules.get("dagster_runtime", {}).get("pipeline_env", {})
    added = {}
    if runtime:
        merged = str(runtime.locals.get("env", ""))
        added = set(re.findall(r"\b((?:ELT|DAGSTER)_[A-Z_]+)\s*=", merged))
        if runtime.outputs.get("env", {}).get("value") != "${local.env}":
            problems.append("dagster_runtime output env is not local.env")
    env = set(passed_env) | set(added)
    alert_env = {name for name in settings_env_names() if name.startswith("ELT_ALERT_")}
    needed = (settings_env_names() - LOCAL_ONLY_ENV - SECRET_ENV - alert_env) | DAGSTER_ENV | {"ELT_ENV"}
    if root.modules.get("dagster_runtime", {}).get("alert_env") != "${var.alert_env}" or (
        runtime and "var.alert_env" not in str(runtime.locals.get("env", ""))
    ):
        problems.append("the VM's environment does not take var.alert_env (ELT_ALERT_* of the operator)")
    secrets_module = tree.get("modules/secrets")
    alert_secrets = secrets_module.outputs.get("alert_secret_ids", {}).get("value", {}) if secrets_module else {}
    if not isinstance(alert_secrets, dict) or set(alert_secrets) != ALERT_SECRET_ENV:
        problems.append(f"secrets output alert_secret_ids keys are not {sorted(ALERT_SECRET_ENV)}")
    for name in sorted(needed - env):
        problems.append(f"pipeline_env lacks {name}")
    for name in sorted(env & SECRET_ENV):
        problems.append(f"pipeline_env holds the secret {name}")
    if passed_env.get("ELT_ENV") != "gcp":
        problems.append("pipeline_env ELT_ENV is not gcp")
    secret_env = outputs.get("secret_env", {}).get("value", {})
    if not isinstance(secret_env, dict) or set(secret_env) != SECRET_ENV:
        problems.append(f"output secret_env keys are not {sorted(SECRET_ENV)}")
    return problems


def check_monitoring(tree: dict[str, Module]) -> list[str]:
    """Alert policies for the VM down (uptime absent), the daemon silent (its log lines absent)
    and error logs (a log-based metric), each notifying the channels from variables."""
    monitoring = tree.get("modules/monitoring")
    if not monitoring:
        return ["no modules/monitoring"]
    problems = []
    policies = {name: body for t, name, body in monitoring.resources() if t == "google_monitoring_alert_policy"}
    metrics = {name: body for t, name, body in monitoring.resources() if t == "google_logging_metric"}
    expected = {
        "vm_down": ("condition_absent", "compute.googleapis.com/instance/uptime"),
        "daemon_down": ("condition_absent", "logging.googleapis.com/user/${google_logging_metric.daemon_lines.name}"),
        "container_errors": (
            "condition_threshold",
            "logging.googleapis.com/user/${google_logging_metric.container_errors.name}",
        ),
    }
    for name, (kind, metric) in expected.items():
        policy = policies.get(name)
        if not policy:
            problems.append(f"no alert policy {name}")
            continue
        condition = block(block(policy, "conditions"), kind)
        if f'metric.type="{metric}"' not in condition.get("filter", ""):
            problems.append(f"alert policy {name}: {kind} is not on {metric}")
        if policy.get("notification_channels") != "${local.channels}":
            problems.append(f"alert policy {name} does not notify local.channels")
    if "/elt-daemon" not in metrics.get("daemon_lines", {}).get("filter", ""):
        problems.append("log metric daemon_lines does not count the elt-daemon container's lines")
    if "ERROR" not in metrics.get("container_errors", {}).get("filter", ""):
        problems.append("log metric container_errors does not match error lines")
    if "var.alert_emails" not in str(monitoring.locals.get("channels", "")) + monitoring.text():
        problems.append("no notification channel from var.alert_emails")
    passed = tree[""].modules.get("monitoring", {})
    if passed.get("alert_emails") != "${var.alert_emails}" or passed.get("vm_instance_id") is None:
        problems.append("root does not pass alert_emails and the VM's instance id to modules/monitoring")
    return problems


def check_dagster_home_matches_image(tree: dict[str, Module]) -> list[str]:
    """DAGSTER_HOME on the VM is where the image put dagster.yaml."""
    image_home = re.search(r"DAGSTER_HOME=(\S+)", (DEPLOY / "Dockerfile").read_text())
    default = tree[""].variables.get("dagster_home", {}).get("default")
    if not image_home or default != image_home.group(1):
        return [f"variable dagster_home default {default!r} is not the image's DAGSTER_HOME"]
    return []


def check_readme_builds_the_dockerfile(tree: dict[str, Module]) -> list[str]:
    """Every `docker build` in terraform/README.md names the Dockerfile (it is not at the context root)."""
    readme = (tree[""].path / "README.md").read_text()
    builds = re.findall(r"docker build[^\n]*", readme)
    if not builds:
        return ["terraform/README.md has no docker build command"]
    expected = f"-f ../{DOCKERFILE.relative_to(REPO)} "
    return [f"README builds without {expected.strip()!r}: {b}" for b in builds if expected not in b]


def check_daemon_sees_run_workers(tree: dict[str, Module]) -> list[str]:
    """The VM starts the code server and the daemon in the host's pid namespace: the instance's
    run launcher checks each run's worker (a code server process) by pid from the daemon."""
    runtime = tree.get("modules/dagster_runtime")
    if not runtime:
        return ["no modules/dagster_runtime"]
    containers = deploy_files.vm_containers(runtime.path / "templates" / "cloud-init.yaml.tftpl")
    return [
        f"the VM's {service} container is not started with --pid=host"
        for service in ("code-location", "daemon")
        if "--pid=host" not in containers[service].options
    ]


def check_provider_pins(tree: dict[str, Module]) -> list[str]:
    problems = []
    terraform = [b for _, b in tree[""].blocks("terraform")]
    if not terraform or not terraform[0].get("required_version"):
        return ["root has no required_version"]
    providers = {}
    for t in terraform:
        for rp in t.get("required_providers", []):
            providers.update(rp)
    for name in ("google", "google-beta"):
        version = providers.get(name, {}).get("version", "")
        if "<" not in version and "~>" not in version:
            problems.append(f"provider {name} is not pinned with an upper bound: {version!r}")
    return problems


CHECKERS = [
    check_variables_typed_and_described,
    check_root_validations,
    check_used_variables_declared,
    check_module_inputs,
    check_no_hardcoded_projects,
    check_names_from_variables,
    check_buckets_private,
    check_storage_layout,
    check_no_primitive_roles,
    check_cloudsql_private,
    check_vm_private,
    check_no_secret_values,
    check_default_names,
    check_pipeline_env_outputs,
    check_provider_pins,
    check_dagster_home_matches_image,
    check_readme_builds_the_dockerfile,
    check_monitoring,
    check_ui_allowlisted,
    check_daemon_sees_run_workers,
]


def load(root: Path) -> dict[str, Module]:
    return load_tree(root)


@pytest.fixture(scope="module")
def tree() -> dict[str, Module]:
    return load(TERRAFORM)


# ---------------------------------------------------------------------------------------------
# The real tree
# ---------------------------------------------------------------------------------------------
def test_every_tf_file_parses_and_layout_is_complete(tree):
    for required in ("versions.tf", "variables.tf", "main.tf", "outputs.tf"):
        assert (TERRAFORM / required).is_file(), required
    for example in ("terraform.tfvars.example", "backend.tf.example", "README.md"):
        assert (TERRAFORM / example).is_file(), example
    assert {
        "modules/network",
        "modules/storage",
        "modules/bigquery",
        "modules/iam",
        "modules/secrets",
        "modules/dagster_runtime",
        "modules/monitoring",
    } <= set(tree)
    for name, mod in tree.items():
        assert mod.files, f"{name or 'root'} has no .tf file"


@pytest.mark.parametrize("checker", CHECKERS, ids=lambda c: c.__name__)
def test_property_holds(tree, checker):
    assert checker(tree) == []


def test_project_id_validation_regex():
    pattern = regex_of(str(load_module(TERRAFORM).variables["project_id"]["validation"]))
    for good in (SAMPLE_PROJECT, "my-project", "a12345"):
        assert re.search(pattern, good), good
    for bad in ("My-Project", "proj", "1project", "project-", "x" * 31):
        assert not re.search(pattern, bad), bad


def test_sources_validation_accepts_pipeline_sources():
    validations = load_module(TERRAFORM).variables["sources"]["validation"]
    pattern = regex_of(str(validations))
    pipeline = yaml.safe_load(settings.DEFAULT_PIPELINE_CONFIG.read_text())
    for source in pipeline["sources"]:
        assert re.search(pattern, source["name"]), source["name"]
    assert not re.search(pattern, "Shop/EU")


def test_iam_is_least_privilege(tree):
    """Exact role sets: a new broad grant must be a deliberate change of this test."""
    iam = tree["modules/iam"]
    project_roles = {(v["account"], v["role"]) for v in iam.locals["project_roles"].values()}
    assert project_roles == {
        ("runner", "roles/bigquery.jobUser"),
        ("runner", "roles/logging.logWriter"),
        ("runner", "roles/monitoring.metricWriter"),
        ("reader", "roles/bigquery.jobUser"),
        ("reader", "roles/bigquery.readSessionUser"),
    }
    storage = {n: b for t, n, b in tree["modules/storage"].resources() if t == "google_storage_bucket_iam_member"}
    assert {(b["bucket"], b["role"], b["member"]) for b in storage.values()} == {
        ('${google_storage_bucket.this["landing"].name}', "roles/storage.objectViewer", "${var.runner_member}"),
        ('${google_storage_bucket.this["parquet"].name}', "roles/storage.objectUser", "${var.runner_member}"),
        ('${google_storage_bucket.this["dagster-logs"].name}', "roles/storage.objectUser", "${var.runner_member}"),
        ('${google_storage_bucket.this["landing"].name}', "roles/storage.objectCreator", "${var.uploader_member}"),
    }
    assert "startsWith" in storage["uploader_creates_landing"]["condition"][0]["expression"]
    bq = {n: b for t, n, b in tree["modules/bigquery"].resources() if t == "google_bigquery_dataset_iam_member"}
    assert bq["editors"]["role"] == "roles/bigquery.dataEditor"
    assert bq["marts_readers"]["role"] == "roles/bigquery.dataViewer"
    assert bq["marts_readers"]["dataset_id"] == '${google_bigquery_dataset.this["marts"].dataset_id}'
    root_bq = tree[""].modules["bigquery"]
    assert "var.ml_readers_group" in root_bq["marts_reader_members"]
    # Only project-level IAM resource in the whole tree is the iam module's.
    for name, mod in tree.items():
        for rtype, rname, _ in mod.resources():
            if rtype.startswith("google_project_iam_") and rtype != "google_project_iam_audit_config":
                assert (name, rtype, rname) == ("modules/iam", "google_project_iam_member", "this")


def test_landing_notifications_are_variable_gated(tree):
    storage = tree["modules/storage"]
    gated = {
        t: b.get("count")
        for t, _, b in storage.resources()
        if t.startswith("google_pubsub") or t == "google_storage_notification"
    }
    assert set(gated) >= {"google_pubsub_topic", "google_pubsub_subscription", "google_storage_notification"}
    assert all(c == "${var.enable_landing_notifications ? 1 : 0}" for c in gated.values()), gated
    assert tree[""].variables["enable_landing_notifications"]["default"] is False


def test_cloud_init_reads_secrets_at_boot():
    template = (TERRAFORM / "modules/dagster_runtime/templates/cloud-init.yaml.tftpl").read_text()
    for needle in (
        "${pg_password_secret_id}",
        "${hash_salt_secret_id}",
        "secretmanager.googleapis.com",
        "dagster-webserver",
        "dagster-daemon run",
        "dagster code-server start",
        "%{ for key, value in env",
    ):
        assert needle in template, needle
    for secret in SECRET_ENV:
        assert f"{secret}=" in template  # written to /run/elt, not to metadata


def test_checkov_skips_are_justified():
    for tf in TERRAFORM.rglob("*.tf"):
        for line in tf.read_text().splitlines():
            if "checkov:skip=" in line:
                assert re.search(r"checkov:skip=CKV2?_[A-Z]+_\d+:\S.{20,}", line), f"{tf}: {line.strip()}"


# ---------------------------------------------------------------------------------------------
# The checkers can fail: break a copy of the tree, one property at a time
# ---------------------------------------------------------------------------------------------
MUTATIONS = [
    # (checker, file, old, new)
    (
        check_variables_typed_and_described,
        "variables.tf",
        '  description = "Region for the buckets',
        '  # description = "Region for the buckets',
    ),
    (
        check_root_validations,
        "variables.tf",
        'var.zone == null || can(regex("^[a-z]+-[a-z]+[0-9]+-[a-z]$", var.zone))',
        "true",
    ),
    (check_used_variables_declared, "modules/storage/main.tf", "var.force_destroy", "var.force_destroy_typo"),
    (
        check_module_inputs,
        "main.tf",
        "  enable_cloud_nat                     = var.enable_cloud_nat",
        "  enable_cloud_nat                     = var.enable_cloud_nat\n  nat_everything = true",
    ),
    (check_module_inputs, "main.tf", "  subnet_cidr                          = var.subnet_cidr\n", ""),
    (check_no_hardcoded_projects, "modules/secrets/main.tf", "project   = var.project_id", 'project   = "acme-prod"'),
    (
        check_no_hardcoded_projects,
        "modules/dagster_runtime/main.tf",
        '"${local.registry_host}/${var.project_id}/',
        '"europe-west1-docker.pkg.dev/acme-prod/',
    ),
    (check_names_from_variables, "modules/iam/main.tf", "account_id   = each.value.id", 'account_id   = "dagster"'),
    (
        check_buckets_private,
        "modules/storage/main.tf",
        'public_access_prevention    = "enforced"',
        'public_access_prevention    = "inherited"',
    ),
    (
        check_buckets_private,
        "modules/storage/main.tf",
        "uniform_bucket_level_access = true",
        "uniform_bucket_level_access = false",
    ),
    (check_storage_layout, "modules/storage/main.tf", "versioning = true", "versioning = false"),
    (
        check_no_primitive_roles,
        "modules/iam/main.tf",
        'role = "roles/monitoring.metricWriter"',
        'role = "roles/editor"',
    ),
    (
        check_cloudsql_private,
        "modules/dagster_runtime/main.tf",
        "ipv4_enabled                                  = false",
        "ipv4_enabled                                  = true",
    ),
    (
        check_vm_private,
        "modules/dagster_runtime/main.tf",
        "    subnetwork = var.subnetwork_self_link\n",
        "    subnetwork = var.subnetwork_self_link\n    access_config {}\n",
    ),
    (
        check_no_secret_values,
        "modules/dagster_runtime/main.tf",
        '  type     = "BUILT_IN"',
        '  type     = "BUILT_IN"\n  password = var.db_password',
    ),
    (check_default_names, "main.tf", '"${var.project_id}-elt-parquet"', '"${var.project_id}-parquet"'),
    (check_default_names, "variables.tf", 'default     = "elt_marts"', 'default     = "marts"'),
    (check_default_names, "variables.tf", 'default     = "EU"', 'default     = "US"'),
    (
        check_pipeline_env_outputs,
        "main.tf",
        '    ELT_PARQUET_URI             = "gs://${module.storage.parquet_bucket}"\n',
        "",
    ),
    (
        check_pipeline_env_outputs,
        "main.tf",
        '    ELT_ENV                     = "gcp"',
        '    ELT_ENV                     = "gcp"\n    ELT_HASH_SALT = "x"',
    ),
    (
        check_pipeline_env_outputs,
        "modules/dagster_runtime/main.tf",
        '    DAGSTER_PG_PORT = "5432"',
        "",
    ),
    (check_dagster_home_matches_image, "variables.tf", '"/opt/dagster/home"', '"/opt/dagster/dagster_home"'),
    (
        check_readme_builds_the_dockerfile,
        "README.md",
        "docker build -f ../elt_pipeline/deploy/Dockerfile ",
        "docker build ",
    ),
    (
        check_pipeline_env_outputs,
        "modules/dagster_runtime/main.tf",
        "var.pipeline_env, var.alert_env,",
        "var.pipeline_env,",
    ),
    (
        check_monitoring,
        "modules/monitoring/main.tf",
        'metric.type=\\"compute.googleapis.com/instance/uptime\\"',
        'metric.type=\\"compute.googleapis.com/instance/cpu/utilization\\"',
    ),
    (check_monitoring, "modules/monitoring/main.tf", 'jsonPayload.container.name=\\"/elt-daemon\\"', "true"),
    (check_monitoring, "modules/monitoring/main.tf", "    condition_threshold {", "    condition_absent {"),
    (check_monitoring, "main.tf", "  alert_emails             = var.alert_emails\n", ""),
    (check_ui_allowlisted, "modules/network/main.tf", '"35.235.240.0/20"', '"0.0.0.0/0"'),
    (
        check_ui_allowlisted,
        "modules/dagster_runtime/main.tf",
        "  for_each = toset(var.ui_members)\n\n  project  = var.project_id\n  zone ",
        '  for_each = toset(concat(var.ui_members, ["allUsers"]))\n\n  project  = var.project_id\n  zone ',
    ),
    (check_provider_pins, "versions.tf", 'version = ">= 6.14.0, < 8.0.0"', 'version = ">= 6.14.0"'),
    (
        check_daemon_sees_run_workers,
        "modules/dagster_runtime/templates/cloud-init.yaml.tftpl",
        "--name elt-daemon --network elt --pid=host ",
        "--name elt-daemon --network elt ",
    ),
    (
        check_daemon_sees_run_workers,
        "modules/dagster_runtime/templates/cloud-init.yaml.tftpl",
        "--name elt-code --network elt --pid=host ",
        "--name elt-code --network elt ",
    ),
]


@pytest.mark.parametrize(
    "checker,file,old,new",
    MUTATIONS,
    ids=[f"{m[0].__name__}:{m[1]}:{i}" for i, m in enumerate(MUTATIONS)],
)
def test_checker_catches_broken_tree(tmp_path, checker, file, old, new):
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy)
    target = copy / file
    text = target.read_text()
    assert old in text, f"mutation anchor not found in {file}: {old!r}"
    target.write_text(text.replace(old, new, 1))
    tree = load(copy)
    assert checker(tree) != [], f"{checker.__name__} did not notice: {old!r} -> {new!r}"


def render_loops(template: str, maps: dict[str, dict[str, str]]) -> str:
    """Expand each `%{ for k, v in NAME ~}...%{ endfor ~}` of `template` over `maps[NAME]`."""

    def expand(match: re.Match) -> str:
        key, value, name, body = match.groups()
        return "".join(body.replace(f"${{{key}}}", k).replace(f"${{{value}}}", v) for k, v in maps.pop(name).items())

    text = re.sub(r"%\{ for (\w+), (\w+) in (\w+) ~\}\n(.*?)%\{ endfor ~\}\n", expand, template, flags=re.S)
    assert not maps, f"loops not found: {sorted(maps)}"
    return text


def test_cloud_init_renders_to_valid_cloud_config(tmp_path):
    """Render the template the way templatefile() would (for loops + ${} vars) and parse it."""
    template = (TERRAFORM / "modules/dagster_runtime/templates/cloud-init.yaml.tftpl").read_text()
    alert_secrets = {"ELT_ALERT_WEBHOOK_URL": "projects/1/secrets/webhook"}
    text = render_loops(
        template, {"env": {"ELT_ENV": "gcp", "DAGSTER_PG_HOST": "10.0.0.3"}, "alert_secret_ids": alert_secrets}
    )
    for name in ("image", "registry_host", "hash_salt_secret_id", "pg_password_secret_id"):
        text = text.replace(f"${{{name}}}", f"sample-{name}")
    assert not re.findall(r"[$%]\{[^}]*\}", text), "unrendered template expressions (escape shell ones as $${})"
    config = yaml.safe_load(text)
    files = {f["path"]: f for f in config["write_files"]}
    assert files["/etc/elt/pipeline.env"]["content"].splitlines() == ["ELT_ENV=gcp", "DAGSTER_PG_HOST=10.0.0.3"]
    fetch = files["/etc/elt/fetch-secrets.sh"]
    assert fetch["permissions"] == "0700"
    assert "fetch projects/1/secrets/webhook" in fetch["content"] and "ELT_ALERT_WEBHOOK_URL=" in fetch["content"]
    (tmp_path / "fetch-secrets.sh").write_text(fetch["content"])
    subprocess.run(["bash", "-n", str(tmp_path / "fetch-secrets.sh")], check=True)
    assert any("systemctl start" in c for c in config["runcmd"])
