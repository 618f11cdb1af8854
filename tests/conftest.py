import os

import pytest


@pytest.fixture(scope="session")
def torch():
    """PyTorch as the reference implementation.

    Skips when it is not installed, except under CI=true, where a missing oracle
    would silently turn every parity test green, so the test fails instead.
    """
    try:
        import torch as torch_module
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PyTorch is required under CI=true: pip install -e '.[test]'")
        pytest.skip("PyTorch is not installed: pip install -e '.[test]' to run parity tests")
    torch_module.set_num_threads(1)
    return torch_module
