"""The least-privilege table of elt_pipeline/deploy/README.md against the code and terraform.

Calls: every method of a Google client (google-cloud-storage, google-cloud-bigquery) that the
package's Google-facing modules call must have a row, and every row naming a module must match
a call there. Grants: every row's role must be granted to the runner on that resource by
terraform and hold that permission; every runner grant must be needed by a row; a row saying
"none" must really not be granted.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path

from google.cloud import bigquery, storage

from elt_pipeline.settings import PACKAGE_DIR, PROJECT_DIR
from tests.support import deploy_files

README = PACKAGE_DIR / "deploy" / "README.md"
HEADER = "| Caller | Call | Resource | Permission | Role granted to the runner |"
# Methods that only build a local reference (no request).
LOCAL_ONLY = {"bucket", "blob", "dataset", "table"}
# Permissions of the predefined roles terraform uses (the subset this table relies on), from
# https://cloud.google.com/iam/docs/understanding-roles. dataEditor's bigquery.datasets.create
# is left out on purpose: it is checked on the project, and the role is granted on datasets.
ROLE_PERMISSIONS = {
    "roles/storage.objectViewer": {"storage.objects.get", "storage.objects.list"},
    "roles/storage.objectUser": {
        "storage.objects.create",
        "storage.objects.delete",
        "storage.objects.get",
        "storage.objects.list",
        "storage.objects.update",
    },
    "roles/bigquery.dataEditor": {
        "bigquery.datasets.get",
        "bigquery.tables.create",
        "bigquery.tables.delete",
        "bigquery.tables.get",
        "bigquery.tables.getData",
        "bigquery.tables.list",
        "bigquery.tables.update",
        "bigquery.tables.updateData",
    },
    "roles/bigquery.jobUser": {"bigquery.jobs.create"},
    "roles/secretmanager.secretAccessor": {"secretmanager.versions.access"},
    "roles/artifactregistry.reader": {"artifactregistry.repositories.downloadArtifacts"},
    "roles/logging.logWriter": {"logging.logEntries.create"},
    "roles/monitoring.metricWriter": {"monitoring.timeSeries.create"},
}


@dataclass(frozen=True)
class Row:
    caller: str
    calls: tuple[str, ...]
    resource: str
    permission: str
    role: str | None  # None: not granted to the runner

    @property
    def in_package(self) -> bool:
        return self.caller.startswith("elt_pipeline/")


def _cell(text: str) -> str:
    return text.strip().strip("`")


def table_rows(readme: str) -> list[Row]:
    lines = readme.splitlines()
    start = lines.index(HEADER) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        caller, call, resource, permission, role = (cell.strip() for cell in line.strip("|").split("|"))
        role_name = re.match(r"`(roles/[\w.]+)`", role)
        rows.append(
            Row(
                caller=_cell(caller),
                calls=tuple(re.findall(r"`(\w+)`", call)) or (call,),
                resource=resource,
                permission=_cell(permission),
                role=role_name.group(1) if role_name else None,
            )
        )
    return rows


def google_client_methods() -> set[str]:
    """Public methods of the client classes the package uses that send a request."""
    names = set()
    for cls in (storage.Client, storage.Bucket, storage.Blob, bigquery.Client):
        names |= {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}
    return names - LOCAL_ONLY


def code_calls(package: Path = PACKAGE_DIR) -> set[tuple[str, str]]:
    """(module path, method) of every Google client call in modules that import google.cloud."""
    methods = google_client_methods()
    found = set()
    for module in package.rglob("*.py"):
        text = module.read_text()
        if "google.cloud" not in text:
            continue
        path = str(module.relative_to(package.parent))
        found |= {(path, name) for name in re.findall(r"\.(\w+)\(", text) if name in methods}
    return found


def runner_grants() -> set[tuple[str, str]]:
    """(resource, role) of every grant terraform gives the runner service account."""
    root = deploy_files.hcl(deploy_files.TERRAFORM / "main.tf")
    modules = {name: body for block in root["module"] for name, body in block.items()}
    runner = "${module.iam.runner_member}"
    grants = set()
    iam = deploy_files.hcl(deploy_files.TERRAFORM / "modules/iam/main.tf")
    project_roles = next(block["project_roles"] for block in iam["locals"] if "project_roles" in block)
    grants |= {("project", v["role"]) for v in project_roles.values() if v["account"] == "runner"}
    if modules["storage"].get("runner_member") == runner:
        storage_tf = deploy_files.hcl(deploy_files.TERRAFORM / "modules/storage/main.tf")
        for block in storage_tf["resource"]:
            for body in block.get("google_storage_bucket_iam_member", {}).values():
                bucket = re.search(r'this\["([\w-]+)"\]', body["bucket"])
                if body["member"] == "${var.runner_member}" and bucket:
                    grants.add((f"bucket {bucket.group(1)}", body["role"]))
    if runner in modules["bigquery"].get("editor_members", []):
        datasets = next(block["dataset_ids"] for block in root["locals"] if "dataset_ids" in block)
        grants |= {(f"dataset {layer}", "roles/bigquery.dataEditor") for layer in datasets}
    if runner in modules["secrets"].get("accessor_members", []):
        grants.add(("secret", "roles/secretmanager.secretAccessor"))
    runtime = deploy_files.hcl(deploy_files.RUNTIME / "main.tf")
    for block in runtime["resource"]:
        for body in block.get("google_artifact_registry_repository_iam_member", {}).values():
            if body["member"] == "serviceAccount:${var.runner_email}":
                grants.add(("repository", body["role"]))
    return grants


def check_calls(rows: list[Row], calls: set[tuple[str, str]]) -> list[str]:
    documented = {(row.caller, call) for row in rows if row.in_package for call in row.calls}
    problems = [f"{path}: `{method}` has no row in the table" for path, method in sorted(calls - documented)]
    problems += [f"row {path} `{method}`: no such call in the code" for path, method in sorted(documented - calls)]
    return problems


def check_grants(rows: list[Row], grants: set[tuple[str, str]]) -> list[str]:
    problems = []
    for row in rows:
        holding = {role for resource, role in grants if resource == row.resource}
        allowed = {role for role in holding if row.permission in ROLE_PERMISSIONS.get(role, set())}
        if row.role is None:
            if allowed:
                problems.append(f"{row.caller} {row.calls}: says none, but {sorted(allowed)} allow {row.permission}")
        elif row.role not in holding:
            problems.append(f"{row.caller} {row.calls}: {row.role} is not granted on {row.resource}")
        elif row.role not in allowed:
            problems.append(f"{row.caller} {row.calls}: {row.role} lacks {row.permission}")
    needed = {(row.resource, row.role) for row in rows if row.role}
    problems += [
        f"the runner has {role} on {resource}, which no row needs" for resource, role in sorted(grants - needed)
    ]
    return problems


def test_every_google_call_in_the_code_has_a_row():
    assert check_calls(table_rows(README.read_text()), code_calls()) == []


def test_every_row_is_granted_by_terraform_and_every_grant_is_needed():
    assert check_grants(table_rows(README.read_text()), runner_grants()) == []


def test_the_checks_can_fail(tmp_path):
    """A dataset created on the load path, a grant taken away, a broad grant added: each is seen."""
    rows = table_rows(README.read_text())
    package = tmp_path / "elt_pipeline"
    (package / "lib").mkdir(parents=True)
    warehouse = (PACKAGE_DIR / "lib/warehouse/bigquery.py").read_text()
    (package / "lib" / "bigquery.py").write_text(warehouse + "\nclient.create_dataset(name, exists_ok=True)\n")
    assert any("`create_dataset` has no row" in p for p in check_calls(rows, code_calls(package)))
    create = Row(
        "elt_pipeline/lib/bigquery.py",
        ("create_dataset",),
        "project",
        "bigquery.datasets.create",
        "roles/bigquery.dataEditor",
    )
    assert check_grants([*rows, create], runner_grants())

    grants = runner_grants()
    assert check_grants(rows, grants - {("bucket parquet", "roles/storage.objectUser")})
    assert check_grants(rows, grants | {("project", "roles/bigquery.dataEditor")})
    assert check_grants(rows, grants | {("bucket landing", "roles/storage.objectUser")})  # "none" rows get it


def test_no_dataset_is_created_by_the_code():
    assert not [call for call in code_calls() if call[1] == "create_dataset"]
    assert "google_bigquery_dataset" in (PROJECT_DIR / "terraform/modules/bigquery/main.tf").read_text()
