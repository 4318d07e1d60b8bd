# Filters of playbooks/fleet/site.yml: one fetched bundle's record, and the fleet summary.


def fleet_bundle(item, local_dir):
    """[archive on the host, its stat there, the copy's stat here, ir-verify's result] -> record.

    The copy is intact when its SHA-256 equals the archive's on the host before the copy; it is
    verified when it is intact and ir-verify re-hashed every file of it successfully."""
    archive, remote, local, verify = item
    before = (remote.get("stat") or {}).get("checksum", "")
    after = (local.get("stat") or {}).get("checksum", "")
    intact = bool(before) and before == after
    name = archive.rsplit("/", 1)[-1]
    return {
        "host_path": archive,
        "path": local_dir + "/" + name,
        "sha256_on_host": before,
        "sha256_here": after,
        "transfer_intact": intact,
        "verified": intact and verify.get("rc") == 0,
        "verify_output": (verify.get("stdout", "") + verify.get("stderr", "")).strip(),
    }


def fleet_summary(hostvars, hosts, address):
    """{"schema": "forensic.fleet/1", "address", "hosts": {name: result}} for every host."""
    out = {}
    for h in hosts:
        result = hostvars[h].get("fleet_result")
        if result is None:
            result = {"reached": False, "error": "no result: the play stopped before it",
                      "found": False, "containers": [], "bundles": []}
        out[h] = result
    return {"schema": "forensic.fleet/1", "address": address, "hosts": out}


class FilterModule:
    def filters(self):
        return {"fleet_bundle": fleet_bundle, "fleet_summary": fleet_summary}
