"""Triangulation (DESIGN "Experiments and mix modelling"): the domain above attribution, experiments and the
marketing-mix model. It imports them; they never import it. ``calibrated`` is registered with attribution as a
model (see :mod:`wanamaker.triangulate.calibrated`), and ``wanamaker waste`` lives here."""

from wanamaker.attribution.extensions import Extension, register_extension

BASE_MODEL = "markov_3"

register_extension(Extension("calibrated", BASE_MODEL, "wanamaker.triangulate.calibrated:factors"))
