"""A changed signature is named: the feedback says which signature the grader calls."""

import types

from autograder import runner
from autograder.worker import signatures
from tests.fixtures import in_process, mutants


def test_drift_finds_changed_parameters_and_ignores_kept_ones():
    def encode(self, x, y):
        return x

    def decode(self, z, training=None):
        return z

    module = types.SimpleNamespace(VAE=type("VAE", (), {"encode": encode, "decode": decode}),
                                   sample=lambda n, seed=None: n)
    impl = types.SimpleNamespace(vae=module, directory=".")
    expected = {"vae.VAE.encode": "self, x", "vae.VAE.decode": "self, z, training=False",
                "vae.sample": "n, seed=None", "vae.missing": "x"}
    assert signatures.drift(impl, expected) == {"VAE.encode": ("self, x", "self, x, y")}


def test_hint_names_the_stencils_signature_only_for_the_function_in_the_error():
    drifted = {"VAE.encode": ("self, x", "self, x, y")}
    message = "TypeError: VAE.encode() missing 1 required positional argument: 'y'"
    assert signatures.hint(message, drifted) == (
        "The grader calls VAE.encode(self, x) as the stencil defines it; yours is "
        "VAE.encode(self, x, y): keep the stencil's signature.")
    assert signatures.hint("TypeError: decode() got an unexpected keyword", drifted) == ""


def test_the_solution_keeps_every_signature_of_the_stencil():
    from assignment.implementation import load_implementation

    assert signatures.drift(load_implementation()) == {}


def test_a_sampler_without_its_seed_argument_is_told_which_signature_is_called(tmp_path):
    directory = mutants.build("vae_sampler_ignores_seed", tmp_path / "submission")
    source = (directory / "vae.py").read_text()
    source = source.replace("def __init__(self, seed=None, **kwargs):", "def __init__(self, **kwargs):")
    source = source.replace("        self.seed = seed\n", "        self.seed = None\n", 1)
    (directory / "vae.py").write_text(source.replace("keras.random.SeedGenerator()",
                                                     "keras.random.SeedGenerator(None)"))
    report = in_process.grade(directory, ["vae"], include_hidden=False,
                              skip=("vae.loss_decreases", "vae.train_step"))
    sampling = {item.check.id: item for item in report.checks}["vae.sampling_statistics"]
    assert sampling.status == runner.FAILED
    assert "The grader calls Sampling.__init__(self, seed=None, **kwargs)" in sampling.feedback
