"""A Camunda Cockpit-style heatmap of a process, drawn from the diagram's own layout (BPMN DI).

``heatmap_svg`` redraws the process exactly where the process owner laid it out in Camunda Modeler:
pool and lanes, activities, events, gateways, sequence flows and their labels, all from the
``bpmndi:BPMNPlane`` of the file that defines the process. Over the drawing go, per element id:

* a heat blob behind each flow node, from transparent to red by its share of the largest number of
  completions in the period (square-root scale, so one busy loop does not wash out the rest);
* a blue badge (top left) with the number of cases waiting there now;
* a grey badge (bottom right) with the number completed in the period.

The result is a standalone SVG string: no scripts, no external resources (fonts fall back to the
viewer's sans-serif), every text escaped. Each flow node is one ``<g data-element="<id>">`` holding its
shape, its name and its badges, so the output can be checked (and styled) per element.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from lxml import etree

from ..bpmn.elements import ACTIVITIES, CONTAINERS, EVENTS, FLOW_NODES, ElementRef
from ..bpmn.layout import Box, Edge, ProcessLayout, Shape, process_layout
from ..definitions import ProcessDefinition

SVG_NS = "http://www.w3.org/2000/svg"

#: Counts per element: keyed by ElementRef (only the drawn process's count), or by element id of the drawn
#: process.
Counts = Mapping[ElementRef, int] | Mapping[str, int]

FONT = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"
STROKE = "#22242a"
WAITING_COLOR = "#1f6fd1"      # Cockpit's blue "running" badge
COMPLETED_COLOR = "#5f6f68"    # grey-green "completed in the period" badge
HEAT_COLOR = "#e0201b"
MARGIN = 30.0
HEADER = 84.0                  # band above the diagram for title and legend


def heatmap_svg(definition: ProcessDefinition, process_id: str | None = None, *, waiting: Counts | None = None,
                completed: Counts | None = None, title: str | None = None) -> str:
    """The process diagram of ``process_id`` (default: the definition's own process) as an SVG heatmap.

    ``waiting`` maps elements to the number of cases waiting there now, ``completed`` to the number of
    times the element was completed in the period. An element id of another process shares nothing with
    this one's: counts keyed by :class:`ElementRef` of another process, and ids the diagram does not
    draw, are ignored.
    """
    pid = process_id or definition.process_id
    layout = process_layout(definition.sources, pid)
    return _Renderer(layout, _of_process(waiting, pid), _of_process(completed, pid), title).render()


def _of_process(counts: Counts | None, pid: str) -> dict[str, int]:
    """The counts of process ``pid``'s elements, by element id."""
    out: dict[str, int] = {}
    for key, value in (counts or {}).items():
        if isinstance(key, ElementRef):
            if key.process_id == pid:
                out[key.element_id] = value
        else:
            out[key] = value
    return out


# --- geometry and text helpers ----------------------------------------------------------------------

def _n(v: float) -> str:
    """A compact, stable number for SVG attributes."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text_width(text: str, size: float) -> float:
    """Rough width of ``text`` in a sans-serif font: enough to wrap names the way the modeler does."""
    wide = sum(1 for c in text if c in "MWmwÅÄÖ@%")
    narrow = sum(1 for c in text if c in "iljtfI.,:;!'|() ")
    return size * (0.54 * (len(text) - wide - narrow) + 0.83 * wide + 0.28 * narrow)


def _wrap(text: str, width: float, size: float) -> tuple[list[str], bool]:
    """Greedy word wrap; also says whether a word had to be broken (with a hyphen) to fit.

    Besides spaces, a line may break after a '/' or '-' inside a word ("Intresseförfrågan/remiss").
    """
    lines: list[str] = []
    broken = False
    for paragraph in text.splitlines() or [""]:
        current = ""
        pieces = [(piece, i == 0) for word in paragraph.split()
                  for i, piece in enumerate(p for p in re.split(r"(?<=[/-])(?=.)", word) if p)]
        for piece, starts_word in pieces:
            candidate = (f"{current} {piece}" if starts_word else current + piece).strip()
            if _text_width(candidate, size) <= width or not current:
                current = candidate
            else:
                lines.append(current)
                current = piece
            while _text_width(current, size) > width and len(current) > 1:  # a single over-long word
                broken = True
                cut = len(current)
                while cut > 1 and _text_width(current[:cut] + "-", size) > width:
                    cut -= 1
                lines.append(current[:cut] + "-")
                current = current[cut:]
        if current:
            lines.append(current)
    return lines, broken


def _fit(text: str, width: float, height: float, size: float, min_size: float = 9.0) -> tuple[list[str], float]:
    """Wrapped lines and font size so that ``text`` fits the box.

    Shrinks the font (down to ``min_size``) rather than break a word or overflow the box; if it still
    does not fit, words are broken with a hyphen and the last line is cut with an ellipsis.
    """
    def largest(lowest: float, allow_broken: bool) -> float | None:
        s = size
        while s >= lowest:
            lines, broken = _wrap(text, width, s)
            if (allow_broken or not broken) and len(lines) * s * 1.2 <= height:
                return s
            s -= 0.5
        return None

    # Shrink a little to keep words whole, further only to fit the box at all.
    size = largest(max(min_size, min(size, 9.5)), False) or largest(min_size, True) or min_size
    lines, _ = _wrap(text, width, size)
    max_lines = max(1, int(height // (size * 1.2)))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines, size


# --- the renderer -----------------------------------------------------------------------------------

class _Renderer:
    def __init__(self, layout: ProcessLayout, waiting: Mapping[str, int], completed: Mapping[str, int],
                 title: str | None):
        self.layout = layout
        self.pid = layout.process_id
        self.waiting = waiting
        self.completed = completed
        self.title = title
        self.prefix = "sf-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.pid)  # unique ids when several SVGs share a page
        self.max_completed = max([v for v in completed.values() if isinstance(v, (int, float))] + [0])

    # ids inside the SVG
    def ref(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def render(self) -> str:
        shapes, edges = self.layout.shapes, self.layout.edges
        min_x, min_y, max_x, max_y = self._extent(shapes, edges)
        vx, vy = min_x - MARGIN, min_y - MARGIN - HEADER
        vw, vh = max_x - min_x + 2 * MARGIN, max_y - min_y + 2 * MARGIN + HEADER
        svg = etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})
        svg.set("viewBox", f"{_n(vx)} {_n(vy)} {_n(vw)} {_n(vh)}")
        svg.set("width", _n(vw))
        svg.set("height", _n(vh))
        svg.set("role", "img")
        svg.set("font-family", FONT)
        svg.set("class", "sedflow-heatmap")
        svg.set("data-process", self.pid)
        heading = self.title or f"{self.layout.name}: värmekarta"
        _sub(svg, "title", text=heading)
        self._defs(svg)
        _sub(svg, "rect", x=_n(vx), y=_n(vy), width=_n(vw), height=_n(vh), fill="#ffffff")

        containers = _sub(svg, "g", **{"class": "pools-lanes"})
        expanded = _sub(svg, "g", **{"class": "containers"})   # expanded sub-processes: under their flows
        heat = _sub(svg, "g", **{"class": "heat"})
        flows = _sub(svg, "g", **{"class": "flows"})
        nodes = _sub(svg, "g", **{"class": "nodes"})
        labels = _sub(svg, "g", **{"class": "labels"})

        # Pools and lanes first, expanded sub-processes before what they contain, the rest in DI order.
        def order(shape: Shape) -> int:
            if shape.kind == "participant":
                return 0
            if shape.kind == "lane":
                return 1
            if _expanded(shape):
                return 2
            return 3

        for shape in sorted(shapes, key=order):
            if shape.kind == "participant":
                self._pool(containers, shape)
            elif shape.kind == "lane":
                self._lane(containers, shape)
            elif shape.kind in FLOW_NODES:
                self._heat(heat, shape)
                self._node(expanded if _expanded(shape) else nodes, shape)
            elif shape.kind == "textAnnotation":
                self._annotation(nodes, shape)
        for edge in edges:
            if edge.kind in ("sequenceFlow", "association"):
                self._edge(flows, labels, edge)
        self._header(svg, heading, vx, vy, vw)
        return str(etree.tostring(svg, encoding="unicode"))

    def _extent(self, shapes: tuple[Shape, ...], edges: tuple[Edge, ...]) -> tuple[float, float, float, float]:
        xs: list[float] = []
        ys: list[float] = []
        for shape in shapes:
            box = shape.box
            for b in filter(None, (box, shape.label)):
                xs += [b.x, b.x + b.w]
                ys += [b.y, b.y + b.h]
            if shape.kind in FLOW_NODES:  # badges stick out of the corners of flow nodes
                xs += [box.x - 14, box.x + box.w + 30]
                ys += [box.y - 14, box.y + box.h + 14]
        for edge in edges:
            xs += [p[0] for p in edge.points]
            ys += [p[1] for p in edge.points]
            label = edge.label
            if label:
                xs += [label.x, label.x + label.w]
                ys += [label.y, label.y + label.h]
        if not xs:
            return 0.0, 0.0, 400.0, 200.0
        return min(xs), min(ys), max(xs), max(ys)

    def _defs(self, svg: etree._Element) -> None:
        defs = _sub(svg, "defs")
        style = _sub(defs, "style")
        style.text = (
            "text{fill:#1d1f24}"
            ".badge text{fill:#ffffff;font-weight:bold}"
            ".edge-label,.label{font-size:11px}"
        )
        marker = _sub(defs, "marker", id=self.ref("arrow"), viewBox="0 0 10 10", refX="10", refY="5",
                      markerWidth="11", markerHeight="11", markerUnits="userSpaceOnUse", orient="auto")
        _sub(marker, "path", d="M0,0 L10,5 L0,10 z", fill=STROKE)
        heat = _sub(defs, "radialGradient", id=self.ref("heat"))
        _sub(heat, "stop", offset="0", **{"stop-color": HEAT_COLOR, "stop-opacity": "0.85"})
        _sub(heat, "stop", offset="0.55", **{"stop-color": HEAT_COLOR, "stop-opacity": "0.55"})
        _sub(heat, "stop", offset="1", **{"stop-color": HEAT_COLOR, "stop-opacity": "0"})
        scale = _sub(defs, "linearGradient", id=self.ref("heat-scale"))
        _sub(scale, "stop", offset="0", **{"stop-color": HEAT_COLOR, "stop-opacity": "0"})
        _sub(scale, "stop", offset="1", **{"stop-color": HEAT_COLOR, "stop-opacity": "0.85"})

    # --- header: title and legend
    def _header(self, svg: etree._Element, heading: str, vx: float, vy: float, vw: float) -> None:
        g = _sub(svg, "g", **{"class": "legend"})
        x, y = vx + MARGIN, vy + MARGIN
        _text(g, x, y + 14, heading, size=20, weight="bold", anchor="start")
        known = self.layout.element_ids
        total_waiting = sum(v for k, v in self.waiting.items() if k in known and isinstance(v, int))
        total_completed = sum(v for k, v in self.completed.items() if k in known and isinstance(v, int))
        ly = y + 44
        self._badge(g, x + 11, ly, str(total_waiting), WAITING_COLOR, pill_anchor="start")
        cx = x + 11 + _badge_width(str(total_waiting)) + 6
        cx = _legend_text(g, cx, ly, "väntar här nu (totalt)")
        self._badge(g, cx + 22, ly, str(total_completed), COMPLETED_COLOR, pill_anchor="start")
        cx = _legend_text(g, cx + 22 + _badge_width(str(total_completed)) + 6, ly,
                          "avslutade under perioden (totalt)")
        _sub(g, "rect", x=_n(cx + 24), y=_n(ly - 9), width="90", height="18", rx="3",
             fill=f"url(#{self.ref('heat-scale')})", stroke="#9aa0a6", **{"stroke-width": "0.8"})
        _legend_text(g, cx + 122, ly, f"värme: fler avslutade = rödare (flest: {self.max_completed})")

    def _badge(self, parent: etree._Element, x: float, y: float, text: str, color: str, *,
               pill_anchor: str = "middle", cls: str = "") -> etree._Element:
        """A pill with white bold text; (x, y) is its centre (or its left end's centre)."""
        w = _badge_width(text)
        cx = x + w / 2 - 10 if pill_anchor == "start" else x
        g = _sub(parent, "g", **{"class": f"badge {cls}".strip()})
        _sub(g, "rect", x=_n(cx - w / 2), y=_n(y - 10), width=_n(w), height="20", rx="10", fill=color,
             stroke="#ffffff", **{"stroke-width": "1.5"})
        _text(g, cx, y, text, size=12, weight="bold", fill="#ffffff")
        return g

    # --- pools, lanes, annotations
    def _pool(self, parent: etree._Element, shape: Shape) -> None:
        g = _sub(parent, "g", **{"data-participant": shape.id})
        box = shape.box
        _sub(g, "rect", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h), fill="#ffffff",
             stroke=STROKE, **{"stroke-width": "1.5"})
        self._band_label(g, shape, size=14, weight="bold")

    def _lane(self, parent: etree._Element, shape: Shape) -> None:
        g = _sub(parent, "g", **{"data-lane": shape.id})
        box = shape.box
        _sub(g, "rect", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h), fill="none",
             stroke=STROKE, **{"stroke-width": "1"})
        self._band_label(g, shape, size=12)

    def _band_label(self, g: etree._Element, shape: Shape, *, size: float, weight: str = "normal") -> None:
        """The name in the 30 px header band: rotated on the left for horizontal pools/lanes."""
        name, box = shape.name, shape.box
        if shape.horizontal:
            _sub(g, "line", x1=_n(box.x + 30), y1=_n(box.y), x2=_n(box.x + 30), y2=_n(box.y + box.h),
                 stroke=STROKE, **{"stroke-width": "1"})
            lines, size = _fit(name, box.h - 12, 28, size)
            cx, cy = box.x + 15, box.cy
            t = _multiline(g, cx, cy, lines, size, weight=weight)
            t.set("transform", f"rotate(-90 {_n(cx)} {_n(cy)})")
        else:
            _sub(g, "line", x1=_n(box.x), y1=_n(box.y + 30), x2=_n(box.x + box.w), y2=_n(box.y + 30),
                 stroke=STROKE, **{"stroke-width": "1"})
            lines, size = _fit(name, box.w - 12, 28, size)
            _multiline(g, box.cx, box.y + 15, lines, size, weight=weight)

    def _annotation(self, parent: etree._Element, shape: Shape) -> None:
        g = _sub(parent, "g", **{"data-annotation": shape.id})
        box = shape.box
        _sub(g, "path", d=f"M{_n(box.x + 15)},{_n(box.y)} H{_n(box.x)} V{_n(box.y + box.h)} H{_n(box.x + 15)}",
             fill="none", stroke=STROKE)
        lines, size = _fit(shape.text, box.w - 10, box.h - 6, 11)
        t = _multiline(g, box.x + 5, box.cy, lines, size, anchor="start")
        t.set("class", "label")

    # --- heat
    def _heat(self, parent: etree._Element, shape: Shape) -> None:
        value = self.completed.get(shape.id)
        if not isinstance(value, (int, float)) or value <= 0 or self.max_completed <= 0:
            return
        # Square root of the share: the busiest loop (monthly follow-ups) must not wash out every other step.
        share = math.sqrt(min(1.0, value / self.max_completed))
        opacity = _n(0.15 + 0.85 * share)
        eid, box = shape.id, shape.box
        if _expanded(shape):  # a large container: tint it instead of a blob that would cover its contents
            _sub(parent, "rect", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h), rx="10",
                 fill=HEAT_COLOR, opacity=_n(0.18 * share), **{"data-heat": eid})
            return
        pad = 26 if shape.kind in ACTIVITIES else 22
        _sub(parent, "ellipse", cx=_n(box.cx), cy=_n(box.cy), rx=_n(box.w / 2 + pad), ry=_n(box.h / 2 + pad),
             fill=f"url(#{self.ref('heat')})", opacity=opacity, **{"data-heat": eid})

    # --- flow nodes
    def _node(self, parent: etree._Element, shape: Shape) -> None:
        kind, eid, name, box = shape.kind, shape.id, shape.name, shape.box
        g = _sub(parent, "g", **{"data-element": eid, "data-kind": kind, "class": f"node {kind}"})
        _sub(g, "title", text=f"{name or eid} ({eid})")
        if kind in ACTIVITIES:
            self._activity(g, shape)
        elif kind in EVENTS:
            self._event(g, shape)
        else:
            self._gateway(g, kind, box)
        if kind not in ACTIVITIES and name:
            label = shape.label
            if label is None:  # bpmn.js default: centred under the shape
                label = Box(box.cx - 45, box.y + box.h + 5, 90, 30)
            lines, size = _fit(name, label.w + 10, max(label.h, 14) + 30, 11)
            t = _multiline(g, label.cx, _block_centre(label.y, len(lines), size), lines, size)
            t.set("class", "label")
        self._badges(g, eid, box)

    def _badges(self, g: etree._Element, eid: str, box: Box) -> None:
        w = self.waiting.get(eid)
        if isinstance(w, int) and w > 0:
            self._badge(g, box.x + 2, box.y + 2, str(w), WAITING_COLOR, cls="waiting").set("data-waiting", str(w))
        c = self.completed.get(eid)
        if isinstance(c, int) and c > 0:
            bw = _badge_width(str(c))
            self._badge(g, box.x + box.w - 2 + max(0.0, bw / 2 - 12), box.y + box.h - 2, str(c), COMPLETED_COLOR,
                        cls="completed").set("data-completed", str(c))

    def _activity(self, g: etree._Element, shape: Shape) -> None:
        kind, name, box = shape.kind, shape.name, shape.box
        expanded = _expanded(shape)
        attrs = {"stroke-width": "2"}
        if kind == "callActivity":
            attrs["stroke-width"] = "4"
        if shape.get("triggeredByEvent") == "true":
            attrs["stroke-dasharray"] = "2 3"
            attrs["stroke-width"] = "1.5"
        _sub(g, "rect", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h), rx="10", fill="#ffffff",
             **{"fill-opacity": "0.6" if not expanded else "1", "stroke": STROKE, **attrs})
        if expanded:
            lines, size = _fit(name, box.w - 20, 40, 12)
            t = _multiline(g, box.x + 10, _block_centre(box.y + 6, len(lines), size), lines, size, anchor="start",
                           weight="bold")
            t.set("class", "name")
            return
        has_marker = kind in ("callActivity",) or kind in CONTAINERS
        icon = kind == "userTask"
        top_room = 23 if icon else 5          # keep the text off the user icon
        bottom_room = 20 if has_marker else 5  # ... and off the collapsed marker
        lines, size = _fit(name, box.w - 8, box.h - top_room - bottom_room, 12)
        block = len(lines) * size * 1.2
        cy = box.cy
        cy += max(0.0, box.y + top_room - (cy - block / 2))
        cy -= max(0.0, (cy + block / 2) - (box.y + box.h - bottom_room))
        t = _multiline(g, box.cx, cy, lines, size)
        t.set("class", "name")
        if icon:
            _user_icon(g, box.x + 9, box.y + 7)
        if has_marker:  # the collapsed "+" marker at the bottom
            mx, my = box.cx - 7, box.y + box.h - 18
            _sub(g, "rect", x=_n(mx), y=_n(my), width="14", height="14", fill="#ffffff", stroke=STROKE)
            _sub(g, "path", d=f"M{_n(mx + 3)},{_n(my + 7)} H{_n(mx + 11)} M{_n(mx + 7)},{_n(my + 3)} V{_n(my + 11)}",
                 stroke=STROKE, **{"stroke-width": "1.5"})

    def _event(self, g: etree._Element, shape: Shape) -> None:
        kind, box = shape.kind, shape.box
        r = min(box.w, box.h) / 2
        cx, cy = box.cx, box.cy
        attrs: dict[str, str] = {"stroke-width": "2"}
        non_interrupting = (kind == "boundaryEvent" and shape.get("cancelActivity") == "false") or (
            kind == "startEvent" and shape.get("isInterrupting") == "false")
        if non_interrupting:
            attrs["stroke-dasharray"] = "5 3"
        if kind == "endEvent":
            attrs["stroke-width"] = "4"
        _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(r - (1.5 if kind == "endEvent" else 0)), fill="#ffffff",
             stroke=STROKE, **attrs)
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"):
            _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(r - 3), fill="none", stroke=STROKE,
                 **{"stroke-width": "1.2", **({"stroke-dasharray": "5 3"} if non_interrupting else {})})
        definitions = shape.event_definitions
        if "timerEventDefinition" in definitions:
            _clock(g, cx, cy, r - 7)
        if "messageEventDefinition" in definitions:
            filled = kind in ("endEvent", "intermediateThrowEvent")
            w, h = r * 0.95, r * 0.65
            _sub(g, "rect", x=_n(cx - w / 2), y=_n(cy - h / 2), width=_n(w), height=_n(h),
                 fill=STROKE if filled else "#ffffff", stroke=STROKE, **{"stroke-width": "1.2"})
            _sub(g, "path", d=f"M{_n(cx - w / 2)},{_n(cy - h / 2)} L{_n(cx)},{_n(cy + h / 8)} "
                              f"L{_n(cx + w / 2)},{_n(cy - h / 2)}",
                 fill="none", stroke="#ffffff" if filled else STROKE, **{"stroke-width": "1.2"})
        if "terminateEventDefinition" in definitions:
            _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(r * 0.5), fill=STROKE)
        if "signalEventDefinition" in definitions or "escalationEventDefinition" in definitions:
            _sub(g, "path", d=f"M{_n(cx)},{_n(cy - r * 0.5)} L{_n(cx + r * 0.45)},{_n(cy + r * 0.35)} "
                              f"L{_n(cx - r * 0.45)},{_n(cy + r * 0.35)} z", fill="none", stroke=STROKE)
        if "errorEventDefinition" in definitions:
            _sub(g, "path", d=f"M{_n(cx - r * 0.45)},{_n(cy + r * 0.4)} L{_n(cx - r * 0.15)},{_n(cy - r * 0.4)} "
                              f"L{_n(cx + r * 0.1)},{_n(cy + r * 0.05)} L{_n(cx + r * 0.45)},{_n(cy - r * 0.4)} "
                              f"L{_n(cx + r * 0.15)},{_n(cy + r * 0.4)} L{_n(cx - r * 0.1)},{_n(cy - r * 0.05)} z",
                 fill="none", stroke=STROKE)

    def _gateway(self, g: etree._Element, kind: str, box: Box) -> None:
        cx, cy = box.cx, box.cy
        hw, hh = box.w / 2, box.h / 2
        _sub(g, "path", d=f"M{_n(cx)},{_n(box.y)} L{_n(box.x + box.w)},{_n(cy)} L{_n(cx)},{_n(box.y + box.h)} "
                          f"L{_n(box.x)},{_n(cy)} z", fill="#ffffff", stroke=STROKE, **{"stroke-width": "2"})
        s = min(hw, hh) * 0.38
        if kind == "exclusiveGateway":
            _sub(g, "path", d=f"M{_n(cx - s)},{_n(cy - s)} L{_n(cx + s)},{_n(cy + s)} "
                              f"M{_n(cx + s)},{_n(cy - s)} L{_n(cx - s)},{_n(cy + s)}",
                 stroke=STROKE, **{"stroke-width": "4", "stroke-linecap": "round", "class": "marker-x"})
        elif kind == "parallelGateway":
            s *= 1.3
            _sub(g, "path", d=f"M{_n(cx - s)},{_n(cy)} H{_n(cx + s)} M{_n(cx)},{_n(cy - s)} V{_n(cy + s)}",
                 stroke=STROKE, **{"stroke-width": "4", "stroke-linecap": "round", "class": "marker-plus"})
        elif kind == "inclusiveGateway":
            _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(s * 1.3), fill="none", stroke=STROKE,
                 **{"stroke-width": "3"})
        elif kind == "eventBasedGateway":
            _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(s * 1.5), fill="none", stroke=STROKE)
            _sub(g, "circle", cx=_n(cx), cy=_n(cy), r=_n(s * 1.25), fill="none", stroke=STROKE)
            pts = " ".join(f"{_n(cx + s * 0.9 * math.sin(a))},{_n(cy - s * 0.9 * math.cos(a))}"
                           for a in (i * 2 * math.pi / 5 for i in range(5)))
            _sub(g, "polygon", points=pts, fill="none", stroke=STROKE)
        elif kind == "complexGateway":
            d = s * 1.2
            _sub(g, "path", d=f"M{_n(cx - d)},{_n(cy)} H{_n(cx + d)} M{_n(cx)},{_n(cy - d)} V{_n(cy + d)} "
                              f"M{_n(cx - d * 0.7)},{_n(cy - d * 0.7)} L{_n(cx + d * 0.7)},{_n(cy + d * 0.7)} "
                              f"M{_n(cx + d * 0.7)},{_n(cy - d * 0.7)} L{_n(cx - d * 0.7)},{_n(cy + d * 0.7)}",
                 stroke=STROKE, **{"stroke-width": "3"})

    # --- edges
    def _edge(self, flows: etree._Element, labels: etree._Element, edge: Edge) -> None:
        fid, points = edge.id, edge.points
        g = _sub(flows, "g", **{"data-flow": fid})
        attrs: dict[str, str] = {"fill": "none", "stroke": STROKE, "stroke-width": "1.5",
                                 "stroke-linejoin": "round"}
        if edge.kind == "association":
            attrs["stroke-dasharray"] = "3 3"
        else:
            attrs["marker-end"] = f"url(#{self.ref('arrow')})"
        _sub(g, "polyline", points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points), **attrs)
        (x0, y0), (x1, y1) = points[0], points[1]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        if edge.default:  # default flow: a slash near the source
            px, py = x0 + ux * 10, y0 + uy * 10
            nx, ny = -uy, ux
            _sub(g, "line", x1=_n(px - 5 * nx - 3 * ux), y1=_n(py - 5 * ny - 3 * uy),
                 x2=_n(px + 5 * nx + 3 * ux), y2=_n(py + 5 * ny + 3 * uy), stroke=STROKE, **{"stroke-width": "1.5"})
        elif edge.conditional and edge.source_kind in ACTIVITIES:  # conditional flow from an activity
            pts = [(x0, y0), (x0 + ux * 8 - uy * 5, y0 + uy * 8 + ux * 5), (x0 + ux * 16, y0 + uy * 16),
                   (x0 + ux * 8 + uy * 5, y0 + uy * 8 - ux * 5)]
            _sub(g, "polygon", points=" ".join(f"{_n(x)},{_n(y)}" for x, y in pts), fill="#ffffff", stroke=STROKE)
        name = edge.name
        if name:
            label = edge.label
            if label is None:
                mid = len(points) // 2
                (ax, ay), (bx, by) = points[mid - 1], points[mid]
                label = Box((ax + bx) / 2 - 40, (ay + by) / 2 - 18, 80, 14)
            lines, size = _fit(name, label.w + 10, max(label.h, 14) + 20, 11)
            t = _multiline(labels, label.cx, _block_centre(label.y, len(lines), size), lines, size)
            t.set("class", "edge-label")
            t.set("data-flow-label", fid)


def _expanded(shape: Shape) -> bool:
    """A sub-process drawn open, its contents inside it."""
    return shape.kind in CONTAINERS and shape.expanded


# --- SVG building blocks ----------------------------------------------------------------------------

def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{SVG_NS}}}{tag}")
    for k, v in attrs.items():
        el.set(k, v)
    if text is not None:
        el.text = text
    return el


def _text(parent: etree._Element, x: float, y: float, text: str, *, size: float = 12, weight: str = "normal",
          anchor: str = "middle", fill: str | None = None) -> etree._Element:
    """One line, vertically centred on ``y``."""
    attrs = {"x": _n(x), "y": _n(y + size * 0.35), "font-size": _n(size), "text-anchor": anchor}
    if weight != "normal":
        attrs["font-weight"] = weight
    if fill:
        attrs["fill"] = fill
    return _sub(parent, "text", text=text, **attrs)


def _multiline(parent: etree._Element, x: float, cy: float, lines: list[str], size: float, *,
               anchor: str = "middle", weight: str = "normal") -> etree._Element:
    """Lines centred as a block on ``cy`` (one <text>, one <tspan> per line)."""
    lh = size * 1.2
    top = cy - lh * (len(lines) - 1) / 2 + size * 0.35
    attrs = {"x": _n(x), "y": _n(top), "font-size": _n(size), "text-anchor": anchor}
    if weight != "normal":
        attrs["font-weight"] = weight
    t = _sub(parent, "text", **attrs)
    for i, line in enumerate(lines):
        _sub(t, "tspan", text=line, x=_n(x), y=_n(top + i * lh))
    return t


def _block_centre(top: float, n_lines: int, size: float) -> float:
    """The centre of a block of ``n_lines`` lines whose top is at ``top``."""
    return top + n_lines * size * 1.2 / 2


def _badge_width(text: str) -> float:
    return max(20.0, 10 + 7.5 * len(text))


def _legend_text(g: etree._Element, x: float, y: float, text: str) -> float:
    _text(g, x, y, text, size=13, anchor="start")
    return x + _text_width(text, 13) + 8


def _user_icon(g: etree._Element, x: float, y: float) -> None:
    """A small person, like the modeler's user-task marker."""
    icon = _sub(g, "g", **{"class": "marker-user", "fill": "none", "stroke": STROKE, "stroke-width": "1"})
    _sub(icon, "circle", cx=_n(x + 6), cy=_n(y + 4), r="3.2")
    _sub(icon, "path",
         d=f"M{_n(x)},{_n(y + 14)} C{_n(x)},{_n(y + 8)} {_n(x + 12)},{_n(y + 8)} {_n(x + 12)},{_n(y + 14)} z")


def _clock(g: etree._Element, cx: float, cy: float, r: float) -> None:
    """The timer event's clock: a face with twelve ticks and two hands."""
    clock = _sub(g, "g", **{"class": "marker-timer"})
    _sub(clock, "circle", cx=_n(cx), cy=_n(cy), r=_n(r), fill="#ffffff", stroke=STROKE, **{"stroke-width": "1.5"})
    ticks = []
    for i in range(12):
        a = i * math.pi / 6
        ticks.append(f"M{_n(cx + r * 0.72 * math.sin(a))},{_n(cy - r * 0.72 * math.cos(a))} "
                     f"L{_n(cx + r * 0.92 * math.sin(a))},{_n(cy - r * 0.92 * math.cos(a))}")
    _sub(clock, "path", d=" ".join(ticks), stroke=STROKE, **{"stroke-width": "1"})
    _sub(clock, "path", d=f"M{_n(cx)},{_n(cy)} L{_n(cx)},{_n(cy - r * 0.6)} M{_n(cx)},{_n(cy)} "
                          f"L{_n(cx + r * 0.45)},{_n(cy + r * 0.1)}",
         stroke=STROKE, fill="none", **{"stroke-width": "1.5", "stroke-linecap": "round"})


__all__ = ["heatmap_svg"]
