"""``darkroom engine OP INPUT [OUTPUT]`` and ``darkroom models fetch|list``: the local engine alone.

These commands need no database, queue or settings: they read a photo from
a file, run one engine operation on it and write the result (or print JSON
for ``critique`` and ``moderate``), so an operator can try the free tier on
a laptop, and a benchmark can time it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

OPERATIONS = ("enhance", "restore-faces", "upscale", "critique", "scene", "animate", "moderate")


def _store(args: argparse.Namespace) -> Any:
    from darkroom import paths
    from darkroom.engine.models import ModelStore

    store = ModelStore(paths.models_dir(), threads=args.threads)
    missing = store.missing()
    if missing and args.op != "enhance":
        sys.exit(f"darkroom: model files missing from {store.root}: {', '.join(missing)}.\nRun: darkroom models fetch")
    return store


def _read(path: Path) -> np.ndarray:
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            upright = ImageOps.exif_transpose(opened)
            return np.asarray(upright.convert("RGB"))
    except FileNotFoundError:
        sys.exit(f"darkroom: no such file: {path}")
    except (UnidentifiedImageError, OSError) as exc:
        sys.exit(f"darkroom: {path} is not a photo this command can read ({exc})")


def _write(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    picture = Image.fromarray(image)
    if path.suffix.lower() in {".jpg", ".jpeg"}:
        picture.save(path, quality=92, subsampling=0)
    else:
        picture.save(path)
    print(f"wrote {path} ({image.shape[1]}×{image.shape[0]})", file=sys.stderr)


def _progress(fraction: float) -> None:
    print(f"\r{round(fraction * 100):3d}%", end="" if fraction < 1 else "\n", file=sys.stderr, flush=True)


def _need_output(args: argparse.Namespace) -> Path:
    if args.output is None:
        sys.exit(f"darkroom: engine {args.op} needs an OUTPUT file")
    return Path(args.output)


def _run(args: argparse.Namespace) -> dict[str, Any] | None:
    from dataclasses import asdict, is_dataclass

    def as_dict(report: Any) -> dict[str, Any]:
        if hasattr(report, "to_dict"):
            return dict(report.to_dict())
        return asdict(report) if is_dataclass(report) else {"value": report}  # type: ignore[arg-type]

    image = _read(Path(args.input))
    store = _store(args)
    if args.op == "enhance":
        from darkroom.engine.enhance import enhance

        enhanced, enhance_report = enhance(image, strength=args.strength)
        _write(enhanced, _need_output(args))
        return as_dict(enhance_report)
    if args.op == "restore-faces":
        from darkroom.engine.restore import restore_faces

        restored, restore_report = restore_faces(image, store, progress=_progress)
        _write(restored, _need_output(args))
        return as_dict(restore_report)
    if args.op == "upscale":
        from darkroom.engine.superres import upscale

        output = _need_output(args)
        _write(upscale(image, store, scale=args.scale, progress=_progress), output)
        return None
    if args.op == "critique":
        from darkroom.engine.critique import critique, critique_overlay

        result = critique(image, store, progress=_progress)
        if args.output:
            _write(critique_overlay(image, result), Path(args.output))
        return as_dict(result)
    if args.op == "scene":
        return _scene(args, image, store, as_dict)
    if args.op == "animate":
        return _animate(args, image, store, as_dict)
    from darkroom.engine.moderate import moderate

    return moderate(image, store, threshold=args.threshold).to_dict()


def _scene(args: argparse.Namespace, image: np.ndarray, store: Any, as_dict: Any) -> dict[str, Any]:
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.scene import compose_scene
    from darkroom.engine.segment import person_mask
    from darkroom.engine.sizing import SCENE_WORKING_SIDE, shrink_to

    image = shrink_to(image, SCENE_WORKING_SIDE)
    if not detect_faces(image, store, mesh=False):
        sys.exit("darkroom: no person found in the photo; scene needs a selfie or a photo of someone")
    portrait, report = compose_scene(image, person_mask(image, store), preset=args.preset, look=args.look)
    _write(portrait, _need_output(args))
    return dict(as_dict(report))


def _animate(args: argparse.Namespace, image: np.ndarray, store: Any, as_dict: Any) -> dict[str, Any]:
    from darkroom.engine.animate import animate
    from darkroom.engine.faces import detect_faces
    from darkroom.engine.segment import person_mask
    from darkroom.engine.sizing import ANIMATE_WORKING_SIDE, shrink_to

    output = _need_output(args)
    image = shrink_to(image, ANIMATE_WORKING_SIDE)
    faces = detect_faces(image, store, mesh=False)
    mask = person_mask(image, store) if args.style == "parallax" else None
    report = animate(
        image,
        output,
        style=args.style,
        focus=faces[0].centre if faces else None,
        person_mask=mask,
        seconds=args.seconds,
        progress=_progress,
    )
    print(f"wrote {output}", file=sys.stderr)
    return dict(as_dict(report))


def cmd_engine(args: argparse.Namespace) -> int:
    import cv2

    from darkroom.engine.animate import STYLES
    from darkroom.engine.backdrops import PRESETS
    from darkroom.engine.looks import LOOKS

    cv2.setNumThreads(args.threads)
    if args.op == "scene" and args.preset not in PRESETS:
        sys.exit(f"darkroom: choose a --preset: {', '.join(sorted(PRESETS))}")
    if args.op == "scene" and args.look is not None and args.look not in LOOKS:
        sys.exit(f"darkroom: choose a --look: {', '.join(sorted(LOOKS))}")
    if args.op == "animate" and args.style not in STYLES:
        sys.exit(f"darkroom: choose a --style: {', '.join(STYLES)}")
    try:
        report = _run(args)
    except ValueError as refused:
        sys.exit(f"darkroom: {refused}")
    if report is not None:
        print(json.dumps(report, indent=2, default=str))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from darkroom import paths
    from darkroom.engine.fetch import FetchError, fetch
    from darkroom.engine.models import MODELS, ModelStore

    root = paths.models_dir()
    if args.action == "fetch":
        try:
            fetched = fetch(root)
        except FetchError as exc:
            sys.exit(f"darkroom: {exc}")
        print(f"models in {root}: {len(MODELS)} ready" + (f", {len(fetched)} fetched now" if fetched else ""))
        return 0
    missing = set(ModelStore(root).missing(verify=True))
    for name, model in MODELS.items():
        state = "missing" if name in missing else "ok"
        print(f"{state:8} {name:32} {model.licence:48} {model.purpose}")
    if missing:
        print(f"\n{len(missing)} missing or damaged in {root}. Run: darkroom models fetch")
        return 1
    return 0


def add_commands(sub: Any) -> None:
    """Register ``engine`` and ``models`` on the ``darkroom`` command's subparsers."""
    engine = sub.add_parser("engine", help="run one local-engine operation on a photo file (no server needed)")
    engine.add_argument("op", choices=OPERATIONS)
    engine.add_argument("input", help="a photo (JPEG, PNG, WebP, …)")
    engine.add_argument("output", nargs="?", help="where to write the result (critique: the annotated copy)")
    engine.add_argument("--threads", type=int, default=2, help="CPU threads (default 2)")
    engine.add_argument("--strength", type=float, default=1.0, help="enhance: 0 (none) to 1 (full)")
    engine.add_argument(
        "--scale", type=int, choices=(2, 4), default=2, help="upscale: 2 (seconds) or 4 (more detail, minutes)"
    )
    engine.add_argument("--preset", default="studio-grey", help="scene: the backdrop")
    engine.add_argument("--look", default=None, help="scene: a look (film, black-and-white, …)")
    engine.add_argument("--style", default="push-in", help="animate: push-in, pan or parallax")
    engine.add_argument("--seconds", type=float, default=5.0, help="animate: clip length")
    engine.add_argument("--threshold", type=float, default=0.8, help="moderate: refuse at or above this score")
    engine.set_defaults(func=cmd_engine)
    models = sub.add_parser("models", help="the local engine's model files: `models fetch`, `models list`")
    models.add_argument("action", choices=("fetch", "list"))
    models.set_defaults(func=cmd_models)
