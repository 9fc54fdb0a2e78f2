"""Goals: the plan's cascade of goals on catalogue metrics, their progress against pace, the plan checks
(linkage, SMART, funnel arithmetic) and the reverse demand waterfall (DESIGN "Goals and plan checks")."""
