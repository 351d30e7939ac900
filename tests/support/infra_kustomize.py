"""Render the kustomizations of infra/k8s: with ``kubectl kustomize`` when it is installed, else
with a small pure-Python renderer of the subset of kustomize they use.

The subset: ``resources`` (files and directories), ``namespace``, ``labels`` (without
selectors or templates), ``images`` (newName, newTag, digest) and ``patches`` (a file, with an
optional ``target`` by kind and name) applied as strategic merge patches for the built-in
kinds (lists of named items merged by name) and as JSON merge patches for custom resources.
Anything else raises, so a kustomization that outgrows the renderer is noticed, not ignored.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]

SUPPORTED = {"apiVersion", "kind", "namespace", "labels", "resources", "images", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
BUILTIN_GROUPS = {"v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1"}
# Lists that strategic merge patches merge item by item (by `name`) instead of replacing.
MERGED_BY_NAME = {"containers", "initContainers", "env", "volumes", "volumeMounts", "ports"}


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(directory: Path, *, use_kubectl: bool | None = None) -> list[Obj]:
    """The objects ``kubectl kustomize directory`` prints."""
    binary = kubectl() if use_kubectl is not False else None
    if use_kubectl and binary is None:
        raise FileNotFoundError("kubectl is not installed")
    if binary is not None:
        out = subprocess.run(
            [binary, "kustomize", str(directory)], capture_output=True, text=True, check=True
        ).stdout
        return [doc for doc in yaml.safe_load_all(out) if doc]
    return _build(directory)


def _build(directory: Path) -> list[Obj]:
    spec: Obj = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise NotImplementedError(f"{directory}: the Python renderer lacks {sorted(unknown)}")
    objects: list[Obj] = []
    for entry in spec.get("resources", []):
        path = directory / entry
        if path.is_dir():
            objects.extend(_build(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch in spec.get("patches", []):
        _apply_patch(directory, patch, objects)
    if "namespace" in spec:
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = spec["namespace"]
    for label in spec.get("labels", []):
        if label.get("includeSelectors") or label.get("includeTemplates"):
            raise NotImplementedError("labels with includeSelectors/includeTemplates")
        for obj in objects:
            obj["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in spec.get("images", []):
        for obj in objects:
            _set_image(obj, image)
    return objects


def _apply_patch(directory: Path, patch: Obj, objects: list[Obj]) -> None:
    if set(patch) - {"path", "target"}:
        raise NotImplementedError(f"patch fields {sorted(patch)}")
    for document in yaml.safe_load_all((directory / patch["path"]).read_text()):
        if not document:
            continue
        target = patch.get("target") or {
            "kind": document["kind"],
            "name": document["metadata"]["name"],
        }
        if set(target) - {"kind", "name"}:
            raise NotImplementedError(f"patch target fields {sorted(target)}")
        matched = [
            obj
            for obj in objects
            if obj["kind"] == target["kind"]
            and target.get("name", obj["metadata"]["name"]) == obj["metadata"]["name"]
        ]
        if not matched:
            raise ValueError(f"patch {patch['path']} matches nothing: {target}")
        for obj in matched:
            body = copy.deepcopy(document)
            body["metadata"] = {**body["metadata"], "name": obj["metadata"]["name"]}
            strategic = obj["apiVersion"] in BUILTIN_GROUPS
            merged = _merge(obj, body, strategic)
            obj.clear()
            obj.update(merged)


def _merge(base: Any, patch: Any, strategic: bool, field: str = "") -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = _merge(out[key], value, strategic, key)
            else:
                out[key] = copy.deepcopy(value)
        return out
    if (
        strategic
        and field in MERGED_BY_NAME
        and isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in [*base, *patch])
    ):
        out_list = [copy.deepcopy(item) for item in base]
        index = {item["name"]: i for i, item in enumerate(out_list)}
        for item in patch:
            if item["name"] in index:
                position = index[item["name"]]
                out_list[position] = _merge(out_list[position], item, strategic)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _set_image(node: Any, image: Obj) -> None:
    if isinstance(node, list):
        for item in node:
            _set_image(item, image)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key in ("containers", "initContainers") and isinstance(value, list):
            for container in value:
                container["image"] = _new_image(container["image"], image)
        else:
            _set_image(value, image)


def _new_image(current: str, image: Obj) -> str:
    name, _, digest = current.partition("@")
    tag = ""
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    if name != image["name"]:
        return current
    name = image.get("newName", name)
    if "digest" in image:
        return f"{name}@{image['digest']}"
    tag = str(image.get("newTag", tag))
    return f"{name}:{tag}" if tag else (f"{name}@{digest}" if digest else name)
