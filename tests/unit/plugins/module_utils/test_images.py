"""_images: filters, import changes and hashes (over the deterministic directory tar), removal plans, tagging."""

import contextlib
import io
import os
import tarfile

import pytest

from ansible_collections.kapal.docker.plugins.module_utils._archive import directory_tar
from ansible_collections.kapal.docker.plugins.module_utils._errors import KapalError
from ansible_collections.kapal.docker.plugins.module_utils._images import (
    check_changes,
    engine_filters,
    has_tag,
    image_key,
    import_hash,
    import_ref,
    plan_removal,
    tag_task,
)
from ansible_collections.kapal.docker.plugins.module_utils._reference import ImageRef

ID = "sha256:" + "ab" * 32


def test_engine_filters_normalise_values():
    assert engine_filters({"reference": "kapal/*", "dangling": True, "label": ["a=1", "b"]}) == {
        "reference": ["kapal/*"], "dangling": ["true"], "label": ["a=1", "b"],
    }
    assert engine_filters(None) == {}
    assert engine_filters({"dangling": "False"}) == {"dangling": ["false"]}


@pytest.mark.parametrize("filters, message", [
    ({"colour": "red"}, "filters: unsupported filter 'colour' (expected one of reference, label, dangling, before, since)"),
    ({"dangling": "maybe"}, "filters: dangling expects true or false, got 'maybe'"),
    ({"label": {"a": 1}}, "filters: label expects a string or a list of strings, got {'a': 1}"),
    ({"before": ""}, "filters: before expects a string or a list of strings, got ''"),
])
def test_engine_filters_refuse(filters, message):
    with pytest.raises(KapalError) as info:
        engine_filters(filters)
    assert str(info.value) == message


def test_image_key():
    assert image_key(ID) == ID
    assert image_key("abababababab") == "abababababab"
    assert image_key("kapal/app") == "kapal/app"
    with pytest.raises(KapalError, match="^name: invalid image reference 'A/b'"):
        image_key("A/b")


def test_import_ref():
    assert str(import_ref("app")) == "app:latest"
    assert str(import_ref("reg:5000/app:1")) == "reg:5000/app:1"
    with pytest.raises(KapalError, match="^name: an import cannot produce a digest reference"):
        import_ref("app@sha256:" + "a" * 64)


def test_check_changes():
    assert check_changes(["cmd  [\"sh\"]", "EXPOSE 80\n"]) == ['cmd ["sh"]', "EXPOSE 80"]
    assert check_changes(None) == []
    for bad in ("RUN x", "CMD", "", "ADD a b"):
        with pytest.raises(KapalError, match="^changes: unsupported instruction"):
            check_changes([bad])


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    (root / "b" / "c").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"x" * 1000)
    (root / "b" / "c" / "big").write_bytes(os.urandom(3 * 512 + 7))
    os.symlink("a.txt", root / "link")
    os.link(root / "a.txt", root / "b" / "hard")
    if os.geteuid() == 0:
        os.chown(root / "a.txt", 1234, 5678)
    return root


def members(root):
    data = b"".join(directory_tar(str(root)))
    assert len(data) % 512 == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return data, [(m.name, m.type, m.mtime, m.uname, m.gname, m.uid, m.linkname) for m in archive.getmembers()], archive


def test_directory_tar_is_deterministic_and_readable(tree):
    data, listing = members(tree)[:2]
    names = [m[0] for m in listing]
    assert names == ["a.txt", "b", "link", "b/c", "b/hard", "b/c/big"]
    assert all(m[2] == 0 and m[3] == "" and m[4] == "" for m in listing)
    by_name = {m[0]: m for m in listing}
    assert by_name["link"][1] == tarfile.SYMTYPE and by_name["link"][6] == "a.txt"
    assert by_name["b/hard"][1] == tarfile.LNKTYPE and by_name["b/hard"][6] == "a.txt"
    if os.geteuid() == 0:
        assert by_name["a.txt"][5] == 1234
    os.utime(tree / "b" / "c" / "big", (1, 1))
    assert members(tree)[0] == data, "modification times must not matter"
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        assert archive.extractfile("b/c/big").read() == (tree / "b" / "c" / "big").read_bytes()


def test_import_hash_follows_content_and_changes(tree):
    first = import_hash(str(tree), [])
    assert first == import_hash(str(tree), []) and first.startswith("sha256:")
    assert import_hash(str(tree), ["EXPOSE 80"]) != first
    (tree / "a.txt").write_bytes(b"y" * 1000)
    assert import_hash(str(tree), []) != first


class FakeEngine:
    """The engine boundary: ``call``, ``inspect``, and an ``api`` that lists containers and tags.

    ``images`` maps each reference (and id) the engine knows to its inspect answer.
    """

    host = "unix:///fake.sock"

    def __init__(self, image=None, containers=(), images=None):
        self.images = dict(images or {})
        if image is not None:
            self.images.setdefault("*", image)
        self.listed = list(containers)
        self.tagged = []
        self.api = self

    @contextlib.contextmanager
    def call(self, action):
        yield

    def inspect(self, kind, name):
        assert kind == "image"
        return self.images.get(name, self.images.get("*"))

    def containers(self, all=False):
        return self.listed

    def tag(self, image_id, repository, tag, force=False):
        self.tagged.append("%s:%s" % (repository, tag))
        self.images["%s:%s" % (repository, tag)] = next(i for i in self.images.values() if i["Id"] == image_id)


def engine_with(tags, containers=()):
    return FakeEngine(dict(Id=ID, RepoTags=tags), containers)


def test_plan_absent_image():
    assert plan_removal(FakeEngine(), "app:1") is None


def test_plan_tag_shared_with_others_untags_only():
    plan = plan_removal(engine_with(["app:1", "app:2"], [dict(Id="c", ImageID=ID, Names=["/web"], State="running")]), "app:1")
    assert (plan["untagged"], plan["deleted"]) == (["app:1"], [])


def test_plan_single_tag_deletes():
    plan = plan_removal(engine_with(["app:latest"]), "app")
    assert (plan["untagged"], plan["deleted"]) == (["app:latest"], [ID])


def test_plan_container_user_refused_then_forced():
    engine = engine_with(["app:1"], [dict(Id="c" * 64, ImageID=ID, Names=["/web"], State="exited")])
    with pytest.raises(KapalError) as info:
        plan_removal(engine, "app:1")
    assert str(info.value) == "name: image 'app:1' (%s) is used by container 'web'; remove the container first or set force: true" % ID[7:19]
    assert plan_removal(engine, "app:1", force=True)["deleted"] == [ID]


def test_plan_running_user_with_force():
    engine = engine_with(["app:1"], [dict(Id="c" * 64, ImageID=ID, Names=["/web"], State="running")])
    plan = plan_removal(engine, "app:1", force=True)
    assert (plan["untagged"], plan["deleted"]) == (["app:1"], [])
    with pytest.raises(KapalError, match="which even force cannot remove"):
        plan_removal(engine, ID, force=True)


def test_plan_by_id_with_several_tags():
    engine = engine_with(["app:1", "app:2"])
    with pytest.raises(KapalError, match=r"^name: image '.*' is tagged app:1, app:2; remove the tags by name or set force: true$"):
        plan_removal(engine, ID)
    plan = plan_removal(engine, ID, force=True)
    assert (plan["untagged"], plan["deleted"]) == (["app:1", "app:2"], [ID])


@pytest.mark.parametrize("reference, tags, expected", [
    ("app", ["app:latest"], True),
    ("docker.io/library/app:1", ["app:1"], True),
    ("index.docker.io/team/app:1", ["team/app:1"], True),
    ("127.0.0.1:5000/team/app:2", ["127.0.0.1:5000/team/app:2"], True),
    ("127.0.0.1:5000/team/app:2", ["team/app:2"], False),
])
def test_has_tag_as_the_engine_lists_it(reference, tags, expected):
    assert has_tag(dict(Id=ID, RepoTags=tags), ImageRef.parse(reference)) is expected


SOURCE = dict(Id="sha256:" + "5" * 64, RepoTags=["app:build"])
OTHER = dict(Id="sha256:" + "0" * 64, RepoTags=["app:stable"])


def tag_params(repository, existing_images="overwrite", **kw):
    return dict(dict(name="app:build", tag=None, repository=repository, existing_images=existing_images), **kw)


@pytest.mark.parametrize("check_mode", [True, False])
def test_tag_adds_and_moves_but_leaves_what_already_names_the_image(check_mode):
    engine = FakeEngine(images={"app:build": SOURCE, SOURCE["Id"]: SOURCE, "app:stable": OTHER, "app:same": SOURCE})
    result = tag_task(engine, tag_params(["app:1.0", "app:stable", "app:same", "app:1.0"]), check_mode)
    assert result["changed"] is True
    assert result["tagged_images"] == ["app:1.0", "app:stable"]
    assert result["diff"] == dict(before={"app:1.0": None, "app:stable": OTHER["Id"], "app:same": SOURCE["Id"]},
                                  after={"app:1.0": SOURCE["Id"], "app:stable": SOURCE["Id"], "app:same": SOURCE["Id"]})
    assert engine.tagged == ([] if check_mode else ["app:1.0", "app:stable"])


def test_tag_keep_leaves_a_reference_on_another_image():
    engine = FakeEngine(images={"app:build": SOURCE, SOURCE["Id"]: SOURCE, "app:stable": OTHER})
    result = tag_task(engine, tag_params(["app:stable"], "keep"), False)
    assert (result["changed"], result["tagged_images"], engine.tagged) == (False, [], [])
    assert result["diff"]["before"] == result["diff"]["after"] == {"app:stable": OTHER["Id"]}


def test_tag_option_names_the_source_and_the_targets_without_a_tag():
    engine = FakeEngine(images={"app:1.0": SOURCE, SOURCE["Id"]: SOURCE})
    result = tag_task(engine, tag_params(["reg:5000/app", "reg:5000/app:x"], name="app", tag="1.0"), False)
    assert result["tagged_images"] == engine.tagged == ["reg:5000/app:1.0", "reg:5000/app:x"]


@pytest.mark.parametrize("params, message", [
    (tag_params(["app:x"], name="app:gone"), "name: no such image 'app:gone' on Docker Engine at unix:///fake.sock"),
    (tag_params(["app:x"], name="app:1", tag="2"), "tag: '2' conflicts with the tag in name 'app:1'"),
    (tag_params([]), "repository: expected at least one reference to point at the image, got []"),
    (tag_params(["app@" + ID]), "repository: 'app@%s' names a digest; a tag is needed" % ID),
    (tag_params([ID]), "repository: %r is an image id; a name is needed" % ID),
    (tag_params(["Bad/Name"]), "repository: invalid image reference 'Bad/Name' (repository names must be lower-case)"),
])
def test_tag_refuses_in_one_line(params, message):
    engine = FakeEngine(images={"app:build": SOURCE})
    with pytest.raises(KapalError) as info:
        tag_task(engine, params, False)
    assert str(info.value) == message
