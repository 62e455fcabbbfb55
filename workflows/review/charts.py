"""Charts as PNG images for the assembled reports (matplotlib, Agg backend).

Chinese labels need a CJK font (Debian: fonts-wqy-zenhei). Without one the chart is still
drawn; CJK glyphs then show as boxes, and without matplotlib no chart is drawn at all."""

import io
import logging

logger = logging.getLogger(__name__)

CJK_FONTS = ("WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "SimHei")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        logger.warning("matplotlib is not installed: reports are assembled without charts")
        return None
    matplotlib.use("Agg")
    # wqy-zenhei declares weight 500; matplotlib warns on every lookup for "normal".
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    available = {f.name for f in font_manager.fontManager.ttflist}
    chosen = [name for name in CJK_FONTS if name in available]
    if chosen:
        plt.rcParams["font.sans-serif"] = [*chosen, "DejaVu Sans"]
    else:
        logger.warning("no CJK font found: Chinese chart labels will not render")
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def bar_chart(title: str, labels: list[str], values: list[float]) -> bytes | None:
    plt = _pyplot()
    if plt is None or not labels:
        return None
    # 300 dpi: sharp when printed at the 150 mm the documents give a chart
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=300)
    try:
        ax.bar(labels, values, color="#0b5cad")
        ax.set_title(title)
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)
