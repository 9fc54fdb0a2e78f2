"""The metrics layer: one definition of each concept every domain shares (DESIGN "The metrics layer").

Domains (funnel, attribution, and the ones after them) import these Ibis expressions instead of keeping
copies of their own, so they agree on what a touch, a stage entry and a period are. So far:
:mod:`wanamaker.metrics.touches` (identity-stitched touches).
"""
