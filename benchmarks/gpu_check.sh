#!/usr/bin/env bash
# The CUDA checks, in one short run on a machine with an NVIDIA GPU (about 5 minutes on one H200):
# the model, inference and training tests with the GPU visible (the CUDA-only tests run instead of
# skipping), benchmarks/inference.py and benchmarks/train.py (with and without AMP), and the CLI's
# demo -> train -> predict -> evaluate on the GPU. Needs torch, torchvision, numpy, OpenCV, Pillow,
# scikit-learn and pytest; the repository need not be installed.
#   bash benchmarks/gpu_check.sh [OUTPUT_FOLDER]     (logs and the benchmarks' JSON lines go there)
set -u
cd "$(dirname "$0")/.."
out=${1:-${OUT:-$(mktemp -d)}}
mkdir -p "$out"
work=$(mktemp -d)
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} QT_QPA_PLATFORM=offscreen
run() {  # run NAME SECONDS COMMAND...: log to $out/NAME.log, print its last lines and the wall time
    local name=$1 limit=$2
    shift 2
    echo "== $name: $*"
    local start=$SECONDS
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    echo "   exit $? after $((SECONDS - start)) s"
    tail -n 4 "$out/$name.log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__,
'cuda', torch.version.cuda, torch.cuda.get_device_name())"

run tests 150 python3 -m pytest -q -p no:cacheprovider -rs tests/segmodels/inference tests/segmodels/training \
    tests/segmodels/models
run inference 150 python3 benchmarks/inference.py --device cuda
run train_amp 60 python3 benchmarks/train.py --device cuda
run train_fp32 60 python3 benchmarks/train.py --device cuda --no-amp
run demo 60 python3 -m segmodels demo "$work/demo" --count 400
run cli_train 90 python3 -m segmodels train "$work/demo" --arch m2nist_fcn --device cuda --epochs 8 --out "$work/model.pt"
run cli_predict 60 python3 -m segmodels predict "$work/demo" --model "$work/model.pt" --device cuda
run cli_evaluate 60 python3 -m segmodels evaluate "$work/demo" --model "$work/model.pt" --device cuda --json
grep -h '^{' "$out"/inference.log "$out"/train_*.log > "$out/benchmarks.jsonl"
rm -rf "$work"
