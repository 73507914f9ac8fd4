# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Local images: facts from inspect, lookup, and making sure an image is there (pull policy)."""

from __future__ import annotations

from ansible_collections.kapal.docker.plugins.module_utils._errors import EngineNotFound, KapalError, one_line

PULL_POLICIES = ("missing", "always", "never")


def image_facts(inspect):
    """The facts the image modules return (and a container's image facts), from an inspect answer."""
    if inspect is None:
        return None
    config = inspect.get("Config") or {}
    return dict(
        id=inspect.get("Id"),
        repo_tags=list(inspect.get("RepoTags") or []),
        repo_digests=list(inspect.get("RepoDigests") or []),
        size=inspect.get("Size"),
        created=inspect.get("Created"),
        architecture=inspect.get("Architecture"),
        os=inspect.get("Os"),
        labels=dict(config.get("Labels") or {}),
        exposed_ports=sorted((config.get("ExposedPorts") or {}).keys()),
        config=dict(
            cmd=config.get("Cmd"),
            entrypoint=config.get("Entrypoint"),
            env=list(config.get("Env") or []),
            working_dir=config.get("WorkingDir") or None,
            user=config.get("User") or None,
            volumes=sorted((config.get("Volumes") or {}).keys()),
            healthcheck=config.get("Healthcheck"),
            stop_signal=config.get("StopSignal"),
        ),
    )


def inspect_image(engine, name):
    """The engine's inspect answer for an image name, reference or id; None when there is none."""
    try:
        with engine.call("inspect image %s" % name):
            return engine.api.inspect_image(str(name))
    except EngineNotFound:
        return None


def registry_auth(ref, username=None, password=None):
    """The auth_config the engine wants for a pull or push, or None without credentials."""
    if not username:
        return None
    return dict(username=username, password=password or "", serveraddress=ref.domain)


def pull(engine, ref, auth=None, platform=None):
    """Pull ``ref`` (an ImageRef) and return the new inspect answer. Errors in the stream fail."""
    action = "pull image %s" % ref.pull_reference
    kwargs = dict(stream=True, decode=True, auth_config=auth)
    if platform:
        kwargs["platform"] = platform
    with engine.call(action):
        if ref.digest:
            stream = engine.api.pull(ref.name, tag=ref.digest, **kwargs)
        else:
            stream = engine.api.pull(ref.name, tag=ref.effective_tag, **kwargs)
        for event in stream:
            if "error" in event:
                detail = (event.get("errorDetail") or {}).get("message") or event["error"]
                raise KapalError("%s from %s: %s" % (action, ref.domain, one_line(detail)))
    inspect = inspect_image(engine, ref.pull_reference)
    if inspect is None:
        raise KapalError("%s: the engine reported success but the image is not there" % action)
    return inspect


def ensure_image(engine, ref, policy="missing", check_mode=False, auth=None, platform=None):
    """Make sure ``ref`` is present locally under ``policy``; returns (changed, inspect or None).

    ``missing`` pulls only when absent; ``never`` fails when absent; ``always`` pulls and reports a
    change only when the local image id changed. In check mode nothing is pulled: an absent image
    is predicted as a change and the inspect answer is None.
    """
    if policy not in PULL_POLICIES:
        raise KapalError("pull: expected one of %s, got %r" % (", ".join(PULL_POLICIES), policy))
    before = inspect_image(engine, ref.pull_reference)
    if before is not None and policy != "always":
        return False, before
    if before is None and policy == "never":
        raise KapalError("image %s is not present on Docker Engine at %s and pull is never" % (ref.pull_reference, engine.host))
    if check_mode:
        return before is None, before
    after = pull(engine, ref, auth=auth, platform=platform)
    return before is None or before["Id"] != after["Id"], after
