"""hf backend settings for GPUs: dtype/attention resolution, recorded settings, batch_size=auto with OOM back-off.

The back-off is tested against a real out-of-memory: a subprocess caps its own
address space (RLIMIT_AS) just above what the loaded tiny model needs, so
torch's CPU allocator really fails on the large batches.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_runner import rrbench
from roboreward_bench.errors import ModelError
from roboreward_bench.models.base import ModelContext
from roboreward_bench.models.hf_batching import BatchSizer, is_out_of_memory
from roboreward_bench.models.registry import build_model

pytest_plugins = ["conftest_models"]
TESTS = Path(__file__).resolve().parent

_OOM_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from tiny_models import make_request, tiny_model_dir, write_test_video
    from roboreward_bench.models.base import ModelContext
    from roboreward_bench.models.registry import build_model

    out = Path(sys.argv[2])
    videos = [write_test_video(out / f"v{i}.mp4", num_frames=32, seed=i) for i in range(4)]
    requests = [make_request(f"item-{i}", videos[i % 4], f"open drawer {i}", num_frames=32) for i in range(8)]
    args = {"batch_size": "auto", "max_batch_size": 8, "max_new_tokens": 4, "attn_implementation": "eager"}
    model = build_model(f"hf:{tiny_model_dir('qwen2.5-vl')}", args, ModelContext())[1]
    model.sizer.auto, model.batch_size = False, 1
    one_by_one = model.generate(requests)            # reference answers, and every lazy allocation made
    model.sizer.auto, model.batch_size = True, 8
    size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
    resource.setrlimit(resource.RLIMIT_AS, (size + (60 << 20), resource.RLIM_INFINITY))
    batched = model.generate(requests)
    print(json.dumps({"one_by_one": [r.raw_text for r in one_by_one], "batched": [r.raw_text for r in batched],
                      "errors": [r.error for r in batched], "batching": model.describe()["batching"]}))
""")


def test_auto_batch_backs_off_on_a_real_out_of_memory(tiny_qwen25_dir, tmp_path):
    process = subprocess.run([sys.executable, "-c", _OOM_SCRIPT, str(TESTS), str(tmp_path)], capture_output=True,
                             text=True, timeout=600)
    assert process.returncode == 0, process.stderr[-3000:]
    result = json.loads(process.stdout.strip().splitlines()[-1])
    batching = result["batching"]
    assert batching["out_of_memory_count"] >= 1, batching
    first = batching["out_of_memory_backoffs"][0]
    assert first["from"] == 8 and "allocate" in first["error"], first  # torch's allocator, not a stand-in
    assert 1 <= batching["largest_batch_that_fit"] < 8
    assert result["errors"] == [None] * 8
    assert result["batched"] == result["one_by_one"]  # nothing lost or mixed up in the retried batches


@pytest.mark.parametrize("capacity", [1, 2, 3, 5, 7, 8, 13, 31, 32, 40])
def test_batch_sizer_converges_on_the_largest_batch_that_fits(capacity):
    sizer, tried = BatchSizer(32, auto=True), []
    for _ in range(20):  # 20 batches of a long run
        size = sizer.size
        tried.append(size)
        if size > capacity:
            assert sizer.out_of_memory(size, RuntimeError("CUDA out of memory")) == (size > 1)
        else:
            sizer.succeeded(size)
    assert tried[-1] == min(capacity, 32), tried
    assert sum(size > capacity for size in tried) <= 6  # a binary search, not a crawl


def test_batch_sizer_forgets_a_fit_when_inputs_grow_and_gives_up_at_one():
    sizer = BatchSizer(8, auto=True)
    sizer.succeeded(8)
    assert sizer.out_of_memory(8, MemoryError()) and sizer.size == 4  # 8 fitted before, not now
    assert sizer.out_of_memory(4, MemoryError()) and sizer.size == 2
    sizer.succeeded(2)
    assert sizer.size == 3  # probes between the fit (2) and the failure (4)
    sizer.succeeded(1)  # a short last batch says nothing
    assert sizer.size == 3
    assert not BatchSizer(1, auto=True).out_of_memory(1, MemoryError())
    assert not BatchSizer(8, auto=False).out_of_memory(8, MemoryError())


def test_what_counts_as_out_of_memory():
    import torch

    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 7 bytes"))
    assert not is_out_of_memory(RuntimeError("shape '[2, 3]' is invalid for input of size 5"))
    assert not is_out_of_memory(ValueError("out of memory"))  # only allocator errors, not any text


def test_settings_actually_used_are_recorded(tiny_qwen25_dir, sample_requests):
    model = build_model(f"hf:{tiny_qwen25_dir}", {"max_new_tokens": 4}, ModelContext())[1]
    model.generate(sample_requests[:2])
    facts = model.describe()
    assert facts["settings"]["dtype"] == "auto" and facts["dtype_resolved"] == "float32"  # auto on CPU
    assert facts["dtype"] == "float32" and facts["device"] == "cpu"
    assert facts["attn_implementation"] == "sdpa"  # transformers' choice, read back from the model
    assert facts["device_map"] is None and facts["batching"] == {"batch_size": 1}
    eager = build_model(f"hf:{tiny_qwen25_dir}", {"max_new_tokens": 4, "attn_implementation": "eager",
                                                  "dtype": "bfloat16"}, ModelContext())[1]
    eager.generate(sample_requests[:1])
    assert eager.describe()["attn_implementation"] == "eager" and eager.describe()["dtype"] == "bfloat16"
    assert eager.fingerprint != model.fingerprint  # dtype changes answers
    explicit = build_model(f"hf:{tiny_qwen25_dir}", {"max_new_tokens": 4, "dtype": "float32"}, ModelContext())[1]
    assert explicit.fingerprint == model.fingerprint  # auto resolved to float32 here: the same model


@pytest.mark.parametrize("args, needle", [
    ({"attn_implementation": "flash_attention_2"}, "needs the flash-attn package"),
    ({"attn_implementation": "flash"}, "'attn_implementation' must be one of auto, sdpa"),
    ({"batch_size": "max"}, "'batch_size'"),
    ({"batch_size": 0}, "'batch_size' must be positive"),
    ({"dtype": "fp16"}, "'dtype' must be one of"),
])
def test_bad_gpu_settings_are_one_line(tiny_qwen25_dir, sample_requests, args, needle):
    if "flash_attn" in sys.modules or __import__("importlib").util.find_spec("flash_attn"):
        pytest.skip("flash-attn is installed here")
    with pytest.raises(ModelError, match=needle) as error:
        build_model(f"hf:{tiny_qwen25_dir}", args, ModelContext())[1].generate(sample_requests[:1])
    assert "\n" not in str(error.value)


def test_eval_with_batch_size_auto_records_the_batching(tiny_qwen25_dir, tmp_path):
    out = tmp_path / "run"
    process = rrbench("eval", "--task", "rrb-sim-dev", "--model", f"hf:{tiny_qwen25_dir}", "--model-args",
                      "batch_size=auto,max_batch_size=4,max_new_tokens=4", "--limit", "6", "--output-dir", str(out),
                      "--no-cache", "--no-progress", "--allow-errors")
    assert process.returncode == 0, process.stderr
    details = json.loads((out / "results.json").read_text())["model"]["details"]
    assert details["settings"]["batch_size"] == "auto"
    assert details["batching"]["largest_batch_that_fit"] == 4 and details["batching"]["out_of_memory_count"] == 0
