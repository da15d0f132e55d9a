"""What the deploy files say each production process runs with, read from the files themselves
(terraform's VM definition, compose.yaml, the Dockerfile, dagster.yaml) so that a test starting
the processes cannot drift from them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import hcl2
import yaml

from elt_pipeline.settings import PACKAGE_DIR, PROJECT_DIR

DEPLOY = PACKAGE_DIR / "deploy"
TERRAFORM = PROJECT_DIR / "terraform"
RUNTIME = TERRAFORM / "modules" / "dagster_runtime"
CLOUD_INIT = RUNTIME / "templates" / "cloud-init.yaml.tftpl"
VM_UNITS = {"code-location": "elt-code", "daemon": "elt-daemon", "webserver": "elt-webserver"}
TERRAFORM_ENV_FILE = "/etc/elt/pipeline.env"  # written from the module's `env` map


@dataclass(frozen=True)
class VmContainer:
    """One `docker run` of a systemd unit on the VM."""

    command: list[str]  # what runs in the image
    options: list[str]  # of `docker run`
    env_files: list[str]
    mounts: dict[str, str]  # container path -> host path


def hcl(path: Path) -> dict:
    options = hcl2.SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=options)


def _rendered_cloud_init(template: Path) -> dict:
    """cloud-init with the env loop dropped and `${name}` placeholders left as text."""
    text = re.sub(r"%\{ for .*?%\{ endfor ~\}\n", "", template.read_text(), flags=re.S)
    return yaml.safe_load(text.replace("$${", "${"))


def _written_files(template: Path = CLOUD_INIT) -> dict[str, str]:
    return {f["path"]: f["content"] for f in _rendered_cloud_init(template)["write_files"]}


def vm_containers(template: Path = CLOUD_INIT) -> dict[str, VmContainer]:
    """Compose service name -> the VM container that plays it (in terraform's cloud-init
    `template`)."""
    files = _written_files(template)
    containers = {}
    for service, unit in VM_UNITS.items():
        unit_text = files[f"/etc/systemd/system/{unit}.service"]
        (start,) = re.findall(r"^ExecStart=(.*)$", unit_text, re.M)
        argv = shlex.split(start)
        image_at = argv.index("${image}")
        options = argv[:image_at]
        env_files = [options[i + 1] for i, arg in enumerate(options) if arg == "--env-file"]
        mounts = dict(reversed(options[i + 1].split(":")[:2]) for i, arg in enumerate(options) if arg == "-v")
        containers[service] = VmContainer(argv[image_at + 1 :], options, env_files, mounts)
    return containers


def vm_workspace() -> dict:
    """The workspace the VM's webserver and daemon read."""
    return yaml.safe_load(_written_files()["/etc/elt/workspace.yaml"])


def vm_secret_files() -> dict[str, set[str]]:
    """Env file on the VM -> the secret variables the boot script writes into it."""
    script = _written_files()["/etc/elt/fetch-secrets.sh"]
    written: dict[str, set[str]] = {}
    for name, path in re.findall(r"printf '([A-Z0-9_]+)=%s\\n' .*? > (\S+)", script):
        written.setdefault(path, set()).add(name)
    return written


def terraform_vm_environment() -> set[str]:
    """Names of the non-secret variables terraform writes into the VM's env file: the root's
    `pipeline_env` plus what the runtime module merges in."""
    root = hcl(TERRAFORM / "main.tf")
    passed = next(m["dagster_runtime"]["pipeline_env"] for m in root["module"] if "dagster_runtime" in m)
    runtime = hcl(RUNTIME / "main.tf")
    merged = next(str(block["env"]) for block in runtime["locals"] if "env" in block)
    return set(passed) | set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=", merged))


def container_environment(container: VmContainer) -> set[str]:
    """Every variable name a VM container is started with."""
    secrets = vm_secret_files()
    names = set()
    for env_file in container.env_files:
        names |= terraform_vm_environment() if env_file == TERRAFORM_ENV_FILE else secrets[env_file]
    return names


def terraform_dagster_home() -> str:
    variables = {k: v for block in hcl(TERRAFORM / "variables.tf")["variable"] for k, v in block.items()}
    return variables["dagster_home"]["default"]


def image_dagster_home() -> tuple[str, str]:
    """(DAGSTER_HOME the image sets, folder the image copies dagster.yaml into)."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    (home,) = re.findall(r"DAGSTER_HOME=(\S+)", dockerfile)
    (target,) = re.findall(r"^COPY \S*deploy/dagster\.yaml (\S+)$", dockerfile, re.M)
    return home, str(Path(target).parent)


def instance_environment() -> set[str]:
    """Variables the production instance config (deploy/dagster.yaml) reads."""
    return set(re.findall(r"env: ([A-Z0-9_]+)", (DEPLOY / "dagster.yaml").read_text()))


def compose_commands() -> dict[str, list[str]]:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    return {name: [str(arg) for arg in services[name]["command"]] for name in VM_UNITS}


def compose_pid_namespaces() -> dict[str, str | None]:
    """Service -> its `pid:` in compose.yaml (None: a namespace of its own)."""
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    return {name: services[name].get("pid") for name in VM_UNITS}


def instance_run_launcher() -> str:
    """The class of the production instance's run launcher."""
    return yaml.safe_load((DEPLOY / "dagster.yaml").read_text())["run_launcher"]["class"]
