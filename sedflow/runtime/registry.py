"""Which definition a case runs on: the versions this program loaded, deployed and kept in the store.

New cases start on the version of their process *deployed* in the store; a process never deployed
there starts on the loaded version, and its first case deploys it. A case stays on the version it
started on until migrated, so a version a case runs on is rebuilt from the sources the store kept
when this program did not load it. Each version has one case environment (its form fields, the
engine's clock), shared by every case on it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..clock import Clock
from ..definitions import Definitions, ProcessDefinition, load_sources
from ..definitions.changes import DefinitionChanges, diff_definitions
from ..errors import UnknownVersionError
from ..spiff.environment import CaseEnvironment
from ..store import CaseStore, DeploymentRecord
from .migration import Deployment


class DefinitionRegistry:
    def __init__(self, store: CaseStore, definitions: Definitions, clock: Clock):
        self._store, self._clock, self.loaded = store, clock, definitions
        self._versions: dict[str, ProcessDefinition] = {d.version: d for d in definitions}
        self._environments: dict[str, CaseEnvironment] = {}

    def definition(self, version: str) -> ProcessDefinition:
        """The definition a case runs on: loaded now, or rebuilt from the sources the store kept."""
        if version not in self._versions:
            sources = self._store.definition_sources(version)
            found = load_sources(sources).by_version(version) if sources else None
            if found is None:
                raise UnknownVersionError(f"definition version {version} is not in the store")
            self._versions[version] = found
        return self._versions[version]

    def environment(self, definition: ProcessDefinition) -> CaseEnvironment:
        """The environment cases of ``definition`` run in."""
        if definition.version not in self._environments:
            self._environments[definition.version] = CaseEnvironment(self._clock, definition.field_ids)
        return self._environments[definition.version]

    def known(self) -> list[ProcessDefinition]:
        """The loaded definitions and every version deployed in the store (what reports must know)."""
        for version in dict.fromkeys(d.version for d in self._store.deployments()):
            self.definition(version)
        return list(self._versions.values())

    def for_new_cases(self, process_id: str) -> tuple[ProcessDefinition, bool]:
        """The definition new cases start on, and whether starting one first deploys it."""
        version = self._store.deployed_version(process_id)
        return (self.definition(version), False) if version else (self.loaded.get(process_id), True)

    def resolve(self, ref: str, process_id: str | None = None) -> ProcessDefinition:
        """A definition by version, unique version prefix, or ``latest`` (the deployed version of ``process_id``)."""
        if ref == "latest":
            if process_id is None:
                raise UnknownVersionError("'latest' needs a process")
            return self.for_new_cases(process_id)[0]
        known = {d.version: d.process_id for d in self._store.deployments()}
        known.update({d.version: d.process_id for d in self._versions.values()})
        matches = sorted(v for v, pid in known.items() if v.startswith(ref) and process_id in (None, pid))
        if len(matches) != 1 or len(ref) < 4:
            what = f" of process '{process_id}'" if process_id else ""
            problem = "matches several versions" if len(matches) > 1 else "is not a known version"
            raise UnknownVersionError(f"'{ref}' {problem}{what} (see 'sedflow processes versions')")
        return self.definition(matches[0])

    def deployments(self, process_id: str | None = None) -> list[DeploymentRecord]:
        if process_id is not None:
            self.for_new_cases(process_id)  # UnknownProcessError for a process neither loaded nor deployed
        return self._store.deployments(process_id)

    def deploy(self, definitions: Iterable[ProcessDefinition], actor: str | None) -> list[Deployment]:
        """Make each definition the version new cases of its process start on (see ``Engine.deploy``)."""
        results = []
        for definition in definitions:
            previous = self._store.deployed_version(definition.process_id)
            if previous == definition.version:
                results.append(Deployment(definition.process_id, definition.version, previous, deployed=False))
                continue
            changes = diff_definitions(self.definition(previous), definition) if previous else DefinitionChanges()
            now = self._clock.now()
            with self._store.transaction() as tx:
                tx.save_definition(definition.version, definition.process_id, definition.name, definition.sources,
                                   now)
                tx.record_deployment(definition.process_id, definition.version, now, actor,
                                     {"previous": previous, **changes.to_dict()})
            self._versions[definition.version] = definition
            results.append(Deployment(definition.process_id, definition.version, previous, True, changes))
        return results
