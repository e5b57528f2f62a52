"""Each use of Hydra beyond its documented API (litgan.hydra_internals) against the installed
Hydra: a Hydra that changes one fails here, not in a user's error message."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hydra import compose as hydra_compose
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.utils import JobReturn, JobStatus
from hydra.errors import HydraException, InstantiationException, OverrideParseException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import ValidationError

from litgan import hydra_internals
from litgan.config.compose import CONFIG_DIR


@dataclass
class Typed:
    number: int = 0
    word: str = "abc"


def refusal(*overrides: str) -> HydraException:
    """The exception Hydra raises composing conf/train.yaml with `overrides`."""
    with (
        hydra_internals.config_dir_initialized(CONFIG_DIR),
        pytest.raises(HydraException) as raised,
    ):
        hydra_compose("train", overrides=list(overrides))
    return raised.value


def test_config_dir_initialized_sets_up_compose_and_reuses_a_caller_s_set_up():
    GlobalHydra.instance().clear()
    with hydra_internals.config_dir_initialized(CONFIG_DIR):
        hydra = GlobalHydra.instance()
        assert hydra.is_initialized()
        with hydra_internals.config_dir_initialized(CONFIG_DIR):
            assert GlobalHydra.instance() is hydra
        assert hydra_compose("train").seed == 0
    assert not GlobalHydra.instance().is_initialized()


def test_set_runtime_makes_hydra_config_resolve(tmp_path):
    with hydra_internals.config_dir_initialized(CONFIG_DIR):
        cfg = hydra_compose("train", [f"hydra.run.dir={tmp_path}"], return_hydra_config=True)
    hydra_internals.set_runtime(cfg)
    assert HydraConfig.initialized() and HydraConfig.get().run.dir == str(tmp_path)
    assert OmegaConf.create({"dir": "${hydra:run.dir}"}).dir == str(tmp_path)


def test_basic_launcher_is_hydra_s_default_launcher():
    from hydra.plugins.launcher import Launcher

    launcher = hydra_internals.basic_launcher()
    assert isinstance(launcher, Launcher) and type(launcher).__name__ == "BasicLauncher"
    assert callable(launcher.setup) and callable(launcher.launch)


def test_merged_value_is_the_value_of_the_override_hydra_could_not_merge():
    assert hydra_internals.merged_value(refusal("seed=abc")) == "abc"


def test_dereferenced_is_omegaconf_s_reason_for_an_interpolated_value():
    cfg = OmegaConf.structured(Typed)
    cfg.number = "${word}"
    with pytest.raises(ValidationError) as raised:
        _ = cfg.number  # reading it is what refuses it
    reason = hydra_internals.dereferenced(raised.value)
    assert "While dereferencing" not in reason and "abc" in reason


def test_unreadable_override_gives_the_reason_and_where_to_read_more():
    err = refusal("seed=[1,")
    assert isinstance(err, OverrideParseException)
    reason, where = hydra_internals.unreadable_override(err)
    assert reason and "\n" not in reason and where.startswith("http")


def test_is_ambiguous_tells_a_sweep_list_without_minus_m():
    assert hydra_internals.is_ambiguous(refusal("seed=1,2"))
    assert not hydra_internals.is_ambiguous(refusal("seed=abc"))


def test_missing_option_names_the_group_and_lists_its_options():
    head, available, options = hydra_internals.missing_option(refusal("loss=minmax"))
    assert head.startswith("Could not find 'loss/minmax'")
    assert available == "Available options in 'loss'"
    assert {"minimax", "non_saturating", "hinge"} <= set(options)
    assert hydra_internals.missing_option(refusal("seed=abc")) is None


def test_instantiation_site_names_the_class_and_the_key():
    cfg = OmegaConf.create({"net": {"_target_": "litgan.networks.MLPGenerator", "nz": "x"}})
    with pytest.raises(InstantiationException) as raised:
        instantiate(cfg.net)
    target, key = hydra_internals.instantiation_site(raised.value)
    assert target == "litgan.networks.MLPGenerator" or target.endswith("MLPGenerator")
    assert key == "net"


def test_unknown_flags_are_those_hydras_parser_does_not_know():
    hydra_flags = ["-m", "--cfg", "job", "--config-dir", "d", "--info", "--resolve", "-cn", "x"]
    assert hydra_internals.unknown_flags([*hydra_flags, "seed=1", "model.lr=-1"]) == []
    assert hydra_internals.unknown_flags(["--loss", "minimax", "-m", "--x=1"]) == [
        "--loss",
        "--x=1",
    ]


def test_composition_errors_reach_the_handler_before_hydra_reports_them(monkeypatch, tmp_path):
    import sys

    import hydra
    from hydra._internal.hydra import Hydra

    (tmp_path / "app.yaml").write_text("number: 1\n")
    ran, refused = [], []

    @hydra.main(version_base="1.3", config_path=str(tmp_path), config_name="app")
    def app(cfg) -> None:
        ran.append(cfg.number)

    def refuse(err: HydraException) -> None:
        refused.append(err)
        raise SystemExit(2)  # as litgan's refusal: Hydra's reports catch Exception, not this

    original = Hydra.compose_config
    hydra_dir = [f"hydra.run.dir={tmp_path / 'run'}", "hydra.output_subdir=null"]
    for overrides in (["number=2"], ["nummber=2"]):
        monkeypatch.setattr(sys, "argv", ["app.py", *overrides, *hydra_dir])
        with hydra_internals.composition_errors_to(refuse), pytest.raises(SystemExit) as ended:
            app()
            raise SystemExit(0)
        assert Hydra.compose_config is original
        GlobalHydra.instance().clear()
    assert ran == [2] and ended.value.code == 2
    # The first composition refused is the mode probe's, which Hydra itself would swallow.
    assert len(refused) == 1 and "nummber" in str(refused[0])


def test_job_error_reads_a_failed_jobs_error_without_raising_it(capsys):
    error = ValueError("seed must be an integer")
    failed = JobReturn(overrides=["seed=-1"], status=JobStatus.FAILED)
    failed.return_value = error
    assert hydra_internals.job_error(failed) is error
    assert capsys.readouterr().err == ""
    # What it saves from: the public getter raises the error, after a line on stderr.
    with pytest.raises(ValueError, match="seed must be an integer"):
        failed.return_value  # noqa: B018
    assert "Error executing job" in capsys.readouterr().err
