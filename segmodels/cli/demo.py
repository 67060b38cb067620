"""`segstudio demo DIR [--seed S] [--count N]`: write the M2NIST-style demo project (segmodels.demo)."""
from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from segmodels.demo import DEFAULT_COUNT

    parser = subparsers.add_parser(
        "demo", help="write the demo project (real handwritten digits composed M2NIST-style)",
        description="Write a project of 64x84 grey images holding up to three handwritten digits "
                    "(scikit-learn's digits), with reviewed labels for 11 classes (background, 0..9). "
                    "The same seed writes the same files; seeds of different parity use disjoint digits.")
    parser.add_argument("dir", help="folder to create (must be new or empty)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                        help=f"number of images (default {DEFAULT_COUNT})")
    return parser


def run(args: argparse.Namespace) -> int:
    from segmodels.demo import write_demo_project

    project = write_demo_project(args.dir, seed=args.seed, count=args.count)
    print(f"Wrote {args.count} images with labels for {len(project.classes)} classes to {project.root}.")
    return 0
