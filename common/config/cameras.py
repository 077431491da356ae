"""``[cameras."<name>"]`` tables: one camera's own motion and recording settings and masks."""

from __future__ import annotations

from typing import Any

from common.config.fields import ConfigError, _check, settings_of

CAMERA_KEYS = (
    "detector",
    "threshold",
    "min_area",
    "start_frames",
    "end_frames",
    "frame_count",
    "accum_weight",
    "absorb_after",
    "motion_width",
    "analysis_fps",
)  # hub motion settings a [cameras.<name>] table may set for one camera, besides ``masks``
RECORD_KEYS = (
    "retain_days",
    "retain_motion_days",
    "timelapse_fps",
)  # recording settings a camera's table may set, besides ``record``
OBJECT_KEYS = ("objects", "min_score", "min_object_area")  # object settings a camera's table may set


def camera_tables(value: Any, cls: type, where: str) -> dict[str, dict[str, Any]]:
    """Check the ``[cameras.<name>]`` tables: real camera names, known keys, values in range."""
    from common.protocol import ProtocolError, validate_name

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: 'cameras' must be tables like [cameras.garage], not a plain value", "cameras")
    fields = {f.name: f for f in settings_of(cls)}
    tables: dict[str, dict[str, Any]] = {}
    for name, table in value.items():
        try:
            validate_name(name)
        except ProtocolError as exc:
            raise ConfigError(f"{where}: [cameras.{name!r}]: {exc.reason}", "cameras") from None
        if not isinstance(table, dict):
            raise ConfigError(f'{where}: cameras.{name} must be a table: [cameras."{name}"]', "cameras")
        checked: dict[str, Any] = {}
        for key, item in table.items():
            if key == "masks":
                checked[key] = parse_masks(item, f'{where}: [cameras."{name}"] masks')
            elif key == "record":
                if not isinstance(item, bool):
                    raise ConfigError(f'{where}: [cameras."{name}"] record must be true or false', key)
                checked[key] = item
            elif key in CAMERA_KEYS or key in RECORD_KEYS or key in OBJECT_KEYS:
                try:
                    checked[key] = _check(fields[key], item)
                except ConfigError as exc:
                    raise ConfigError(f'{where}: [cameras."{name}"] {exc}', key) from None
            else:
                raise ConfigError(
                    f'{where}: [cameras."{name}"]: unknown setting {key!r}; a camera\'s table may set '
                    f"{', '.join((*CAMERA_KEYS, 'masks', 'record', *RECORD_KEYS, *OBJECT_KEYS))}",
                    key,
                )
        tables[name] = checked
    return tables


MAX_MASKS, MAX_CORNERS = 32, 64
Polygon = tuple[tuple[float, float], ...]


def parse_masks(value: Any, where: str) -> tuple[Polygon, ...]:
    """Mask polygons from TOML or JSON: a list of polygons, each a list of 3 to 64 [x, y]
    corners in 0-1 coordinates of the frame ([0, 0] top left, [1, 1] bottom right)."""
    how = (
        "give a list of polygons, each a list of [x, y] corners between 0 and 1, like [[[0, 0], [0.5, 0], [0.5, 0.3]]]"
    )
    if not isinstance(value, list) or len(value) > MAX_MASKS:
        raise ConfigError(f"{where}: expected at most {MAX_MASKS} polygons; {how}", "masks")
    polygons = []
    for i, polygon in enumerate(value):
        if not isinstance(polygon, list) or not 3 <= len(polygon) <= MAX_CORNERS:
            raise ConfigError(f"{where}: polygon {i + 1} needs 3 to {MAX_CORNERS} corners; {how}", "masks")
        corners = []
        for corner in polygon:
            if (
                not isinstance(corner, list)
                or len(corner) != 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) and 0 <= c <= 1 for c in corner)
            ):
                raise ConfigError(
                    f"{where}: polygon {i + 1} has a corner {corner!r} that is not [x, y] in 0-1", "masks"
                )
            corners.append((float(corner[0]), float(corner[1])))
        polygons.append(tuple(corners))
    return tuple(polygons)
