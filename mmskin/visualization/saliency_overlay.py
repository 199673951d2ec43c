"""A saliency map drawn on its photo as a heat map."""
import cv2
import numpy as np

#: Weight of the heat map in the blend; the photo gets the rest.
HEAT_ALPHA = 0.5


def draw_saliency(image: np.ndarray, cam: np.ndarray, alpha: float = HEAT_ALPHA) -> np.ndarray:
    """Blend a saliency map, coloured with OpenCV's JET map (blue 0, red 1),
    over its photo.

    Args:
        image: BGR uint8 (H, W, 3), not modified.
        cam: float (H, W) in [0, 1], e.g. :func:`mmskin.apis.lesion_cam`.
        alpha: weight of the heat map, in [0, 1].

    Returns:
        A new BGR uint8 image (H, W, 3).
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f'image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}')
    if cam.shape != image.shape[:2]:
        raise ValueError(f'saliency map has shape {cam.shape}, expected the image size '
                         f'{image.shape[:2]}')
    if not np.all((cam >= 0) & (cam <= 1)):  # also false for NaN
        raise ValueError('saliency map values must lie in [0, 1]')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'alpha must lie in [0, 1], got {alpha!r}')
    heat = cv2.applyColorMap(np.round(cam * 255).astype(np.uint8), cv2.COLORMAP_JET)
    return cv2.addWeighted(heat, alpha, image, 1.0 - alpha, 0.0)
