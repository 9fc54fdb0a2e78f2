"""Funnel, SLA and sales-marketing alignment (issue 5; DESIGN "Funnel"; docs/funnel.md).

Public entry points (bound as ``Workspace`` methods by the lead):

- :func:`funnel` -- lifecycle funnel: conversion (cohort or per period), velocity, leakage;
- :func:`sla` -- response times and breaches of the SLA rules, open breaches;
- :func:`alignment` -- sourced / influenced pipeline and revenue, lead acceptance, rejection reasons,
  recycled leads, the sales satisfaction survey.
"""

from wanamaker.funnel.alignment import AlignmentResult, SlaResult, alignment, sla
from wanamaker.funnel.api import FunnelResult, funnel

__all__ = ["AlignmentResult", "FunnelResult", "SlaResult", "alignment", "funnel", "sla"]
