"""Money: pipeline and win rates, customer lifetime value, CAC, payback, LTV:CAC and ROMI (DESIGN "Money")."""
